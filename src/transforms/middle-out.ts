import type { Endpoint } from "../catalog/types";
import type { ChatRequest, Message } from "../schema/chat";
import { estimateMessageTokens, estimatePromptTokens, estimateTextTokens, type TokenCounter } from "./tokens";

/**
 * `transforms: ["middle-out"]`: when a prompt is longer than the endpoint's context, the middle of
 * the conversation goes first: LLMs attend least to it, while the system prompt (the task) and
 * the latest turns (the question) matter most. On by default for endpoints of ≤ 8k context, as on
 * OpenRouter; `transforms: []` turns it off.
 */
export const DEFAULT_MIDDLE_OUT_MAX_CONTEXT = 8192;

export function middleOutApplies(request: Pick<ChatRequest, "transforms">, endpoint: Endpoint): boolean {
  if (request.transforms === undefined) return endpoint.context_length <= DEFAULT_MIDDLE_OUT_MAX_CONTEXT;
  return request.transforms.includes("middle-out");
}

/** Tokens kept free for the answer when the client set no max_tokens. */
function outputReserve(request: ChatRequest, endpoint: Endpoint): number {
  const asked = request.max_completion_tokens ?? request.max_tokens;
  if (asked != null) return Math.min(asked, Math.floor(endpoint.context_length / 2));
  return Math.min(1024, Math.floor(endpoint.context_length / 8));
}

/**
 * A turn is removed whole: a user message, or an assistant message together with the tool
 * results that answer its calls (a tool result without its call is rejected by providers).
 */
function turns(messages: readonly Message[]): Message[][] {
  const out: Message[][] = [];
  for (const message of messages) {
    const last = out.at(-1);
    if (message.role === "tool" && last) last.push(message);
    else out.push([message]);
  }
  return out;
}

const tokensOf = (group: Message[], count: TokenCounter) =>
  group.reduce((sum, m) => sum + estimateMessageTokens(m, count), 0);

/** Keeps the head and tail of a text, cutting from its middle, to about `tokens` tokens. */
function trimMiddle(text: string, tokens: number): string {
  const keepChars = Math.max(0, tokens * 4 - 20);
  if (text.length <= keepChars) return text;
  const half = Math.floor(keepChars / 2);
  return `${text.slice(0, half)}\n[…]\n${text.slice(text.length - half)}`;
}

/**
 * The request's messages, cut from the middle until the prompt fits `budget` tokens as `count`
 * counts them (the model family's tokenizer when there is one, else the estimate).
 */
export function middleOut(
  messages: readonly Message[],
  budget: number,
  tools?: readonly unknown[] | null,
  count: TokenCounter = estimateTextTokens,
): Message[] {
  const before = estimatePromptTokens(messages, tools, count);
  if (before <= budget) return [...messages];
  const all = turns(messages);
  // Leading system/developer turns and the final turn are never removed.
  let head = 0;
  while (head < all.length - 1 && (all[head]?.[0]?.role === "system" || all[head]?.[0]?.role === "developer")) head++;
  const kept = [...all];
  let total = before;
  let middle = kept.length - 1 - head; // removable turns: indexes head .. kept.length - 2
  while (total > budget && middle > 0) {
    const index = head + Math.floor((middle - 1) / 2);
    const [removed] = kept.splice(index, 1);
    total -= tokensOf(removed ?? [], count);
    middle--;
  }
  let result = kept.flat();
  if (total > budget) {
    // Still too long with only the essentials: trim the longest text message from its middle.
    const excess = total - budget;
    let longest = -1;
    let longestTokens = 0;
    result.forEach((message, i) => {
      if (typeof message.content !== "string") return;
      const t = count(message.content);
      if (t > longestTokens) {
        longest = i;
        longestTokens = t;
      }
    });
    if (longest >= 0) {
      const message = result[longest] as Message & { content: string };
      result = result.map((m, i) =>
        i === longest
          ? ({ ...m, content: trimMiddle(message.content, Math.max(1, longestTokens - excess)) } as Message)
          : m,
      );
    }
  }
  return result;
}

/** The request as it should go to this endpoint: compressed from the middle when it applies. */
export function fitToEndpoint(
  request: ChatRequest,
  endpoint: Endpoint,
  count: TokenCounter = estimateTextTokens,
): ChatRequest {
  if (!middleOutApplies(request, endpoint)) return request;
  const budget = Math.min(
    endpoint.max_prompt_tokens ?? Number.POSITIVE_INFINITY,
    endpoint.context_length - outputReserve(request, endpoint),
  );
  const messages = middleOut(request.messages, budget, request.tools, count);
  return messages.length === request.messages.length && messages.every((m, i) => m === request.messages[i])
    ? request
    : { ...request, messages };
}

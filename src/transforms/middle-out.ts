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
 * Which turns go: the middle one of the removable turns (indexes `head` .. the one before the
 * last), again and again, until the rest fit `budget`. Taking the middle of what is left each time
 * always takes a turn next to those already taken, so they are one block, [from, to), that grows
 * on the right and then on the left: found with two indexes, where removing turns one by one from
 * an array (a splice moves every turn after it) took time in the square of their number, ~0.5 s
 * of CPU for 100k one-word messages and ~100 s for 200k (a 20 MB body holds ~700k).
 * Returns the block and the tokens left.
 */
function middleCut(
  all: readonly Message[][],
  head: number,
  before: number,
  budget: number,
  count: TokenCounter,
): [from: number, to: number, total: number] {
  const removable = all.length - 1 - head;
  let total = before;
  // The block of removed turns, relative to `head`: [lo, hi).
  let lo = Math.max(0, Math.floor((removable - 1) / 2));
  let hi = lo;
  while (total > budget && hi - lo < removable) {
    // The middle of the turns left (old: `head + floor((left - 1) / 2)` in the shrunk array) is,
    // with lo turns left of the block and removable - hi right of it, the one just left of the
    // block or the one just right of it.
    const index = Math.floor((removable - (hi - lo) - 1) / 2);
    const removed = index < lo ? --lo : hi++;
    total -= tokensOf(all[head + removed] ?? [], count);
  }
  return [head + lo, head + hi, total];
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
  const [from, to, total] = middleCut(all, head, before, budget, count);
  let result = [...all.slice(0, from), ...all.slice(to)].flat();
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

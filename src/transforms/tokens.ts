import type { Message, MessageContent } from "../schema/chat";

/** Counts the tokens of a text: the estimate below, or a model family's real tokenizer. */
export type TokenCounter = (text: string) => number;

/**
 * Token estimates for when no tokenizer answer is available: reserving before the upstream
 * counts, and charging when a provider reports no usage. About 4 characters per token for
 * English text with a floor per word, which over- rather than under-estimates.
 */
export function estimateTextTokens(text: string): number {
  if (text.length === 0) return 0;
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const space = code === 32 || code === 10 || code === 9 || code === 13;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return Math.max(words, Math.ceil(text.length / 4));
}

/** Tokens an image part costs in the estimate (a low-detail image on most providers). */
const IMAGE_TOKENS = 85;
/** Per-message overhead of chat templates (role markers, separators). */
const MESSAGE_OVERHEAD = 4;

function contentTokens(content: MessageContent | null | undefined, count: TokenCounter): number {
  if (content == null) return 0;
  if (typeof content === "string") return count(content);
  let tokens = 0;
  for (const part of content) {
    if (part.type === "text") tokens += count(part.text);
    else tokens += IMAGE_TOKENS;
  }
  return tokens;
}

export function estimateMessageTokens(message: Message, count: TokenCounter = estimateTextTokens): number {
  let tokens = MESSAGE_OVERHEAD + contentTokens(message.content, count);
  if (message.role === "assistant" && message.tool_calls) {
    for (const call of message.tool_calls) {
      tokens += count(call.function.name) + count(call.function.arguments);
    }
  }
  return tokens;
}

/** A prompt's tokens: its texts counted by `count`, plus chat-template overheads and images. */
export function estimatePromptTokens(
  messages: readonly Message[],
  tools?: readonly unknown[] | null,
  count: TokenCounter = estimateTextTokens,
): number {
  let tokens = 3;
  for (const message of messages) tokens += estimateMessageTokens(message, count);
  if (tools && tools.length > 0) tokens += count(JSON.stringify(tools));
  return tokens;
}

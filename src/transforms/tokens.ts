import type { Message, MessageContent } from "../schema/chat";

/** Counts the tokens of a text: the estimate below, or a model family's real tokenizer. */
export type TokenCounter = (text: string) => number;

/**
 * Token estimates for when no tokenizer answer is available: reserving before the upstream
 * counts, and charging when a provider reports no usage. Tokenizers give English words about 4
 * characters a token, but a punctuation mark, a symbol or a digit in a list of numbers mostly a
 * token of its own, and a character of CJK and other non-Latin scripts one or two: counting
 * all text at 4 characters a token undercounted code, JSON, number lists and Chinese by 2-4×,
 * and a hold resting on that estimate was too small. With a floor per word, the estimate errs
 * high rather than low.
 */
export function estimateTextTokens(text: string): number {
  if (text.length === 0) return 0;
  let words = 0;
  let inWord = false;
  // In quarter tokens, to stay in integers.
  let quarters = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const space = code === 32 || code === 10 || code === 9 || code === 13;
    if (!space && !inWord) words++;
    inWord = !space;
    if (space || (code >= 97 && code <= 122) || (code >= 65 && code <= 90)) quarters += 1;
    else if (code < 128)
      quarters += 4; // a digit, a punctuation mark or a symbol
    else quarters += 6; // a UTF-16 unit beyond ASCII: a CJK character is often more than one token
  }
  return Math.max(words, Math.ceil(quarters / 4));
}

/**
 * Tokens an image part costs in the estimate: a large image at high detail (OpenAI's tiles reach
 * ~1100, Anthropic's ~1600 for a full-size image), so that the hold covers it.
 */
const IMAGE_TOKENS = 1_600;
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
  // Images an earlier turn drew, sent back to the model with it (Gemini's image editing).
  if (message.role === "assistant" && message.images) tokens += IMAGE_TOKENS * message.images.length;
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

/**
 * The images a prompt carries (`image_url` parts), which an endpoint listing an `image` price is
 * charged per image (OpenRouter's "price in USD per input image") on top of their tokens.
 */
export function countImages(messages: readonly Message[]): number {
  let images = 0;
  for (const message of messages) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content) if (part.type === "image_url") images += 1;
  }
  return images;
}

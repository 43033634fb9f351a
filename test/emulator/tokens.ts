/**
 * A deterministic stand-in tokenizer: words and punctuation marks are tokens. Usage figures the
 * emulators report are computed with it, so tests can predict them.
 */
export function countTokens(text: string): number {
  const matches = text.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu);
  return matches ? matches.length : 0;
}

/** Tokens an image part counts for. */
export const IMAGE_TOKENS = 85;
/** Per-message overhead (role markers), as real chat templates have. */
export const MESSAGE_OVERHEAD = 3;

const FILLER = [
  "the",
  "gateway",
  "routes",
  "every",
  "request",
  "to",
  "a",
  "provider",
  "and",
  "streams",
  "tokens",
  "back",
  "with",
  "usage",
  "so",
  "each",
  "generation",
  "is",
  "costed",
  "exactly",
  "while",
  "keys",
  "and",
  "credits",
  "stay",
  "safe",
  "under",
  "load",
  "across",
  "many",
  "models",
];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/**
 * The reply's words: a greeting naming provider and model, then filler chosen by the prompt's
 * hash, exactly `count` words long. Each word is one token (and one stream chunk).
 */
export function replyWords(provider: string, model: string, prompt: string, count: number): string[] {
  const words = ["Hello", "from", provider, `${model}.`];
  let seed = hash(prompt);
  while (words.length < count) {
    seed = Math.imul(seed ^ (seed >>> 15), 2246822507) >>> 0;
    words.push(FILLER[seed % FILLER.length] as string);
  }
  return words.slice(0, count);
}

export function seededFloat(text: string, index: number): number {
  return ((hash(`${text}#${index}`) % 2000) - 1000) / 1000;
}

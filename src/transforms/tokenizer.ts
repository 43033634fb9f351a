import type { Env } from "../env";
import { timeoutsOf } from "../generation/timeouts";
import { cachedIn, Refreshing } from "../refreshing";
import { withinDeadline } from "../sleep";
import { type BpeVocabulary, bpeCounter } from "./bpe-count";
import { estimateTextTokens, type TokenCounter } from "./tokens";

/**
 * Exact token counts where a tokenizer fits the model family, the estimate otherwise.
 *
 * OpenAI's models use tiktoken's public BPE vocabularies, counted here exactly (bpe-count.ts). A
 * vocabulary is megabytes, far over the Worker's bundle budget, so it is fetched once per isolate
 * (from `TOKENIZER_URL`, `<url>/<encoding>.json`, in js-tiktoken's JSON format; cached through
 * the Cache API for the other isolates of the location) and only for requests where precision
 * matters: a prompt near an endpoint's context limit. Other families (Llama, Claude, Gemini…)
 * publish no vocabulary usable here, and keep the estimate, which errs towards too many tokens.
 */
export const DEFAULT_TOKENIZER_URL = "https://tiktoken.pages.dev/js";

type Encoding = "o200k_base" | "cl100k_base";

/** The tiktoken encoding of a model id, or undefined when its family has none. */
export function encodingFor(modelId: string): Encoding | undefined {
  const [author, slug = ""] = modelId.split("/");
  if (author !== "openai") return undefined;
  // GPT-4 (before 4o) and GPT-3.5 use cl100k; 4o, 4.1, 4.5, 5 and the o-series use o200k.
  if (/^gpt-(3\.5|4)(-turbo|-\d{4}|-32k|$)/.test(slug) && !slug.startsWith("gpt-4o")) return "cl100k_base";
  return "o200k_base";
}

/** Each vocabulary source's download, shared by the isolate's requests (see Refreshing). */
const vocabularies = new Map<string, Refreshing<TokenCounter | undefined>>();
/** Counters whose vocabulary finished loading in this isolate (for synchronous use). */
const ready = new Map<Encoding, TokenCounter>();
/** Vocabulary sources kept (one per encoding in practice: TOKENIZER_URL is the operator's). */
const MAX_SOURCES = 8;
/** After a failed download, the estimate is used for this long before trying again. */
const RETRY_AFTER_FAILURE_MS = 60_000;

async function download(url: string, encoding: Encoding): Promise<TokenCounter | undefined> {
  const cache = (globalThis as { caches?: CacheStorage }).caches?.default;
  try {
    let response = await cache?.match(url);
    if (!response) {
      response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      if (cache) {
        const copy = new Response(response.clone().body, response);
        copy.headers.set("cache-control", "public, max-age=604800");
        await cache.put(url, copy);
      }
    }
    // Special-token text in a prompt is plain text to the provider, and bpeCounter counts it as such.
    const count = bpeCounter((await response.json()) as BpeVocabulary);
    const counter: TokenCounter = (text) => (text.length === 0 ? 0 : countInBoundedPieces(text, count));
    ready.set(encoding, counter);
    return counter;
  } catch (error) {
    console.error(JSON.stringify({ msg: "tokenizer unavailable, using the estimate", encoding, error: String(error) }));
    return undefined;
  }
}

/**
 * Longest run of non-whitespace, or of whitespace, handed to the BPE at once. Its merges take time in the square of
 * a piece's length, and tiktoken makes one piece of a run of letters: one unbroken 4 kB run in a
 * prompt took seconds of CPU to count, 16 kB a minute, from any key, even one with no credit. Cut
 * in slices the cost per character is in proportion to the slice: 128-character slices of random
 * letters took ~4 ms each (~30 µs a character), 32-character ones a sixteenth of that each. A cut
 * adds at most one token (counts err high, by ~5% on base64). tiktoken makes one piece of a
 * whitespace run too: 8k spaces took 10 s, 8k no-break spaces 50 s, 8k ideographic ones 2 min.
 * (Those times are js-tiktoken's encode; bpe-count.ts is 20-30 times faster on such runs, but its
 * merge is quadratic in a piece too, so the slicing stays.)
 */
const MAX_RUN = 32;
/**
 * A long run, matched at most MAX_MATCH characters at a time: V8's regexp engine keeps a
 * backtracking entry per character of a greedy repeat, and one unbounded match of a 12 MiB run
 * overflowed its stack (a RangeError, the request a 500). Longer runs match as consecutive pieces.
 */
const MAX_MATCH = 8192;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},${MAX_MATCH}}|\\s{${MAX_RUN + 1},${MAX_MATCH}}`, "g");
/**
 * The BPE works on UTF-8 bytes, and a character past ASCII is 2-4 of them: a slice of such
 * characters is cut 4 times shorter, to stay within MAX_RUN bytes (32 CJK characters took ~1.4 ms,
 * 100k of them 4.5 s).
 */
const MAX_WIDE_RUN = MAX_RUN / 4;

/** Where the slice of `run` from `at` ends: MAX_RUN bytes or so, never inside a surrogate pair. */
function sliceEnd(run: string, at: number): number {
  let end = Math.min(run.length, at + MAX_RUN);
  for (let i = at; i < end; i++) {
    if (run.charCodeAt(i) > 0x7f) {
      end = Math.min(end, at + MAX_WIDE_RUN);
      break;
    }
  }
  const last = run.charCodeAt(end - 1);
  return last >= 0xd800 && last <= 0xdbff && end < run.length ? end + 1 : end;
}

/**
 * `count` over `text`, with every run longer than MAX_RUN counted in slices of MAX_RUN: a cut can
 * only add a token where two pieces would have merged, so the count errs high, as a hold should.
 * Exported for the test that the counter matches js-tiktoken over these same slices.
 */
export function countInBoundedPieces(text: string, count: (text: string) => number): number {
  let tokens = 0;
  let from = 0;
  for (const match of text.matchAll(LONG_RUN)) {
    const at = match.index ?? 0;
    if (at > from) tokens += count(text.slice(from, at));
    const run = match[0];
    for (let i = 0, end = 0; i < run.length; i = end) {
      end = sliceEnd(run, i);
      tokens += count(run.slice(i, end));
    }
    from = at + run.length;
  }
  return from === 0 ? count(text) : tokens + (from < text.length ? count(text.slice(from)) : 0);
}

/** The model's exact counter if its vocabulary is loaded in this isolate, else the estimate. */
export function loadedCounterFor(modelId: string): TokenCounter {
  const encoding = encodingFor(modelId);
  return (encoding && ready.get(encoding)) || estimateTextTokens;
}

/**
 * The counter for a model: exact when its family has a tokenizer (downloaded on first use in the
 * isolate), the estimate when it has none, when the download failed, or while it takes longer
 * than `TOKENIZER_WAIT_MS`. The download runs under the `waitUntil` of the request that started it.
 */
export async function tokenCounterFor(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  modelId: string,
): Promise<TokenCounter> {
  const encoding = encodingFor(modelId);
  if (!encoding) return estimateTextTokens;
  const url = `${(env.TOKENIZER_URL || DEFAULT_TOKENIZER_URL).replace(/\/+$/, "")}/${encoding}.json`;
  const cell = cachedIn(vocabularies, url, MAX_SOURCES, () => new Refreshing<TokenCounter | undefined>());
  const counter = cell.get(
    ctx,
    () => download(url, encoding),
    (loaded) => (loaded ? Number.POSITIVE_INFINITY : RETRY_AFTER_FAILURE_MS),
  );
  if (!(counter instanceof Promise)) return counter ?? estimateTextTokens;
  // A slow or stalled vocabulary host must not hold prompts up: past TOKENIZER_WAIT_MS, the
  // estimate (which errs high), while the download goes on for the requests after this one.
  const waiting = withinDeadline(counter, timeoutsOf(env).TOKENIZER_WAIT_MS);
  return (await waiting.catch(() => undefined)) ?? estimateTextTokens;
}

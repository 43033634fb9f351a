import type { ChatRequest, ContentPart, Message } from "../schema/chat";
import { EndpointRefusal, GatewayError } from "../schema/errors";
import { fetchGuarded, GuardedFetchError, MAX_REDIRECTS, refusedTarget } from "./guarded-fetch";
import type { UpstreamTarget } from "./types";

/**
 * Images sent to a provider as bytes: `data:` URLs read, with their media type in the spelling
 * providers accept, and http(s) image URLs fetched and inlined for providers that take no URLs
 * (Gemini outside its Files API, Bedrock).
 */

/**
 * A media type as providers accept it: lower case, and `image/jpg` (not a registered type, but
 * common in data URLs) as `image/jpeg` — Anthropic takes only jpeg|png|gif|webp, Bedrock's format
 * is the subtype (`jpeg`).
 */
export function normaliseMediaType(mediaType: string): string {
  const type = mediaType.trim().toLowerCase();
  return type === "image/jpg" ? "image/jpeg" : type;
}

/** The media type and base64 data of a `data:…;base64,…` URL (undefined for any other URL). */
export function parseDataUrl(url: string): { media_type: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { media_type: normaliseMediaType(match[1] as string), data: match[2] as string } : undefined;
}

/** How long one image may take to arrive, headers and body. */
export const IMAGE_FETCH_TIMEOUT_MS = 5_000;
/** The most image bytes inlined into one upstream request, all images together. */
export const MAX_INLINE_IMAGE_BYTES = 20 * 1024 * 1024;

export interface InlineImageOptions {
  /** URLs the provider takes as they are (e.g. Gemini's Files API and YouTube): not fetched. */
  keep?: (url: string) => boolean;
  timeoutMs?: number;
  maxBytes?: number;
  /** Fetch from loopback and private addresses too (see private-address.ts); refused by default. */
  allowPrivate?: boolean;
  /**
   * What each URL's fetch came to, remembered for the request's other endpoints (one map per
   * request: UpstreamTarget.images), so that no URL is fetched twice for one request, whether
   * it arrived or failed.
   */
  fetched?: ImageFetches;
}

/** One image URL's fetch: its bytes as a data: URL, or why it failed. */
export type FetchedImage =
  | { dataUrl: string; bytes: number }
  /** `budgetLeft`: the bytes the request's images had left when this one went past them. */
  | { problem: string; refusal: boolean; budgetLeft?: number };

/** The fetches of one request's image URLs, by URL. */
export type ImageFetches = Map<string, FetchedImage>;

/**
 * The operator's `IMAGE_FETCH_PRIVATE=allow`: images on loopback and private networks are
 * fetched, as `npm start` and the tests need for the emulator's.
 */
export function privateImagesAllowed(target: Pick<UpstreamTarget, "setting">): boolean {
  return target.setting("IMAGE_FETCH_PRIVATE") === "allow";
}

type ImagePart = Extract<ContentPart, { type: "image_url" }>;

const urlOf = (part: ImagePart) => (typeof part.image_url === "string" ? part.image_url : part.image_url.url);

/**
 * The request with every image given by URL (other than those `keep` keeps) replaced by a
 * `data:` URL of its bytes; the request itself when there is none. Only http(s) URLs are
 * fetched, and (unless `allowPrivate`) none on a loopback or private address, redirects
 * included; one after the other, each within a timeout and as an `image/*` response, all
 * together within a size cap. A 400 names the part and what went wrong: a URL that is no http(s)
 * URL at all is the request's fault wherever it goes (a GatewayError, which ends the request);
 * one that could not be fetched (refused as private, unreachable, not an image, too big) is an
 * EndpointRefusal: the endpoint that needs the bytes is skipped, and one that takes image URLs
 * itself may still answer.
 */
export async function inlineRemoteImages(request: ChatRequest, options: InlineImageOptions = {}): Promise<ChatRequest> {
  const rules: FetchRules = {
    timeoutMs: options.timeoutMs ?? IMAGE_FETCH_TIMEOUT_MS,
    allowPrivate: options.allowPrivate ?? false,
  };
  const budget = { left: options.maxBytes ?? MAX_INLINE_IMAGE_BYTES, max: options.maxBytes ?? MAX_INLINE_IMAGE_BYTES };
  const fetched = options.fetched ?? new Map<string, FetchedImage>();
  const messages = request.messages;
  let out: Message[] | undefined;
  for (const [i, message] of messages.entries()) {
    if (!Array.isArray(message.content)) continue;
    let content: ContentPart[] | undefined;
    for (const [j, part] of (message.content as ContentPart[]).entries()) {
      if (part.type !== "image_url") continue;
      const url = urlOf(part);
      if (url.startsWith("data:") || options.keep?.(url)) continue;
      const dataUrl = await inlined(url, rules, budget, fetched, `messages.${i}.content.${j}.image_url`);
      content ??= [...(message.content as ContentPart[])];
      content[j] = {
        ...part,
        image_url: typeof part.image_url === "string" ? dataUrl : { ...part.image_url, url: dataUrl },
      };
    }
    if (content) {
      out ??= [...messages];
      out[i] = { ...message, content } as Message;
    }
  }
  return out ? { ...request, messages: out } : request;
}

/**
 * The data: URL of the image at `url`, from `fetched` when this request fetched it before (for
 * another endpoint), else fetched now and remembered, arrived or failed. A fetch that went past
 * the bytes left is fetched again only with more bytes left than it had.
 */
async function inlined(url: string, rules: FetchRules, budget: Budget, fetched: ImageFetches, at: string) {
  let outcome = fetched.get(url);
  if (!outcome || ("problem" in outcome && outcome.budgetLeft !== undefined && budget.left > outcome.budgetLeft)) {
    const left = budget.left;
    outcome = await fetchImage(url, rules, budget).then(
      (dataUrl) => ({ dataUrl, bytes: left - budget.left }),
      (error: unknown) => {
        if (!(error instanceof ImageProblem)) throw error;
        return { problem: error.message, refusal: error.refusal, ...(error.overBudget ? { budgetLeft: left } : {}) };
      },
    );
    budget.left = left;
    fetched.set(url, outcome);
  }
  if ("problem" in outcome) {
    const message = `Invalid request: ${at}: ${outcome.problem}`;
    throw outcome.refusal ? new EndpointRefusal(message) : new GatewayError(400, message);
  }
  budget.left -= outcome.bytes;
  if (budget.left < 0) {
    throw new EndpointRefusal(`Invalid request: ${at}: ${tooLargeProblem(url, budget.max)}`);
  }
  return outcome.dataUrl;
}

/**
 * Why an image URL was not inlined. `refusal`: it is the fetch that failed (an endpoint that
 * takes URLs may still do with it), not the URL itself.
 */
class ImageProblem extends Error {
  constructor(
    message: string,
    readonly refusal = true,
    readonly overBudget = false,
  ) {
    super(message);
  }
}

interface FetchRules {
  timeoutMs: number;
  allowPrivate: boolean;
}

interface Budget {
  /** Bytes still allowed in this request. */
  left: number;
  max: number;
}

const MIB = 1024 * 1024;
const sizeOf = (bytes: number) => (bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`);
const shown = (url: string) => (url.length > 100 ? `${url.slice(0, 100)}…` : url);
const tooLargeProblem = (url: string, max: number) =>
  `image ${shown(url)} goes past ${sizeOf(max)}, the most a request's images may weigh in all`;

const PRIVATE = "a private or loopback address, which is not fetched";

/** The image at `url` as a data: URL, its bytes taken from `budget`; an ImageProblem if it cannot be. */
async function fetchImage(url: string, rules: FetchRules, budget: Budget): Promise<string> {
  const fail = (problem: string) => new ImageProblem(problem);
  const tooLarge = () => new ImageProblem(tooLargeProblem(url, budget.max), true, true);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ImageProblem("not a valid URL: send an http(s) URL or a data: URL", false);
  }
  const refused = refusedTarget(parsed, rules.allowPrivate);
  if (refused === "protocol") {
    throw new ImageProblem(`${parsed.protocol} URLs are not fetched: send an http(s) URL or a data: URL`, false);
  }
  if (refused === "private") throw fail(`${shown(url)} points at ${PRIVATE}`);
  // One clock for the whole chain of redirects, headers and body.
  const signal = AbortSignal.timeout(rules.timeoutMs);
  const failed = (what: string) =>
    fail(`image ${shown(url)} ${signal.aborted ? `did not arrive within ${rules.timeoutMs / 1000} s` : what}`);
  const response = await fetchGuarded(
    parsed,
    { allowPrivate: rules.allowPrivate, headers: { accept: "image/*" } },
    signal,
  ).catch((error: unknown) => {
    throw error instanceof GuardedFetchError ? redirectProblem(error, url, failed) : error;
  });
  const type = normaliseMediaType((response.headers.get("content-type") ?? "").split(";")[0] ?? "");
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const refusal = !response.ok
    ? failed(`could not be fetched: HTTP ${response.status}`)
    : !type.startsWith("image/")
      ? fail(`${shown(url)} is not an image (content-type ${type || "missing"})`)
      : declared > budget.left
        ? tooLarge()
        : !response.body
          ? failed("is empty")
          : undefined;
  if (refusal) {
    await response.body?.cancel().catch(() => undefined);
    throw refusal;
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      budget.left -= value.byteLength;
      if (budget.left < 0) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ImageProblem) throw error;
    throw failed("broke off while downloading");
  }
  if (chunks.length === 0) throw failed("is empty");
  return `data:${type};base64,${toBase64(chunks)}`;
}

/** A guarded fetch's stop, as the image's problem. */
function redirectProblem(error: GuardedFetchError, url: string, failed: (what: string) => ImageProblem): ImageProblem {
  const redirects = `image ${shown(url)} redirects to`;
  switch (error.reason) {
    case "unreachable":
      return failed("could not be fetched");
    case "too_many_redirects":
      return new ImageProblem(`image ${shown(url)} redirects more than ${MAX_REDIRECTS} times, the most followed`);
    case "bad_location":
      return failed(`could not be fetched: it redirects to ${shown(error.to)}, not a valid URL`);
    case "protocol":
      return new ImageProblem(`${redirects} ${shown(error.to)}: ${new URL(error.to).protocol} URLs are not fetched`);
    case "private":
    case "outside":
      return new ImageProblem(`${redirects} ${shown(error.to)}, ${PRIVATE}`);
  }
}

/** The runtime's native encoder (TC39's Uint8Array base64, which workerd ships; not yet in TypeScript's lib). */
type Base64Bytes = Uint8Array & { toBase64(): string };

/**
 * The chunks' bytes in base64, each chunk encoded natively as it comes (a chunk's last 1-2 bytes
 * carried over to the next, so that every piece but the last is a multiple of 3 bytes and the
 * pieces join into one encoding) and let go. Building a binary string with String.fromCharCode
 * and btoa took ~0.7 s of CPU in workerd for a 21 MiB image (~0.4 s with the download now, 1.1 s
 * before), and held that 21 MB string beside the chunks. (Not node:buffer's Buffer: importing it
 * added ~12 ms to every isolate's startup.)
 */
function toBase64(chunks: Uint8Array[]): string {
  const pieces: string[] = [];
  let carry: Uint8Array = EMPTY;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i] as Uint8Array;
    const bytes = carry.length > 0 ? joined(carry, chunk) : chunk;
    const whole = bytes.length - (bytes.length % 3);
    pieces.push((bytes.subarray(0, whole) as Base64Bytes).toBase64());
    carry = bytes.slice(whole);
    chunks[i] = EMPTY;
  }
  if (carry.length > 0) pieces.push((carry as Base64Bytes).toBase64());
  return pieces.join("");
}

function joined(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(head.length + tail.length);
  bytes.set(head);
  bytes.set(tail, head.length);
  return bytes;
}

const EMPTY = new Uint8Array(0);

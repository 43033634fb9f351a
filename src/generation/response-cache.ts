import type { Context } from "hono";
import { settle } from "../billing/client";
import type { ApiType, GenerationRecord } from "../billing/contract";
import type { AppEnv } from "../context";
import { sha256Hex } from "../digest";
import { sessionIdOf } from "../schema/chat";
import { badRequest } from "../schema/errors";
import { SSE_HEADERS } from "../streaming/sse";
import { newGenerationId } from "./ids";
import { requestFacts } from "./lifecycle";
import type { ReplyShape } from "./reply-shape";

/**
 * OpenRouter's response caching (beta): a request sent with `X-OpenRouter-Cache: true` is answered
 * from a reply stored for an identical request (same key, endpoint, streaming mode and body) for
 * `X-OpenRouter-Cache-TTL` seconds, without calling a provider or holding money. Stored in the
 * Workers Cache API: per location, shared by its isolates. A hit is a generation of its own (new
 * id, `created`, a zero-cost record), its usage all zeros.
 */

/** The request header that turns caching on; chat.ts reads it, and nothing else, when it is absent. */
export const CACHE_HEADER = "x-openrouter-cache";
export const TTL_HEADER = "x-openrouter-cache-ttl";
const DEFAULT_TTL_SECONDS = 300;
const MAX_TTL_SECONDS = 86_400;
/** A stream longer than this is relayed but not stored (it is held in memory until its end). */
const MAX_STORED_BYTES = 4 * 1024 * 1024;
const KEY_ORIGIN = "https://tollgate.internal/response-cache/";

/** What is stored: the reply as its API gave it (before another API's shape), and its generation's facts. */
interface Entry {
  model: string;
  provider: string;
  finishReason: string | null;
  nativeFinishReason: string | null;
  /** A whole reply's JSON (the chat-level object), or a stream's SSE text as it was sent. */
  body: string;
}

/** A validated request of an API that caches (embeddings have no `stream`). */
type CachedRequest = object & { stream?: boolean | null; user?: string | null; session_id?: string | null };

/** The facts of a stored generation a hit's record repeats. */
export type EntryFacts = Omit<Entry, "body">;

export class ResponseCache {
  private streamed: { parts: Uint8Array[]; bytes: number } | null = null;
  private streamFacts: EntryFacts | null = null;

  private constructor(
    private readonly c: Context<AppEnv>,
    private readonly url: string,
    readonly ttl: number,
    /** The stored reply for this request, when there is one (a HIT). */
    readonly hit: Entry | null,
    private readonly apiType: ApiType,
  ) {}

  /**
   * The cache of a request that asked for it (its header `true`, or, without the header, its
   * preset's `cache_enabled`), with the stored reply if any; null when it did not. The TTL is the
   * header's, else the preset's `cache_ttl_seconds`, else 300; a header out of 1–86400 whole
   * seconds is a 400.
   */
  static async open(
    c: Context<AppEnv>,
    request: CachedRequest,
    apiType: ApiType = "completions",
  ): Promise<ResponseCache | null> {
    const header = c.req.header(CACHE_HEADER);
    const preset = c.get("preset")?.config;
    const asked = header === undefined ? preset?.cache_enabled === true : header.trim().toLowerCase() === "true";
    if (!asked) return null;
    const ttl = ttlOf(c.req.header(TTL_HEADER)) ?? preset?.cache_ttl_seconds ?? DEFAULT_TTL_SECONDS;
    const url = KEY_ORIGIN + (await keyOf(c, request));
    return new ResponseCache(c, url, ttl, await stored(url), apiType);
  }

  /** The headers of a reply that missed (and will be stored if it completes). */
  missHeaders(): Record<string, string> {
    return { "x-openrouter-cache-status": "MISS", "x-openrouter-cache-ttl": String(this.ttl) };
  }

  /** Stores a whole reply (chat's before `shape.reply` presents it), unless it ended in error. */
  storeReply(body: object, facts: EntryFacts): void {
    if (facts.finishReason === "error") return;
    this.put({ ...facts, body: JSON.stringify(body) });
  }

  /** Relays a stream, keeping what it sends, to be stored once it both closed and ended cleanly. */
  recordStream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const kept = { parts: [] as Uint8Array[], bytes: 0 };
    let tooLong = false;
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          if (!tooLong) {
            kept.parts.push(chunk);
            kept.bytes += chunk.byteLength;
            tooLong = kept.bytes > MAX_STORED_BYTES;
          }
          controller.enqueue(chunk);
        },
        flush: () => {
          if (tooLong) return;
          this.streamed = kept;
          this.storeStreamWhenDone();
        },
      }),
    );
  }

  /**
   * The stream's end as the relay summed it up: stored only when it completed (no error, not
   * cancelled, not an error finish): a cut or failed stream is a partial result.
   */
  streamEnded(complete: boolean, facts: EntryFacts): void {
    if (!complete || facts.finishReason === "error") return;
    this.streamFacts = facts;
    this.storeStreamWhenDone();
  }

  /** The stored reply as this request's own generation: new id and `created`, usage zero, no charge. */
  replay(request: CachedRequest, present?: ReplyShape["reply"]): Response {
    const entry = this.hit as Entry;
    const id = newGenerationId();
    const created = Math.floor(Date.now() / 1000);
    this.recordHit(id, entry, request.stream === true, request.user ?? null, request.session_id);
    const headers = { "x-openrouter-cache-status": "HIT", "x-openrouter-cache-ttl": String(this.ttl) };
    if (!request.stream) {
      const reply = restamp(JSON.parse(entry.body), id, created);
      // Chat's object, as the reply's API presents it (the hit's own request, e.g. /responses' echo).
      return Response.json(present ? present(reply as unknown as Parameters<typeof present>[0]) : reply, { headers });
    }
    return new Response(replayEvents(entry.body, id, created), { headers: { ...headers, ...SSE_HEADERS } });
  }

  private storeStreamWhenDone(): void {
    const { streamed, streamFacts } = this;
    if (!streamed || !streamFacts) return;
    const bytes = new Uint8Array(streamed.bytes);
    let at = 0;
    for (const part of streamed.parts) {
      bytes.set(part, at);
      at += part.byteLength;
    }
    this.put({ ...streamFacts, body: new TextDecoder().decode(bytes) });
  }

  private put(entry: Entry): void {
    const response = new Response(JSON.stringify(entry), {
      headers: { "content-type": "application/json", "cache-control": `max-age=${this.ttl}` },
    });
    this.c.executionCtx.waitUntil(
      caches.default
        .put(this.url, response)
        .catch((error: unknown) =>
          console.error(JSON.stringify({ msg: "response cache write failed", error: String(error) })),
        ),
    );
  }

  /**
   * A hit's generation record, settled as any (cost 0): found by `/generation`, counted in the
   * key's activity, charging nothing. It held nothing, so the settlement frees no hold.
   */
  private recordHit(
    id: string,
    entry: Entry,
    streamed: boolean,
    user: string | null,
    sessionId: string | null | undefined,
  ): void {
    const { c } = this;
    const auth = c.get("auth");
    const record: GenerationRecord = {
      id,
      ...requestFacts(c, user, sessionIdOf(c.req.raw, sessionId)),
      createdAt: Date.now(),
      model: entry.model,
      providerName: entry.provider,
      apiType: this.apiType,
      upstreamId: null,
      streamed,
      cancelled: false,
      finishReason: entry.finishReason,
      nativeFinishReason: entry.nativeFinishReason,
      tokensPrompt: 0,
      tokensCompletion: 0,
      nativeTokensPrompt: 0,
      nativeTokensCompletion: 0,
      nativeTokensReasoning: 0,
      nativeTokensCached: 0,
      usageEstimated: false,
      costNanos: 0,
      latencyMs: Math.max(0, Date.now() - c.get("receivedAt")),
      generationTimeMs: 0,
    };
    c.executionCtx.waitUntil(
      settle(c.env, auth.accountId, { keyHash: auth.keyHash, generationId: id, record }).catch((error: unknown) =>
        console.error(JSON.stringify({ msg: "cache hit record failed", id, error: String(error) })),
      ),
    );
  }
}

/** The entry stored under `url`; null when there is none, or the cache cannot be read (a miss, then). */
async function stored(url: string): Promise<Entry | null> {
  try {
    const found = await caches.default.match(url);
    return found ? ((await found.json()) as Entry) : null;
  } catch (error) {
    console.error(JSON.stringify({ msg: "response cache read failed", error: String(error) }));
    return null;
  }
}

/** `X-OpenRouter-Cache-TTL`: whole seconds, 1 to 86400 (undefined when absent). */
function ttlOf(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = /^\s*\d+\s*$/.test(header) ? Number(header) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TTL_SECONDS)) {
    throw badRequest(`X-OpenRouter-Cache-TTL: must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`, {
      "X-OpenRouter-Cache-TTL": header,
    });
  }
  return seconds;
}

/**
 * What makes two requests identical: the key, the endpoint (its path under the API's root, the
 * same under /api/v1 and /v1), the streaming mode and the request as the gateway validated it.
 */
async function keyOf(c: Context<AppEnv>, request: CachedRequest): Promise<string> {
  const path = c.req.path;
  const endpoint = path.slice(path.indexOf("/v1/") + 3);
  return sha256Hex(JSON.stringify([c.get("auth").keyHash, endpoint, request.stream === true, request]));
}

/** A stored reply or chunk with the hit's own id and `created`, its usage (where it has one) zero. */
function restamp(object: Record<string, unknown>, id: string, created: number): Record<string, unknown> {
  // An embeddings reply has no `created`, and is given none.
  const restamped: Record<string, unknown> = "created" in object ? { ...object, id, created } : { ...object, id };
  if (object.usage && typeof object.usage === "object") restamped.usage = zeroed(object.usage);
  return restamped;
}

/** Every count and cost in a usage object set to 0 (flags and nulls kept): a hit bills nothing. */
function zeroed(value: unknown): unknown {
  if (typeof value === "number") return 0;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(zeroed);
  return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, zeroed(field)]));
}

/**
 * A stored stream sent again event by event: each chunk restamped, the keep-alive comments left
 * out (nothing is waited for), `[DONE]` as it was.
 */
function replayEvents(sse: string, id: string, created: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const events = sse.split("\n\n").filter((event) => event.startsWith("data: "));
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const event of events) {
        const data = event.slice("data: ".length);
        const sent = data === "[DONE]" ? data : JSON.stringify(restamp(JSON.parse(data), id, created));
        controller.enqueue(encoder.encode(`data: ${sent}\n\n`));
      }
      controller.close();
    },
  });
}

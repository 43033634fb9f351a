import { WorkerEntrypoint } from "cloudflare:workers";
import type * as z from "zod/mini";
import type { creditsData, currentKeyData, generationData, keyData } from "./billing/present";
import type { ModelData } from "./catalog/present";
import type { Env } from "./env";
import type { EmbeddingsReply } from "./generation/embeddings";
import type { ImageGenerationReply } from "./generation/images";
import type { MessagesReply } from "./generation/messages";
import type { ChatCompletionReply, TextCompletionReply } from "./generation/reply-shape";
import type { RerankReply } from "./generation/rerank";
import { CACHE_HEADER, TTL_HEADER } from "./generation/response-cache";
import type { ResponsesReply } from "./generation/responses";
import { METADATA_HEADER } from "./generation/router-metadata";
import type { TranscriptionReply } from "./generation/transcriptions";
import { requestLine } from "./observability";
import type { CreateKeyBodySchema, UpdateKeyBodySchema } from "./schema/accounting";
import type { SpeechRequestSchema, TranscriptionRequestSchema } from "./schema/audio";
import type { ChatRequestSchema } from "./schema/chat";
import type { CompletionsRequestSchema } from "./schema/completions";
import type { EmbeddingsRequestSchema } from "./schema/embeddings";
import type { ErrorBody } from "./schema/errors";
import type { ImageGenerationRequestSchema } from "./schema/images";
import type { MessagesRequestSchema } from "./schema/messages";
import type { RerankRequestSchema } from "./schema/rerank";
import type { ResponsesRequestSchema } from "./schema/responses";
import worker from "./worker";

/**
 * Tollgate for other Workers, over a service binding (RPC), without leaving Cloudflare:
 *
 *   [[services]]
 *   binding = "TOLLGATE"
 *   service = "tollgate"
 *   entrypoint = "TollgateRpc"
 *
 * Every method takes the caller's Tollgate API key and runs the same request path as HTTP
 * (auth, validation, routing, reservation, settlement), so keys, limits and credits apply alike.
 * `fetch` through the binding works too and is the HTTP API itself.
 */

/**
 * What a refused call's Error carries after `TollgateRpcError: ` in its message: OpenRouter's error
 * body, `{ error: { code, message, metadata? } }`, as the HTTP API answers the same request.
 */
export type RpcErrorBody = ErrorBody;

/** A failed call: OpenRouter's error body with its HTTP status, as a thrown Error over RPC. */
export class TollgateRpcError extends Error {
  constructor(readonly body: ErrorBody) {
    // RPC carries an Error's message (not custom fields, nor a custom class: the caller gets an
    // Error whose message is `TollgateRpcError: <body>`), so the message holds the whole body.
    super(JSON.stringify(body));
    this.name = "TollgateRpcError";
  }
}

/**
 * What a binding caller sends: the HTTP API's request bodies, typed from the same schemas that
 * validate them (any further OpenRouter/OpenAI field is accepted). The method sets `stream`, over
 * whatever the request says. (Not `Omit<…, "stream">`: on these open types it would drop every field.)
 */
export type RpcChatRequest = z.input<typeof ChatRequestSchema>;
export type RpcCompletionRequest = z.input<typeof CompletionsRequestSchema>;
export type RpcEmbeddingsRequest = z.input<typeof EmbeddingsRequestSchema>;
export type RpcRerankRequest = z.input<typeof RerankRequestSchema>;
export type RpcImagesRequest = z.input<typeof ImageGenerationRequestSchema>;
export type RpcResponsesRequest = z.input<typeof ResponsesRequestSchema>;
export type RpcMessagesRequest = z.input<typeof MessagesRequestSchema>;
export type RpcTranscriptionRequest = z.input<typeof TranscriptionRequestSchema>;
export type RpcSpeechRequest = z.input<typeof SpeechRequestSchema>;
export type RpcCreateKeyRequest = z.input<typeof CreateKeyBodySchema>;
export type RpcUpdateKeyRequest = z.input<typeof UpdateKeyBodySchema>;
/**
 * The calling app, as an HTTP caller names it with OpenRouter's `HTTP-Referer` and `X-Title`
 * headers: kept with the generation (`/generation`'s `http_referer` and `app_title`).
 */
export interface RpcAppAttribution {
  referer?: string;
  title?: string;
}

/**
 * What a call may ask beside its body, as an HTTP caller asks it in headers: the calling app's
 * attribution; `routerMetadata: true` for `X-OpenRouter-Metadata: enabled` (the reply's
 * `openrouter_metadata`, on the inference methods); and response caching, `cache: true` or
 * `cache: { ttlSeconds }` for `X-OpenRouter-Cache: true` (and `X-OpenRouter-Cache-TTL`): a hit
 * is the stored reply with a new id and its usage zeroed.
 */
export interface RpcCallOptions extends RpcAppAttribution {
  routerMetadata?: boolean;
  cache?: boolean | { ttlSeconds: number };
}

/**
 * A transcription over RPC: `POST /audio/transcriptions`'s JSON with the generation's `id`, which
 * HTTP gives in the `x-generation-id` header (RPC carries no headers).
 */
export type RpcTranscriptionReply = AsJson<TranscriptionReply> & { id: string };

/**
 * Speech over RPC: the audio's bytes as they come (a ReadableStream, as streamed chat is), with
 * what HTTP gives in headers: their media type (`audio/mpeg`, `audio/pcm`…) and the generation's id.
 */
export interface RpcSpeechReply {
  audio: ReadableStream<Uint8Array>;
  contentType: string;
  id: string;
}

/** A key as the provisioning methods show it (`GET /keys/{hash}`'s `data`). */
export type RpcKeyData = ReturnType<typeof keyData>;

/**
 * Any JSON value: what a reply's untyped parts are on the wire; narrow before use. (Not spelled
 * out recursively: RPC's pipelining types walk into every object and would never end.)
 */
export type JsonValue = string | number | boolean | null | object;

/**
 * A reply as JSON carries it, typed for RPC: its `unknown` parts (open objects such as reasoning
 * details, logprobs) become JSON values. RPC's types cannot carry `unknown`, and a method
 * returning a type with it in it would be typed `never` for the binding's caller.
 */
export type AsJson<T> = unknown extends T
  ? JsonValue
  : T extends readonly (infer Item)[]
    ? AsJson<Item>[]
    : T extends object
      ? { [K in keyof T]: AsJson<T[K]> }
      : T;

const ORIGIN = "https://tollgate.rpc";

/**
 * The refusal's body with its `retry-after` header (a 429, or a 503 a provider timed) as
 * `metadata.retry_after`, in seconds: RPC carries no headers, and without it a caller over the
 * binding could not tell when to try again, as an HTTP caller can.
 */
function withRetryAfter(body: ErrorBody, response: Response): ErrorBody {
  const header = response.headers.get("retry-after");
  const retryAfter = header === null ? Number.NaN : Number(header);
  if (!Number.isFinite(retryAfter) || !body.error) return body;
  return { error: { ...body.error, metadata: { ...body.error.metadata, retry_after: retryAfter } } };
}

/** The Messages API's errors, in Anthropic's shape (api/messages.ts). */
interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
}

/**
 * A refusal as every method throws it, OpenRouter's body: the Messages API's (in Anthropic's
 * shape over HTTP, for its SDK) is put back with its status as `code` and Anthropic's error type
 * as `metadata.error_type`.
 */
function asErrorBody(body: ErrorBody | AnthropicErrorBody, status: number): ErrorBody {
  if (!("type" in body) || body.type !== "error") return body as ErrorBody;
  return { error: { code: status, message: body.error.message, metadata: { error_type: body.error.type } } };
}

export class TollgateRpc extends WorkerEntrypoint<Env> {
  /** The HTTP API, for callers that prefer `env.TOLLGATE.fetch(...)`. */
  override async fetch(request: Request): Promise<Response> {
    return worker.fetch(request, this.env, this.ctx);
  }

  /** A non-streaming chat completion: the same JSON as `POST /api/v1/chat/completions`. */
  chatCompletion(apiKey: string, request: RpcChatRequest, app?: RpcCallOptions): Promise<AsJson<ChatCompletionReply>> {
    return this.#json(apiKey, "POST", "/api/v1/chat/completions", { ...request, stream: false }, app);
  }

  /** A streaming chat completion: the SSE bytes, as a ReadableStream over RPC. */
  chatCompletionStream(
    apiKey: string,
    request: RpcChatRequest,
    app?: RpcCallOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#stream(apiKey, "/api/v1/chat/completions", { ...request, stream: true }, app);
  }

  /** A legacy text completion: the same JSON as `POST /api/v1/completions`. */
  completion(
    apiKey: string,
    request: RpcCompletionRequest,
    app?: RpcCallOptions,
  ): Promise<AsJson<TextCompletionReply>> {
    return this.#json(apiKey, "POST", "/api/v1/completions", { ...request, stream: false }, app);
  }

  /** A streaming legacy text completion: the SSE bytes, as a ReadableStream over RPC. */
  completionStream(
    apiKey: string,
    request: RpcCompletionRequest,
    app?: RpcCallOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#stream(apiKey, "/api/v1/completions", { ...request, stream: true }, app);
  }

  /** OpenAI's Responses API, not streamed: the same Response object as `POST /api/v1/responses`. */
  responses(apiKey: string, request: RpcResponsesRequest, app?: RpcCallOptions): Promise<AsJson<ResponsesReply>> {
    return this.#json(apiKey, "POST", "/api/v1/responses", { ...request, stream: false }, app);
  }

  /** OpenAI's Responses API, streamed: its SSE events (`response.created` … `response.completed`) as a ReadableStream. */
  responsesStream(
    apiKey: string,
    request: RpcResponsesRequest,
    app?: RpcCallOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#stream(apiKey, "/api/v1/responses", { ...request, stream: true }, app);
  }

  /** Anthropic's Messages API, not streamed: the same Message as `POST /api/v1/messages`. */
  messages(apiKey: string, request: RpcMessagesRequest, app?: RpcCallOptions): Promise<AsJson<MessagesReply>> {
    return this.#json(apiKey, "POST", "/api/v1/messages", { ...request, stream: false }, app);
  }

  /** Anthropic's Messages API, streamed: its SSE events (`message_start` … `message_stop`) as a ReadableStream. */
  messagesStream(
    apiKey: string,
    request: RpcMessagesRequest,
    app?: RpcCallOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#stream(apiKey, "/api/v1/messages", { ...request, stream: true }, app);
  }

  /** Embeddings: the same JSON as `POST /api/v1/embeddings`. */
  embeddings(apiKey: string, request: RpcEmbeddingsRequest, app?: RpcCallOptions): Promise<AsJson<EmbeddingsReply>> {
    return this.#json(apiKey, "POST", "/api/v1/embeddings", request, app);
  }

  /** Rerank: the same JSON as `POST /api/v1/rerank`. */
  rerank(apiKey: string, request: RpcRerankRequest, app?: RpcCallOptions): Promise<AsJson<RerankReply>> {
    return this.#json(apiKey, "POST", "/api/v1/rerank", request, app);
  }

  /** Image generation: the same JSON as `POST /api/v1/images` (each image's base64 in `data`). */
  images(apiKey: string, request: RpcImagesRequest, app?: RpcCallOptions): Promise<AsJson<ImageGenerationReply>> {
    return this.#json(apiKey, "POST", "/api/v1/images", request, app);
  }

  /**
   * Speech-to-text, OpenRouter's JSON form (`input_audio: { data: <base64>, format }`): the same
   * JSON as `POST /api/v1/audio/transcriptions`, plus the generation's `id`. The reply is JSON
   * whatever `response_format` says: `text` is answered as `json` (the transcript is its `text`).
   */
  async transcription(
    apiKey: string,
    request: RpcTranscriptionRequest,
    app?: RpcCallOptions,
  ): Promise<RpcTranscriptionReply> {
    const body = request.response_format === "text" ? { ...request, response_format: "json" } : request;
    const response = await this.#call(apiKey, "POST", "/api/v1/audio/transcriptions", body, app);
    const reply = (await response.json()) as AsJson<TranscriptionReply>;
    return { ...reply, id: response.headers.get("x-generation-id") ?? "" };
  }

  /** Text-to-speech (`POST /api/v1/audio/speech`): the audio streamed, its media type and generation id. */
  async speech(apiKey: string, request: RpcSpeechRequest, app?: RpcCallOptions): Promise<RpcSpeechReply> {
    const response = await this.#call(apiKey, "POST", "/api/v1/audio/speech", request, app);
    return {
      audio: response.body as ReadableStream<Uint8Array>,
      contentType: response.headers.get("content-type") ?? "application/octet-stream",
      id: response.headers.get("x-generation-id") ?? "",
    };
  }

  /** `GET /api/v1/models` (no key needed). */
  listModels(): Promise<{ data: AsJson<ModelData>[] }> {
    return this.#json(undefined, "GET", "/api/v1/models");
  }

  /** `GET /api/v1/key` for the given key (the `data` object). */
  keyInfo(apiKey: string): Promise<ReturnType<typeof currentKeyData>> {
    return this.#data(apiKey, "/api/v1/key");
  }

  /** `GET /api/v1/credits`: the account's credits granted and used (the `data` object). */
  credits(apiKey: string): Promise<ReturnType<typeof creditsData>> {
    return this.#data(apiKey, "/api/v1/credits");
  }

  /** `GET /api/v1/generation?id=…`: a generation's stats (the `data` object), for a key of its account. */
  generation(apiKey: string, id: string): Promise<ReturnType<typeof generationData>> {
    return this.#data(apiKey, `/api/v1/generation?id=${encodeURIComponent(id)}`);
  }

  /**
   * Key provisioning, called with a provisioning key (`GET /api/v1/keys`): the account's keys, a
   * page of 100 from `offset`, disabled ones only when asked.
   */
  listKeys(apiKey: string, options?: { offset?: number; includeDisabled?: boolean }): Promise<RpcKeyData[]> {
    // `?.`, not a default parameter: an untyped caller's `null` is "no options" too, not a TypeError.
    const query = new URLSearchParams();
    if (options?.offset !== undefined) query.set("offset", String(options.offset));
    if (options?.includeDisabled) query.set("include_disabled", "true");
    const search = query.toString();
    return this.#data(apiKey, `/api/v1/keys${search ? `?${search}` : ""}`);
  }

  /** `POST /api/v1/keys`: a new key; its secret is in `key`, here only. */
  createKey(apiKey: string, request: RpcCreateKeyRequest): Promise<{ key: string; data: RpcKeyData }> {
    return this.#json(apiKey, "POST", "/api/v1/keys", request);
  }

  /** `GET /api/v1/keys/{hash}`. */
  getKey(apiKey: string, hash: string): Promise<RpcKeyData> {
    return this.#data(apiKey, `/api/v1/keys/${encodeURIComponent(hash)}`);
  }

  /** `PATCH /api/v1/keys/{hash}`: name, limit, reset, rate limit, expiry, disabled. */
  updateKey(apiKey: string, hash: string, patch: RpcUpdateKeyRequest): Promise<RpcKeyData> {
    return this.#data(apiKey, `/api/v1/keys/${encodeURIComponent(hash)}`, "PATCH", patch);
  }

  /** `DELETE /api/v1/keys/{hash}`: the key stops working at once. */
  deleteKey(apiKey: string, hash: string): Promise<{ deleted: true }> {
    return this.#json(apiKey, "DELETE", `/api/v1/keys/${encodeURIComponent(hash)}`);
  }

  async #json<T>(
    apiKey: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    app?: RpcCallOptions,
  ): Promise<T> {
    return (await (await this.#call(apiKey, method, path, body, app)).json()) as T;
  }

  /** A reply's `data` object (GET unless said otherwise). */
  async #data<T>(apiKey: string, path: string, method = "GET", body?: unknown): Promise<T> {
    return (await this.#json<{ data: T }>(apiKey, method, path, body)).data;
  }

  async #stream(
    apiKey: string,
    path: string,
    body: unknown,
    app: RpcCallOptions | undefined,
  ): Promise<ReadableStream<Uint8Array>> {
    return (await this.#call(apiKey, "POST", path, body, app)).body as ReadableStream<Uint8Array>;
  }

  async #call(
    apiKey: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    app?: RpcCallOptions,
  ): Promise<Response> {
    const headers = callHeaders(app, method, path);
    if (apiKey) {
      try {
        headers.set("authorization", `Bearer ${apiKey}`);
      } catch {
        // A key no header can carry (a line break or control character inside, e.g. a secret
        // pasted badly) is no key: refused as HTTP refuses one, not with the runtime's TypeError.
        throw refusedBeforeTheApp(method, path, 401, "No auth credentials found or the key is invalid");
      }
    }
    const response = await this.fetch(
      new Request(`${ORIGIN}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: asJsonBody(body, method, path) }),
      }),
    );
    if (!response.ok) {
      const body = asErrorBody((await response.json()) as ErrorBody | AnthropicErrorBody, response.status);
      throw new TollgateRpcError(withRetryAfter(body, response));
    }
    return response;
  }
}

/** The request's headers with what the call asked for in them (attribution, router metadata, caching), as an HTTP caller sends them. */
function callHeaders(app: RpcCallOptions | undefined, method: string, path: string): Headers {
  const headers = new Headers({ "content-type": "application/json" });
  try {
    if (app?.referer) headers.set("http-referer", app.referer);
    if (app?.title) headers.set("x-title", app.title);
    if (app?.routerMetadata) headers.set(METADATA_HEADER, "enabled");
    if (app?.cache) headers.set(CACHE_HEADER, "true");
    if (typeof app?.cache === "object") headers.set(TTL_HEADER, String(app.cache.ttlSeconds));
  } catch {
    // What no header can carry (a line break, another control character) an HTTP caller could
    // not have sent either: the caller's mistake, said as such rather than as a TypeError.
    throw refusedBeforeTheApp(method, path, 400, "App attribution (referer, title) must be header-safe text");
  }
  return headers;
}

/**
 * The request as the JSON an HTTP caller would send. RPC carries values JSON has no form for (a
 * BigInt, a cycle): such a request is the caller's mistake, refused with OpenRouter's 400 as an
 * unparseable HTTP body is, not with the runtime's TypeError.
 */
function asJsonBody(body: unknown, method: string, path: string): string {
  try {
    return JSON.stringify(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw refusedBeforeTheApp(method, path, 400, `Request body must be valid JSON (${reason})`);
  }
}

/**
 * A call refused before it reaches the app, logged as the app logs a request (which it never
 * sees), so that every RPC call has its log line.
 */
function refusedBeforeTheApp(method: string, path: string, status: number, message: string): TollgateRpcError {
  requestLine({ requestId: crypto.randomUUID(), method, path, status, key: null, model: null, latencyMs: 0 });
  return new TollgateRpcError({ error: { code: status, message } });
}

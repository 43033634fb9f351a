import type { Endpoint, Model, Provider } from "../catalog/types";
import type { ChatRequest, ReasoningDetail, ToolCall } from "../schema/chat";
import type { ApproximateLocation } from "../schema/server-tools";
import type { ImageFetches } from "./inline-image";

/** Everything an adapter needs to reach one endpoint; credentials are resolved by the caller. */
export interface UpstreamTarget {
  provider: Provider;
  endpoint: Endpoint;
  model: Model;
  /** Base URL to call (the catalog's, an operator override, or the emulator's). */
  baseUrl: string;
  /** The provider's credential (never logged, never returned). */
  apiKey: string;
  /** True when the bundled emulator stands in for the provider (no real credentials exist). */
  emulated: boolean;
  /**
   * A further provider setting by Worker variable name, for formats that need more than one
   * credential or option (Bedrock's AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, Azure's
   * AZURE_API_VERSION). Secrets read here are never logged or returned either.
   */
  setting(name: string): string | undefined;
  /**
   * Image URLs fetched (or failed) for this request so far, shared by all its attempts, so that
   * formats that inline images (Gemini, Bedrock) fetch each URL once per request.
   */
  images?: ImageFetches;
  /**
   * The request's web search, where this endpoint runs it with its provider's own search tool
   * (search/native.ts decides): the adapter adds the tool. Absent for every other request.
   */
  webSearch?: NativeWebSearch;
}

/**
 * What a provider's own web search tool is asked: the `web` plugin's options (search/web.ts), or
 * the `openrouter:web_search` server tool's (tools/native-web-search.ts).
 */
export interface NativeWebSearch {
  /** The most searches the provider may run (Anthropic's `max_uses`). */
  maxResults: number;
  includeDomains?: string[];
  excludeDomains?: string[];
  /** Where the user is, roughly, for local results (the server tool's `user_location`). */
  userLocation?: ApproximateLocation;
}

/**
 * A ready-to-send upstream request plus the request parameters this provider cannot honour. The
 * body is JSON text, but for an upload (a transcription's multipart form, UpstreamBody).
 */
export interface UpstreamCall<Body extends UpstreamBody = string> {
  url: string;
  init: { method: "POST" | "GET"; headers: Record<string, string>; body?: Body };
  /** Request parameters dropped because the endpoint does not support them (named in a header). */
  dropped: string[];
}

/** What an upstream call may send: JSON text, or a multipart form (fetch sets its boundary). */
export type UpstreamBody = string | FormData;

/** OpenAI's finish reasons, which every adapter maps its provider's own reasons onto. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: {
    cached_tokens?: number;
    cache_write_tokens?: number;
    /**
     * Of `cache_write_tokens`, those written for an hour (Anthropic's 1h TTL), priced apart. For
     * the cost only: the reply's usage keeps OpenRouter's shape, the total alone.
     */
    cache_write_1h_tokens?: number;
  };
  completion_tokens_details?: {
    reasoning_tokens?: number;
    /** Of completion_tokens, those of generated images (Gemini's IMAGE modality), priced at `image_output`. */
    image_tokens?: number;
  };
  /**
   * What a provider reports beside its prompt and completion tokens and bills apart (Perplexity's
   * Sonar Deep Research: `citation_tokens`, `reasoning_tokens`, `num_search_queries`, none of
   * them within `prompt_tokens` or `completion_tokens`). For the cost only, at the catalog's
   * `input_citation`, `internal_reasoning` and `web_search` prices where it lists them; the reply's
   * usage keeps OpenRouter's shape.
   */
  billed_apart?: { citation_tokens?: number; reasoning_tokens?: number; web_searches?: number; search_units?: number };
}

/** An image the model generated, as OpenRouter returns it (`message.images`, a stream's `delta.images`). */
export interface GeneratedImage {
  type: "image_url";
  /** A `data:<media type>;base64,…` URL. */
  image_url: { url: string };
}

export interface AssistantMessageOut {
  role: "assistant";
  content: string | null;
  images?: GeneratedImage[];
  refusal?: string | null;
  reasoning?: string | null;
  reasoning_details?: ReasoningDetail[];
  tool_calls?: ToolCall[];
  /** Web search results cited (OpenRouter's `url_citation`s) and PDFs read, added by the gateway. */
  annotations?: Annotation[];
}

/**
 * A PDF the gateway read for a model that cannot (the `file-parser` plugin), as OpenRouter
 * annotates one: sent back on the assistant turn, it spares reading the same file again.
 */
export interface FileAnnotation {
  type: "file";
  file: { hash: string; name: string; content: Array<{ type: "text"; text: string }> };
}

/** What a reply's message may be annotated with: web results cited, PDFs read. */
export type Annotation = UrlCitation | FileAnnotation;

/** A web result cited as OpenRouter cites one (OpenAI's chat annotation). */
export interface UrlCitation {
  type: "url_citation";
  url_citation: { url: string; title: string; content: string; start_index: number; end_index: number };
}

export interface ChoiceOut {
  index: number;
  message: AssistantMessageOut;
  finish_reason: FinishReason | null;
  native_finish_reason: string | null;
  logprobs?: unknown;
}

/** A provider's reply translated to OpenAI's shape; the gateway adds id, model, provider, cost. */
export interface ChatCompletionOut {
  choices: ChoiceOut[];
  usage?: Usage;
  system_fingerprint?: string | null;
  /** Provider-specific top-level fields passed through to the client (e.g. Perplexity's citations). */
  extra?: Record<string, unknown>;
  /**
   * The web searches the endpoint ran with its own tool in this turn, in order (Anthropic's). Not
   * part of a chat reply, which shows them by its citations and its search count: the Messages
   * API shows them as blocks (tools/server-tools.ts collects them, generation/messages-server-blocks.ts).
   */
  nativeSearches?: NativeSearchCall[];
}

/** Anthropic's error codes for a failed web search (its SDK's WebSearchToolResultErrorCode). */
export type NativeSearchErrorCode =
  | "invalid_tool_input"
  | "unavailable"
  | "max_uses_exceeded"
  | "too_many_requests"
  | "query_too_long"
  | "request_too_large";

/**
 * A web search a provider ran with its own tool, as its reply tells it (Anthropic's
 * `server_tool_use` and the `web_search_tool_result` paired with it): the query, and the pages
 * found (address and title) or, for a search that failed, the provider's error code.
 */
export interface NativeSearchCall {
  query: string | undefined;
  results: Array<{ url: string; title: string }>;
  errorCode?: NativeSearchErrorCode;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface DeltaOut {
  role?: "assistant";
  content?: string | null;
  images?: GeneratedImage[];
  refusal?: string | null;
  reasoning?: string | null;
  reasoning_details?: ReasoningDetail[];
  tool_calls?: ToolCallDelta[];
  annotations?: Annotation[];
}

export interface ChunkChoiceOut {
  index: number;
  delta: DeltaOut;
  finish_reason: FinishReason | null;
  native_finish_reason?: string | null;
  logprobs?: unknown;
}

/** One streamed chunk in OpenAI's shape, before the gateway stamps id, model and provider. */
export interface ChatChunkOut {
  choices: ChunkChoiceOut[];
  usage?: Usage;
  /**
   * The usage a provider has told so far of a count it completes only at the end (Anthropic's
   * message_start): its prompt side is final, its completion is not. A stream cut before the
   * final usage is charged this prompt side, and the completion estimated.
   */
  partialUsage?: Usage;
  /**
   * `choices` already serialised as JSON, when the mapper could splice them from the upstream's
   * bytes; the relay then writes it instead of serialising `choices` (which must say the same).
   */
  serializedChoices?: string;
  /** The provider's own words for a choice's error finish, where its format has them (Cohere's `error`). */
  errorText?: string;
}

/** One event of an upstream stream, as framed on the wire (SSE here; Bedrock decodes its own). */
export interface UpstreamEvent {
  event?: string;
  data: string;
}

/** Turns upstream stream events into OpenAI chunks; holds per-stream state (tool indexes…). */
export interface StreamMapper {
  map(event: UpstreamEvent): ChatChunkOut[];
  /** `true` once the upstream signalled the natural end of the stream (e.g. `[DONE]`). */
  readonly done: boolean;
}

/** How a failed upstream call is classified (routing decides whether to fail over). */
export type UpstreamErrorKind =
  | "context_length"
  | "content_policy"
  | "invalid_request"
  | "auth"
  | "payment"
  | "rate_limit"
  | "overloaded"
  | "timeout"
  | "server"
  | "not_found";

export interface UpstreamError {
  /** The status Tollgate answers with (OpenRouter's mapping). */
  status: 400 | 401 | 402 | 403 | 404 | 408 | 413 | 422 | 429 | 500 | 502 | 503;
  /** The status the upstream sent. */
  upstreamStatus: number;
  kind: UpstreamErrorKind;
  message: string;
  /** The provider's own error code when it gave one, e.g. "context_length_exceeded". */
  code?: string;
  /** Seconds to wait, from `retry-after`. */
  retryAfter?: number;
}

/**
 * What a provider cannot take however the request is mapped. Routing skips the endpoints of a
 * provider whose limit the request exceeds, with no call made, as it skips one that lacks a
 * required parameter: the request is never sent with part of it cut away, nor sent to be refused.
 */
export interface FormatLimits {
  /** The most stop sequences the provider takes (Cohere's and Gemini's five, OpenAI's four). */
  stopSequences?: number;
  /**
   * The most choices (`n`) a request asking for images may have: Gemini's image models draw one
   * candidate a request (a candidateCount over 1 is Gemini's 400, "Multiple candidates is not
   * enabled for models/gemini-2.5-flash-image-preview").
   */
  imageChoices?: number;
}

/** What an adapter says of the credential its calls carry, for keeping it out of error text. */
export interface CredentialParts {
  /**
   * The secret parts of the credential besides `target.apiKey`, for formats whose credential has
   * several (Bedrock's secret access key and session token). Asked only when there is an error
   * text to clean, never on the way of a request that succeeds.
   */
  credentialParts?(target: UpstreamTarget): string[];
}

/** One upstream wire format: small pure functions from the public request to the upstream and back. */
export interface ChatAdapter extends CredentialParts {
  /**
   * The format returns the images a model draws (as `message.images`). Routing sends a request
   * asking for images (`modalities`) only to such a format's endpoints of a model whose outputs
   * include "image": another one would answer in text alone, as though images had been made.
   */
  drawsImages?: boolean;
  /**
   * The format takes a PDF as it is (a `file` part: Anthropic's document block, Gemini's inline
   * data, OpenAI's file part), and a PDF by URL too where `urls`, so a model whose inputs include
   * "file" reads it natively here; elsewhere the gateway reads it first (files/request-files.ts).
   */
  readsFiles?: { urls: boolean };
  /** The limits of a provider speaking this format (by slug: OpenAI-compatible ones differ). */
  limits?(providerSlug: string): FormatLimits | undefined;
  /**
   * The output tokens this format's request to an endpoint asks for on top of the request's
   * `max_tokens`: the thinking budget it adds to the provider's output cap (0 when it sends none).
   * Read by the hold placed before the call, from the same rules the request is built by. A
   * format without it leaves the budget to the provider.
   */
  reasoningAllowance?(request: ChatRequest, endpoint: Endpoint): number;
  /**
   * The parameters of the request this format would drop for the target, by the same rules the
   * request is built by: those the endpoint does not list, and those it lists but cannot take as
   * sent (a value out of its range, a combination its API refuses). With `require_parameters`,
   * routing leaves out an endpoint that would drop one the client sent.
   */
  droppedParameters?(request: ChatRequest, target: UpstreamTarget): string[];
  /** May be async: a format that signs its requests (Bedrock's SigV4) needs WebCrypto. */
  buildChatRequest(request: ChatRequest, target: UpstreamTarget, stream: boolean): UpstreamCall | Promise<UpstreamCall>;
  parseChatResponse(body: unknown, target: UpstreamTarget): ChatCompletionOut;
  createStreamMapper(target: UpstreamTarget): StreamMapper;
  /** Only for formats not framed as SSE (e.g. Bedrock's event stream); SSE is parsed by the gateway. */
  decodeStream?(body: ReadableStream<Uint8Array>): ReadableStream<UpstreamEvent>;
  parseError(status: number, bodyText: string, headers: Headers): UpstreamError;
}

/** A public `/embeddings` request, normalised: always a list of inputs. */
export interface EmbeddingsRequestIn {
  model: string;
  input: string[];
  dimensions?: number;
  encoding_format?: "float" | "base64";
  input_type?: string;
  user?: string;
}

export interface EmbeddingsOut {
  data: Array<{ index: number; embedding: number[] }>;
  usage?: { prompt_tokens: number; total_tokens: number };
}

/** Embeddings in a provider's wire format (optional: not every format has them). */
export interface EmbeddingsAdapter extends CredentialParts {
  /** The API takes token ids as input (OpenAI's format); the others take text only. */
  takesTokenIds?: boolean;
  buildEmbeddingsRequest(request: EmbeddingsRequestIn, target: UpstreamTarget): UpstreamCall | Promise<UpstreamCall>;
  parseEmbeddingsResponse(body: unknown, target: UpstreamTarget): EmbeddingsOut;
  parseError(status: number, bodyText: string, headers: Headers): UpstreamError;
}

/** A public `/rerank` request, normalised: documents as texts. */
export interface RerankRequestIn {
  model: string;
  query: string;
  documents: string[];
  top_n?: number;
}

export interface RerankOut {
  /** Ranked results, as the provider ordered them: `index` into the request's documents. */
  results: Array<{ index: number; relevance_score: number }>;
  /** What the provider billed: search units (Cohere) and/or tokens (token-priced rerankers). */
  usage?: { search_units?: number; total_tokens?: number };
}

/** Rerank in a provider's wire format (optional: few formats have it). */
export interface RerankAdapter extends CredentialParts {
  buildRerankRequest(request: RerankRequestIn, target: UpstreamTarget): UpstreamCall | Promise<UpstreamCall>;
  parseRerankResponse(body: unknown, target: UpstreamTarget): RerankOut;
  parseError(status: number, bodyText: string, headers: Headers): UpstreamError;
}

/** A public `/audio/transcriptions` request, normalised: the audio decoded to bytes. */
export interface TranscriptionRequestIn {
  audio: Uint8Array;
  /** The container, as the client named it (one of schema/audio.ts TRANSCRIPTION_FORMATS). */
  format: string;
  language?: string;
  prompt?: string;
  temperature?: number;
  verbose: boolean;
  timestampGranularities?: Array<"word" | "segment">;
}

export interface TranscriptionOut {
  text: string;
  /** verbose_json's extras (language, duration, segments, words), passed through as the provider sent them. */
  extra: Record<string, unknown>;
  /** What the provider billed: tokens (gpt-4o-transcribe) or seconds of audio (whisper). */
  usage?: { input_tokens?: number; output_tokens?: number; seconds?: number };
}

/** Speech-to-text in a provider's wire format (optional: few formats have it). */
export interface TranscriptionAdapter extends CredentialParts {
  buildTranscriptionRequest(
    request: TranscriptionRequestIn,
    target: UpstreamTarget,
  ): UpstreamCall<UpstreamBody> | Promise<UpstreamCall<UpstreamBody>>;
  parseTranscriptionResponse(body: unknown, target: UpstreamTarget): TranscriptionOut;
  parseError(status: number, bodyText: string, headers: Headers): UpstreamError;
}

/** A public `/audio/speech` request, normalised. */
export interface SpeechRequestIn {
  input: string;
  voice: string;
  /** The audio container asked for (one of schema/audio.ts SPEECH_FORMATS). */
  format: string;
  speed?: number;
  instructions?: string;
}

/** Text-to-speech in a provider's wire format: the reply is the audio's bytes, streamed on as they come. */
export interface SpeechAdapter extends CredentialParts {
  buildSpeechRequest(request: SpeechRequestIn, target: UpstreamTarget): UpstreamCall | Promise<UpstreamCall>;
  parseError(status: number, bodyText: string, headers: Headers): UpstreamError;
}

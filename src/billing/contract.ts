import type { Nanos } from "./money";

/**
 * The request path's contract with the Account Durable Object: one `reserve` RPC before the
 * upstream call (step 5 of DESIGN.md; none for a request under a key's lease) and one `settle` in
 * `ctx.waitUntil` after it (step 8; gathered with others, usually riding on a reservation).
 */

/** What a request may cost at worst, computed by the caller from the plan's priciest attempt. */
export interface ReserveInput {
  keyHash: string;
  /** `gen-…`: the reservation id, and the generation id if the request is answered. */
  generationId: string;
  /** Prompt estimate × prompt price + output cap × completion price, for the priciest attempt. */
  worstCaseNanos: Nanos;
  /** For the 402 message: the prompt's cost and the price of one output token (atto-USD, decimal string). */
  promptCostNanos: Nanos;
  completionPriceAtto: string;
  /** The output cap the worst case assumed (the request's max_tokens or the model's default). */
  maxOutputTokens: number;
  /** True when the client set max_tokens itself (changes the 402 wording). */
  maxTokensRequested: boolean;
  /**
   * Set when this call repeats one that may have reached the object (an RPC retry): only then can
   * the generation already hold money, so only then is that looked up. A first call's generation
   * id is new, and reusing one without this flag fails on the reservations' primary key.
   */
  retried?: boolean;
  /**
   * Asks the object to hold, beside this request's worst case, a lease for the key's next
   * requests in this isolate (billing/leases.ts): up to `nanos`, usable for `ms`. The object may
   * grant less, or nothing.
   */
  lease?: LeaseAsk;
}

export interface LeaseAsk {
  /** `lease-…`: the lease's hold id (its row among the reservations). */
  id: string;
  nanos: Nanos;
  ms: number;
}

/** A lease the object granted: held under the asked id, to be used for `ms` from the answer. */
export interface LeaseGrant {
  nanos: Nanos;
  ms: number;
}

export type ReserveResult =
  | {
      ok: true;
      /**
       * What the key could still have held after this hold: the room the gateway may give the
       * key's next requests to start their upstream call before their own reservation is
       * confirmed (see billing/head-start.ts). 0 for a key with a request rate limit, whose next
       * request may be the one over it.
       */
      headStartNanos: Nanos;
      /** Set when the call asked for a lease and the object granted one. */
      lease?: LeaseGrant;
    }
  | {
      ok: false;
      status: 401 | 402 | 403 | 429;
      message: string;
      /** Serialisable detail for the error's `metadata` (values `unknown` would not pass RPC's types). */
      metadata?: Record<string, string | number | boolean | null | { readonly [field: string]: string | number }>;
      retryAfterSeconds?: number;
    };

/**
 * The kind of API call a generation was, as `/generation` reports it in `api_type`: "completions"
 * for chat and legacy completions, "embeddings" for embeddings, "rerank" for rerank, "stt" for
 * transcriptions, "tts" for speech (OpenRouter's names; it has more kinds, for APIs Tollgate does
 * not serve).
 */
export type ApiType = "completions" | "embeddings" | "rerank" | "stt" | "tts";

/** One generation's stats, as `/generation?id=` reports them (OpenRouter's field names). */
export interface GenerationRecord {
  id: string;
  keyHash: string;
  createdAt: number;
  model: string;
  providerName: string;
  apiType: ApiType;
  upstreamId: string | null;
  streamed: boolean;
  cancelled: boolean;
  finishReason: string | null;
  nativeFinishReason: string | null;
  tokensPrompt: number;
  tokensCompletion: number;
  nativeTokensPrompt: number;
  nativeTokensCompletion: number;
  nativeTokensReasoning: number;
  nativeTokensCached: number;
  /**
   * Output tokens of generated images (within nativeTokensCompletion), and how many images the
   * reply held: OpenRouter's native_tokens_completion_images and num_media_completion. Optional:
   * a settlement written before they existed (kept in KV, sent again) has neither, and reads as 0.
   */
  nativeTokensCompletionImages?: number;
  numMediaCompletion?: number;
  /** True when the usage was estimated from the text because the provider reported none. */
  usageEstimated: boolean;
  costNanos: Nanos;
  /**
   * Milliseconds from the request's arrival to the first byte of the answer (a stream's first
   * token); null for a stream that failed, or whose client left, before its first token.
   */
  latencyMs: number | null;
  /** Milliseconds the generation took upstream. */
  generationTimeMs: number;
  appReferer: string | null;
  appTitle: string | null;
  user: string | null;
  /** The id of the preset the request named (presets/request.ts); null for none. */
  presetId: string | null;
  /**
   * The session the request named (`session_id`, else `x-session-id`), and its `x-request-id`.
   * Optional: a settlement written before them (kept, sent again) has neither.
   */
  sessionId?: string | null;
  requestId?: string | null;
}

export interface SettleInput {
  keyHash: string;
  generationId: string;
  /** null when the request got no answer: the reservation is released, nothing is charged. */
  record: GenerationRecord | null;
  /**
   * Set when the generation ran under a lease instead of a hold of its own: its charge comes out
   * of the lease's hold. (A lease itself is released by settling its id with `record: null`.)
   */
  leaseId?: string;
}

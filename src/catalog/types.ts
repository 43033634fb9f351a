import * as z from "zod/mini";

/**
 * The catalog is a data document an operator may replace (KV `CATALOG`, key `catalog`), so it
 * is validated with zod and written in snake_case like OpenRouter's own `/models` output.
 * Prices are decimal strings of USD per token (or per request/image), parsed exactly by billing.
 */

const decimalPrice = z.string().check(z.regex(/^\d+(\.\d+)?$/, 'a non-negative decimal string, e.g. "0.0000025"'));

/** Wire formats Tollgate has an adapter for. */
export const AdapterKind = z.enum(["openai", "anthropic", "google", "cohere", "bedrock", "azure"]);
export type AdapterKind = z.infer<typeof AdapterKind>;

export const ProviderSchema = z.object({
  /** Routing name used in `provider.order/only/ignore`, e.g. "together". */
  slug: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]*$/)),
  /** Display name returned as `provider` in responses, e.g. "Together". */
  name: z.string(),
  adapter: AdapterKind,
  /** The real upstream base URL, e.g. "https://api.together.xyz/v1". */
  base_url: z.string().check(z.url()),
  /** Name of the Worker secret holding this provider's API key, e.g. "TOGETHER_API_KEY". */
  api_key_env: z.string(),
  /** Data policy: `training` is what `provider.data_collection: "deny"` leaves out, `zdr` what `provider.zdr` needs. */
  data_policy: z.object({
    /** The provider may train on prompts. */
    training: z.boolean(),
    /** The provider retains prompts (for abuse monitoring or otherwise). */
    retains_prompts: z.boolean(),
    /** Zero data retention offered for this provider. */
    zdr: z._default(z.boolean(), false),
  }),
  privacy_policy_url: z._default(z.nullable(z.string().check(z.url())), null),
  terms_of_service_url: z._default(z.nullable(z.string().check(z.url())), null),
  status_page_url: z._default(z.nullable(z.string().check(z.url())), null),
  headquarters: z._default(z.nullable(z.string()), null),
});
export type Provider = z.infer<typeof ProviderSchema>;

/**
 * Every price of an endpoint but the two it must list (prompt, completion), which a long-prompt
 * tier may set too (PricingOverrideSchema): USD per token, unless said otherwise.
 */
const optionalPrices = {
  /** Per request, on top of its tokens (Perplexity's search fee). */
  request: z.optional(decimalPrice),
  /** Per image in the prompt (OpenRouter's "price per input image"). */
  image: z.optional(decimalPrice),
  /**
   * Per token of a generated image (OpenRouter's `image_output`), for models that draw images in a
   * chat reply. Gemini bills an output image as tokens (1290 for a 1024×1024 image) at a rate
   * of its own, counted within its output tokens: those tokens are charged this price, the rest of
   * the output the completion price. OpenRouter publishes Gemini's rate in this field ("0.00003",
   * Google's $30 a million), so it is read per token, whatever the SDK's comment ("per output image").
   */
  image_output: z.optional(decimalPrice),
  input_cache_read: z.optional(decimalPrice),
  /** A cache write at the provider's default (for Anthropic, 5-minute) lifetime. */
  input_cache_write: z.optional(decimalPrice),
  /**
   * A 1-hour cache write (Anthropic's `cache_control.ttl: "1h"`), which Anthropic bills at twice
   * the base input price; absent, that is what is charged where `input_cache_write` is listed.
   * Shown in `/models` where listed, as OpenRouter's pricing does.
   */
  input_cache_write_1h: z.optional(decimalPrice),
  internal_reasoning: z.optional(decimalPrice),
  /** Per web search the provider reports running (Perplexity's `num_search_queries`), as OpenRouter lists it. */
  web_search: z.optional(decimalPrice),
  /**
   * Per search unit a rerank provider bills (Cohere's `meta.billed_units.search_units`: one query
   * with up to 100 documents, each chunk of a long document counting as one). Rerank models only.
   */
  search_unit: z.optional(decimalPrice),
  /**
   * Per citation token (Perplexity's `citation_tokens`: search results read, reported beside the
   * prompt), where the provider bills them. Kept out of `/models`, as OpenRouter's pricing has no such field.
   */
  input_citation: z.optional(decimalPrice),
};

/**
 * A price tier, as OpenRouter's `pricing.overrides` lists one: a generation whose prompt has more
 * than `min_prompt_tokens` tokens (the whole prompt, cache reads and writes included) pays these prices, for
 * every token (prompt, cache, output and reasoning alike); prices it leaves out stay the base's.
 * Gemini 2.5 Pro's prompts over 200k tokens are billed this way. Strict: OpenRouter also lists
 * overrides by time of day (`utc_start`/`utc_end`), which Tollgate does not apply, and such an
 * override read without its condition would price every request; it is refused instead.
 */
export const PricingOverrideSchema = z.strictObject({
  min_prompt_tokens: z.number().check(z.int(), z.nonnegative()),
  prompt: z.optional(decimalPrice),
  completion: z.optional(decimalPrice),
  ...optionalPrices,
});
export type PricingOverride = z.infer<typeof PricingOverrideSchema>;

export const PricingSchema = z.object({
  prompt: decimalPrice,
  completion: decimalPrice,
  ...optionalPrices,
  /** Long-prompt tiers, later entries winning per price where several apply (OpenRouter's rule). */
  overrides: z.optional(z.array(PricingOverrideSchema)),
});
export type Pricing = z.infer<typeof PricingSchema>;

/**
 * The request shape a Claude endpoint takes where it differs from the older models' (Anthropic's
 * Messages API, providers.md §2.2). Catalog data rather than a model-name pattern, so an operator
 * adding a Claude model says how it is asked, and the adapter needs no release for it. Absent:
 * budget thinking (`thinking: {type: "enabled", budget_tokens}`) and json_schema on a forced tool.
 * What an endpoint refuses outright (temperature, top_p and top_k on the newest models) is said
 * by leaving it out of `supported_parameters`, as for any endpoint: it is dropped and named.
 */
export const ClaudeShapeSchema = z.strictObject({
  /**
   * `adaptive`: `thinking: {type: "adaptive"}` with `output_config.effort`; budget thinking is
   * refused (400) or deprecated. `budget`: the older `budget_tokens`.
   */
  thinking: z.enum(["budget", "adaptive"]),
  /** The `output_config.effort` values the model takes, lowest first (adaptive thinking only). */
  efforts: z._default(z.array(z.string()), []),
  /** `native`: `output_config.format: {type: "json_schema", schema}`; `tool`: a forced tool carries it. */
  json_schema: z.enum(["tool", "native"]),
  /**
   * Whether tool_choice may force a tool (`any` or a named tool). The 5.5 models refuse it with a
   * 400 whatever the thinking: there a forced choice is sent as `auto` and named as dropped.
   */
  forced_tool_use: z.boolean(),
});
export type ClaudeShape = z.infer<typeof ClaudeShapeSchema>;

/** Reasoning levels an upstream may take instead of a token budget, in rising order. */
export const THINKING_LEVELS = ["minimal", "low", "medium", "high"] as const;
export type ThinkingLevel = (typeof THINKING_LEVELS)[number];

export const EndpointSchema = z.object({
  /** Provider slug (must exist in `providers`). */
  provider: z.string(),
  /** The model name the upstream API expects, e.g. "meta-llama/Llama-3.3-70B-Instruct-Turbo". */
  provider_model_id: z.string(),
  /** Optional variant tag, e.g. "fp8" or "turbo"; endpoints are addressed as `provider/tag`. */
  tag: z.optional(z.string()),
  context_length: z.number().check(z.int(), z.positive()),
  max_completion_tokens: z.nullable(z.number().check(z.int(), z.positive())),
  max_prompt_tokens: z._default(z.nullable(z.number().check(z.int(), z.positive())), null),
  quantization: z._default(z.nullable(z.string()), null),
  pricing: PricingSchema,
  supported_parameters: z.array(z.string()),
  /**
   * The reasoning levels the upstream takes in place of a token budget, lowest first (Gemini 3's
   * `thinkingLevel`: each model takes its own set). Absent where reasoning is a token budget
   * (Gemini 2.5's `thinkingBudget`) or not steered at all.
   */
  thinking_levels: z.optional(z.array(z.enum(THINKING_LEVELS)).check(z.minLength(1))),
  /** Catalog defaults used by `sort: latency/throughput` before live health figures exist. */
  latency_ms: z.optional(z.number().check(z.positive())),
  throughput_tps: z.optional(z.number().check(z.positive())),
  is_moderated: z._default(z.boolean(), false),
  status: z._default(z.number().check(z.int()), 0),
  /** Claude endpoints with the newest models' request shape (ClaudeShapeSchema); others leave it out. */
  claude: z.optional(ClaudeShapeSchema),
  /**
   * The API of the provider's format an endpoint is asked through, where the format has more than
   * one: `responses` is OpenAI's Responses API (POST /responses), where GPT-6 takes function tools
   * while it reasons, as it does not through Chat Completions. Absent: the format's chat API.
   */
  api: z.optional(z.enum(["responses"])),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

export const ModelSchema = z.object({
  /** `author/slug`, e.g. "meta-llama/llama-3.3-70b-instruct". */
  id: z.string().check(z.regex(/^[a-z0-9][\w.-]*\/[\w.:-]+$/i)),
  canonical_slug: z.string(),
  name: z.string(),
  /** Unix seconds of the model's release. */
  created: z.number().check(z.int()),
  description: z.string(),
  context_length: z.number().check(z.int(), z.positive()),
  /**
   * "chat" models answer /chat/completions and /completions; "embedding" models /embeddings;
   * "rerank" models /rerank; "transcription" models /audio/transcriptions; "speech" models
   * /audio/speech (priced per character of input: their `prompt` price is per character).
   */
  kind: z._default(z.enum(["chat", "embedding", "rerank", "transcription", "speech"]), "chat"),
  architecture: z.object({
    modality: z.string(),
    input_modalities: z.array(z.string()),
    output_modalities: z.array(z.string()),
    tokenizer: z.string(),
    instruct_type: z._default(z.nullable(z.string()), null),
  }),
  hugging_face_id: z._default(z.nullable(z.string()), null),
  knowledge_cutoff: z._default(z.nullable(z.string()), null),
  /**
   * The model's author allows its outputs to be used to train other models. Only such models serve
   * a request with `provider.enforce_distillable_text: true`; unknown counts as not allowed.
   */
  distillable: z._default(z.boolean(), false),
  /**
   * The day (UTC, `YYYY-MM-DD`) its provider shuts the model down, as OpenRouter's `/models` has
   * it. From that day the gateway neither lists it nor routes to it (a request naming it is a 400
   * that says it was shut down), with no catalog change needed on the day; until then `/models`
   * shows the date, so clients can move off it.
   */
  expiration_date: z._default(
    z.nullable(
      z.string().check(
        z.regex(/^\d{4}-\d{2}-\d{2}$/, "a date, YYYY-MM-DD"),
        z.refine((date) => Number.isFinite(Date.parse(`${date}T00:00:00Z`)), "a valid date"),
      ),
    ),
    null,
  ),
  endpoints: z.array(EndpointSchema).check(z.minLength(1)),
});
export type Model = z.infer<typeof ModelSchema>;
export type ModelInput = z.input<typeof ModelSchema>;

export const CatalogSchema = z.object({
  providers: z.array(ProviderSchema).check(z.minLength(1)),
  models: z.array(ModelSchema).check(z.minLength(1)),
  /** Models tried in order by `openrouter/auto`. */
  auto_models: z._default(z.array(z.string()), []),
});
export type Catalog = z.infer<typeof CatalogSchema>;
export type CatalogInput = z.input<typeof CatalogSchema>;

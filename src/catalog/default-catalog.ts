import type { Catalog, ClaudeShape, Endpoint, Model, ThinkingLevel } from "./types";

/**
 * The bundled catalog: real models, context lengths and list prices (USD per token, decimal
 * strings) as the providers publish them. Operators replace it through KV (see README).
 * Prices are written per million tokens below for readability and converted exactly.
 * It is written in the catalog schema's output form, every defaulted field filled in, so an
 * isolate uses it as it is: parsing it cost each isolate's first request ~8–10 ms. A test holds
 * it equal to its own parse.
 */

/** "$2.50 per million" ⇒ "0.0000025", by decimal string shifting (no float arithmetic). */
function perMillion(usd: string): string {
  const [whole = "0", fraction = ""] = usd.split(".");
  const digits = (whole + fraction).replace(/^0+/, "") || "0";
  if (digits === "0") return "0";
  const scale = fraction.length + 6;
  const padded = digits.padStart(scale + 1, "0");
  const intPart = padded.slice(0, padded.length - scale).replace(/^0+/, "") || "0";
  const fracPart = padded.slice(padded.length - scale).replace(/0+$/, "");
  return fracPart ? `${intPart}.${fracPart}` : intPart;
}

const CHAT = ["max_tokens", "temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty"];
const TOOLS = ["tools", "tool_choice", "parallel_tool_calls"];
const JSON_OUT = ["response_format", "structured_outputs"];
const OPENAI_PARAMS = [...CHAT, ...TOOLS, ...JSON_OUT, "logit_bias", "logprobs", "top_logprobs"];
/**
 * GPT-6 through the Responses API (the endpoints' `api: "responses"`): Chat Completions takes its
 * function tools only with reasoning effort none, which 6.1 Sol does not take at all ("Tool calling
 * requires the Responses API"), while Responses takes them as the model reasons. Sampling
 * parameters are refused while the model reasons, which it does by default (medium), and
 * stop/seed/logit_bias are no Responses parameters: none is listed, so each is dropped and named.
 */
const OPENAI_GPT6 = ["max_tokens", ...TOOLS, ...JSON_OUT, "reasoning", "include_reasoning"];
const ANTHROPIC_PARAMS = ["max_tokens", "temperature", "top_p", "top_k", "stop", ...TOOLS, ...JSON_OUT];
const ANTHROPIC_THINKING = [...ANTHROPIC_PARAMS, "reasoning", "include_reasoning"];
// The Claude 5.5 models refuse non-default temperature, top_p and top_k (400, as Claude Sonnet 5
// was documented to; the SDK marks them deprecated for the newest models): not listed, so dropped.
const CLAUDE_5_PARAMS = ["max_tokens", "stop", ...TOOLS, ...JSON_OUT, "reasoning", "include_reasoning"];
/** Anthropic's web search tool, $10 per 1000 searches (the `web` plugin's engine "native": search/native.ts). */
const ANTHROPIC_WEB_SEARCH = "0.01";
/**
 * How the Claude 5.5 models are asked (ClaudeShapeSchema): adaptive thinking with
 * output_config.effort, native structured output; Opus and Sonnet 5.5 refuse forced tool use
 * ("What's new in Claude Opus 5.5" / Sonnet 5.5 overview, platform.claude.com). Efforts: low,
 * medium and high on every model, max on Opus and Sonnet ("raise the effort level to max").
 */
const CLAUDE_5_5: ClaudeShape = {
  thinking: "adaptive",
  efforts: ["low", "medium", "high", "max"],
  json_schema: "native",
  forced_tool_use: false,
};
// Haiku 5.5's documents name no forced-tool refusal, nor max effort: neither is assumed.
const CLAUDE_HAIKU_5_5: ClaudeShape = { ...CLAUDE_5_5, efforts: ["low", "medium", "high"], forced_tool_use: true };
// Claude on Bedrock: Converse's toolChoice has no switch for parallel tool calls (Anthropic's
// disable_parallel_tool_use), so parallel_tool_calls is dropped there rather than claimed and ignored.
const BEDROCK_CLAUDE_THINKING = ANTHROPIC_THINKING.filter((p) => p !== "parallel_tool_calls");
const BEDROCK_CLAUDE_5 = CLAUDE_5_PARAMS.filter((p) => p !== "parallel_tool_calls");
const GEMINI_PARAMS = [...CHAT, "top_k", ...TOOLS.slice(0, 2), ...JSON_OUT];
// Gemini 2.5 takes no penalties (400 "Penalty is not enabled for models/gemini-2.5-flash"): only 2.0 does.
const GEMINI_THINKING = [
  ...GEMINI_PARAMS.filter((p) => p !== "frequency_penalty" && p !== "presence_penalty"),
  "reasoning",
  "include_reasoning",
];
// Gemini's image models take neither tools nor a thinking configuration, nor penalties.
/** What Gemini 3 takes in, as OpenRouter lists it: PDFs ("file"), audio and video besides images. */
const GEMINI_3_INPUTS = ["text", "image", "file", "audio", "video"];
const GEMINI_IMAGE_PARAMS = ["max_tokens", "temperature", "top_p", "stop", "seed", ...JSON_OUT];
// JSON mode only at DeepInfra (json_object); Together and Fireworks enforce a JSON schema too.
const OPEN_PARAMS = [...CHAT, "top_k", "repetition_penalty", "min_p", ...TOOLS, "response_format"];
const OPEN_SCHEMA_PARAMS = [...OPEN_PARAMS, "structured_outputs"];
// Groq's GPT-OSS take a JSON schema (its shut-down Llama 3 and Qwen 3 did not: 400 "This model does
// not support response format `json_schema`").
const GROQ_SCHEMA_PARAMS = [...CHAT, ...TOOLS, "response_format", "structured_outputs"];
const MISTRAL_PARAMS = [...CHAT, ...TOOLS.slice(0, 2), ...JSON_OUT];
const R1_PARAMS = ["max_tokens", "temperature", "top_p", "stop", "seed", "reasoning", "include_reasoning"];

interface EndpointSpec {
  provider: string;
  id: string;
  context: number;
  maxOut: number | null;
  prompt: string;
  completion: string;
  params: string[];
  quantization?: string;
  cacheRead?: string;
  cacheWrite?: string;
  /** USD per million prompt tokens written to the cache for an hour (Anthropic's `ttl: "1h"`). */
  cacheWrite1h?: string;
  /** USD per request, as written (not per million): a fee the provider bills on top of tokens. */
  request?: string;
  /** USD per search unit, as written: what a rerank provider bills (Cohere's billed units). */
  searchUnit?: string;
  /** USD per web search the provider runs, as written (Anthropic's web search tool: $10 per 1000). */
  webSearch?: string;
  /** USD per million tokens of generated images (Gemini bills an output image as tokens). */
  imageOutput?: string;
  /**
   * Long-prompt price tiers (OpenRouter's `pricing.overrides`): a prompt of more than `minPrompt`
   * tokens has every token at these prices (per million), the ones left out at the base's.
   */
  tiers?: {
    minPrompt: number;
    prompt?: string;
    completion?: string;
    cacheRead?: string;
    cacheWrite?: string;
    cacheWrite1h?: string;
  }[];
  /** The newest Claude models' request shape (the endpoint's `claude`). */
  claude?: ClaudeShape;
  /** The API the endpoint is asked through, where its format has more than one (the endpoint's `api`). */
  api?: Endpoint["api"];
  /** Gemini 3's thinking levels (the endpoint's `thinking_levels`), lowest first. */
  levels?: ThinkingLevel[];
  tag?: string;
  latencyMs?: number;
  tps?: number;
}

const endpoint = (e: EndpointSpec): Endpoint => ({
  provider: e.provider,
  provider_model_id: e.id,
  ...(e.tag ? { tag: e.tag } : {}),
  context_length: e.context,
  max_completion_tokens: e.maxOut,
  max_prompt_tokens: null,
  quantization: e.quantization ?? null,
  pricing: {
    prompt: perMillion(e.prompt),
    completion: perMillion(e.completion),
    ...(e.cacheRead ? { input_cache_read: perMillion(e.cacheRead) } : {}),
    ...(e.cacheWrite ? { input_cache_write: perMillion(e.cacheWrite) } : {}),
    ...(e.cacheWrite1h ? { input_cache_write_1h: perMillion(e.cacheWrite1h) } : {}),
    ...(e.request ? { request: e.request } : {}),
    ...(e.searchUnit ? { search_unit: e.searchUnit } : {}),
    ...(e.webSearch ? { web_search: e.webSearch } : {}),
    ...(e.imageOutput ? { image_output: perMillion(e.imageOutput) } : {}),
    ...(e.tiers
      ? {
          overrides: e.tiers.map((t) => ({
            min_prompt_tokens: t.minPrompt,
            ...(t.prompt ? { prompt: perMillion(t.prompt) } : {}),
            ...(t.completion ? { completion: perMillion(t.completion) } : {}),
            ...(t.cacheRead ? { input_cache_read: perMillion(t.cacheRead) } : {}),
            ...(t.cacheWrite ? { input_cache_write: perMillion(t.cacheWrite) } : {}),
            ...(t.cacheWrite1h ? { input_cache_write_1h: perMillion(t.cacheWrite1h) } : {}),
          })),
        }
      : {}),
  },
  supported_parameters: e.params,
  ...(e.levels ? { thinking_levels: e.levels } : {}),
  ...(e.latencyMs ? { latency_ms: e.latencyMs } : {}),
  ...(e.tps ? { throughput_tps: e.tps } : {}),
  is_moderated: false,
  status: 0,
  ...(e.claude ? { claude: e.claude } : {}),
  ...(e.api ? { api: e.api } : {}),
});

interface ModelSpec {
  id: string;
  name: string;
  created: string;
  description: string;
  context: number;
  tokenizer: string;
  vision?: boolean;
  /**
   * The model reads PDFs itself (OpenRouter's input modality "file"): where its endpoint's format
   * carries them, a PDF goes to it as it is; elsewhere the gateway reads it (files/request-files.ts).
   */
  files?: boolean;
  /** What the model takes in, where it is more than text and images (Gemini 3 hears and watches too). */
  inputs?: string[];
  /** The model draws images in its chat replies (OpenRouter's output modality "image"). */
  drawsImages?: boolean;
  hf?: string;
  kind?: Model["kind"];
  /** The license allows training other models on its outputs (DeepSeek's MIT license says so). */
  distillable?: boolean;
  /** The day its provider shuts it down (UTC, YYYY-MM-DD), where announced: unlisted from then. */
  expires?: string;
  endpoints: EndpointSpec[];
}

/** What a model of each kind outputs, as its architecture names it. */
const OUTPUT_OF: Record<Model["kind"], string> = {
  chat: "text",
  embedding: "embeddings",
  rerank: "rerank",
  transcription: "transcription",
  speech: "speech",
};

/** What a model takes in: speech-to-text models audio alone, the others text (and images for vision). */
const inputsOf = (m: ModelSpec): string[] =>
  m.inputs ??
  (m.kind === "transcription" ? ["audio"] : m.vision ? ["text", "image", ...(m.files ? ["file"] : [])] : ["text"]);

const model = (m: ModelSpec): Model => ({
  id: m.id,
  canonical_slug: m.id,
  name: m.name,
  created: Math.floor(Date.parse(`${m.created}T00:00:00Z`) / 1000),
  description: m.description,
  context_length: m.context,
  kind: m.kind ?? "chat",
  architecture: {
    // As OpenRouter writes its image models' modality ("text+image->text+image") and outputs.
    modality: `${inputsOf(m).join("+")}->${m.drawsImages ? "text+image" : OUTPUT_OF[m.kind ?? "chat"]}`,
    input_modalities: inputsOf(m),
    output_modalities: m.drawsImages ? ["image", "text"] : [OUTPUT_OF[m.kind ?? "chat"]],
    tokenizer: m.tokenizer,
    instruct_type: null,
  },
  hugging_face_id: m.hf ?? null,
  knowledge_cutoff: null,
  distillable: m.distillable ?? false,
  expiration_date: m.expires ?? null,
  endpoints: m.endpoints.map(endpoint),
});

/**
 * Shutdown dates OpenAI has announced for models still listed here (its deprecations page, as
 * checked 2026-12-03): each is the model's `expiration_date`, shown by /models until the day and
 * refused from it (catalog/store.ts). GPT-6 Luna is the named replacement of the first four.
 */
const GPT_4O_AND_4_1_SHUTDOWN = "2027-01-14";
/** GPT-4o Transcribe and GPT-4o Mini Transcribe (with Whisper). */
const GPT_4O_TRANSCRIBE_SHUTDOWN = "2027-02-26";

const policy = (training: boolean, retains: boolean, zdr = false) => ({ training, retains_prompts: retains, zdr });

export const defaultCatalog: Catalog = {
  providers: [
    {
      slug: "openai",
      name: "OpenAI",
      adapter: "openai",
      base_url: "https://api.openai.com/v1",
      api_key_env: "OPENAI_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url: "https://openai.com/policies/privacy-policy/",
      terms_of_service_url: "https://openai.com/policies/terms-of-use/",
      status_page_url: "https://status.openai.com/",
      headquarters: "US",
    },
    {
      slug: "azure",
      name: "Azure",
      adapter: "azure",
      base_url: "https://your-resource.openai.azure.com/openai",
      api_key_env: "AZURE_OPENAI_API_KEY",
      data_policy: policy(false, false, true),
      privacy_policy_url: "https://www.microsoft.com/en-us/privacy/privacystatement",
      terms_of_service_url: "https://www.microsoft.com/en-us/legal/terms-of-use",
      status_page_url: "https://status.azure.com/",
      headquarters: "US",
    },
    {
      slug: "anthropic",
      name: "Anthropic",
      adapter: "anthropic",
      base_url: "https://api.anthropic.com",
      api_key_env: "ANTHROPIC_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url: "https://www.anthropic.com/legal/privacy",
      terms_of_service_url: "https://www.anthropic.com/legal/commercial-terms",
      status_page_url: "https://status.anthropic.com/",
      headquarters: "US",
    },
    {
      slug: "amazon-bedrock",
      name: "Amazon Bedrock",
      adapter: "bedrock",
      base_url: "https://bedrock-runtime.us-east-1.amazonaws.com",
      api_key_env: "AWS_ACCESS_KEY_ID",
      data_policy: policy(false, false, true),
      privacy_policy_url: "https://aws.amazon.com/privacy/",
      terms_of_service_url: "https://aws.amazon.com/service-terms/",
      status_page_url: "https://health.aws.amazon.com/health/status",
      headquarters: "US",
    },
    {
      slug: "google-ai-studio",
      name: "Google AI Studio",
      adapter: "google",
      base_url: "https://generativelanguage.googleapis.com/v1beta",
      api_key_env: "GEMINI_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url: "https://policies.google.com/privacy",
      terms_of_service_url: "https://ai.google.dev/gemini-api/terms",
      status_page_url: "https://aistudio.google.com/status",
      headquarters: "US",
    },
    {
      slug: "mistral",
      name: "Mistral",
      adapter: "openai",
      base_url: "https://api.mistral.ai/v1",
      api_key_env: "MISTRAL_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url: "https://mistral.ai/terms/#privacy-policy",
      terms_of_service_url: "https://mistral.ai/terms/",
      status_page_url: "https://status.mistral.ai/",
      headquarters: "FR",
    },
    {
      slug: "deepseek",
      name: "DeepSeek",
      adapter: "openai",
      base_url: "https://api.deepseek.com/v1",
      api_key_env: "DEEPSEEK_API_KEY",
      data_policy: policy(true, true),
      privacy_policy_url: "https://cdn.deepseek.com/policies/en-US/deepseek-privacy-policy.html",
      terms_of_service_url: "https://cdn.deepseek.com/policies/en-US/deepseek-terms-of-use.html",
      status_page_url: "https://status.deepseek.com/",
      headquarters: "CN",
    },
    {
      slug: "xai",
      name: "xAI",
      adapter: "openai",
      base_url: "https://api.x.ai/v1",
      api_key_env: "XAI_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url: "https://x.ai/legal/privacy-policy",
      terms_of_service_url: "https://x.ai/legal/terms-of-service",
      status_page_url: "https://status.x.ai/",
      headquarters: "US",
    },
    {
      slug: "together",
      name: "Together",
      adapter: "openai",
      base_url: "https://api.together.xyz/v1",
      api_key_env: "TOGETHER_API_KEY",
      data_policy: policy(false, false, true),
      privacy_policy_url: "https://www.together.ai/privacy",
      terms_of_service_url: "https://www.together.ai/terms-of-service",
      status_page_url: "https://status.together.ai/",
      headquarters: "US",
    },
    {
      slug: "fireworks",
      name: "Fireworks",
      adapter: "openai",
      base_url: "https://api.fireworks.ai/inference/v1",
      api_key_env: "FIREWORKS_API_KEY",
      data_policy: policy(false, false, true),
      privacy_policy_url: "https://fireworks.ai/privacy-policy",
      terms_of_service_url: "https://fireworks.ai/terms-of-service",
      status_page_url: "https://status.fireworks.ai/",
      headquarters: "US",
    },
    {
      slug: "groq",
      name: "Groq",
      adapter: "openai",
      base_url: "https://api.groq.com/openai/v1",
      api_key_env: "GROQ_API_KEY",
      data_policy: policy(false, false, true),
      privacy_policy_url: "https://groq.com/privacy-policy/",
      terms_of_service_url: "https://groq.com/terms-of-use/",
      status_page_url: "https://groqstatus.com/",
      headquarters: "US",
    },
    {
      slug: "deepinfra",
      name: "DeepInfra",
      adapter: "openai",
      base_url: "https://api.deepinfra.com/v1/openai",
      api_key_env: "DEEPINFRA_API_KEY",
      data_policy: policy(false, false, true),
      privacy_policy_url: "https://deepinfra.com/privacy",
      terms_of_service_url: "https://deepinfra.com/terms",
      status_page_url: "https://status.deepinfra.com/",
      headquarters: "US",
    },
    {
      slug: "perplexity",
      name: "Perplexity",
      adapter: "openai",
      base_url: "https://api.perplexity.ai",
      api_key_env: "PERPLEXITY_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url: "https://www.perplexity.ai/hub/legal/privacy-policy",
      terms_of_service_url: "https://www.perplexity.ai/hub/legal/terms-of-service",
      status_page_url: "https://status.perplexity.com/",
      headquarters: "US",
    },
    {
      slug: "alibaba",
      name: "Alibaba",
      adapter: "openai",
      base_url: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
      api_key_env: "DASHSCOPE_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url:
        "https://www.alibabacloud.com/help/en/legal/latest/alibaba-cloud-international-website-privacy-policy",
      terms_of_service_url:
        "https://www.alibabacloud.com/help/en/legal/latest/alibaba-cloud-international-website-product-terms-of-service-v-3-8-0",
      status_page_url: null,
      headquarters: "CN",
    },
    {
      slug: "cohere",
      name: "Cohere",
      adapter: "cohere",
      base_url: "https://api.cohere.com",
      api_key_env: "COHERE_API_KEY",
      data_policy: policy(false, true),
      privacy_policy_url: "https://cohere.com/privacy",
      terms_of_service_url: "https://cohere.com/terms-of-use",
      status_page_url: "https://status.cohere.com/",
      headquarters: "CA",
    },
  ],
  // openrouter/auto's models: small, fast ones of three providers, each still served (Claude 3.5
  // Haiku and Gemini 2.0 Flash, the list's earlier members, are retired or shut down this year).
  // Models their providers have shut down are left out (checked 2026-12-02 against the providers'
  // deprecation pages): GPT-4.1 nano, o4-mini and o3-mini (2026-10-23); Claude 3.5 Haiku and 3.7
  // Sonnet (2026-02-19), Sonnet 4 and Opus 4 (2026-06-15); Gemini 2.0 Flash (2026-06-01), 2.5 Pro
  // and 2.5 Flash (2026-12-01) and 2.5 Flash Image Preview; Grok 3 and Grok 4 (2026-05-15);
  // Codestral 25.01 (2025-11-30); and single endpoints: DeepSeek's own deepseek-chat and
  // deepseek-reasoner names (2026-07-24), Groq's Llama 3 8B (2025), Llama 4 Maverick (2026-03-09),
  // Llama 4 Scout and Qwen 3 32B (2026-07-17), Llama 3.3 70B and Llama 3.1 8B (2026-08-16).
  // GPT-6 Luna is the successor OpenAI names for GPT-4o and GPT-4.1 (shut down 2027-01-14), and
  // took GPT-4o mini's place here.
  auto_models: ["openai/gpt-6-luna", "anthropic/claude-haiku-5.5", "google/gemini-3.5-flash-lite"],
  models: [
    // ── OpenAI ──
    model({
      id: "openai/gpt-4o",
      name: "OpenAI: GPT-4o",
      created: "2024-05-13",
      description: "OpenAI's flagship multimodal model of 2024: text and image input, fast and capable.",
      expires: GPT_4O_AND_4_1_SHUTDOWN,
      context: 128000,
      tokenizer: "GPT",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "openai",
          id: "gpt-4o",
          context: 128000,
          maxOut: 16384,
          prompt: "2.5",
          completion: "10",
          cacheRead: "1.25",
          params: OPENAI_PARAMS,
          latencyMs: 500,
          tps: 90,
        },
        {
          provider: "azure",
          id: "gpt-4o",
          context: 128000,
          maxOut: 16384,
          prompt: "2.5",
          completion: "10",
          params: OPENAI_PARAMS,
          latencyMs: 600,
          tps: 80,
        },
      ],
    }),
    model({
      id: "openai/gpt-4o-mini",
      name: "OpenAI: GPT-4o-mini",
      created: "2024-07-18",
      description: "A small, cheap multimodal model from OpenAI that outperforms GPT-3.5 Turbo.",
      expires: GPT_4O_AND_4_1_SHUTDOWN,
      context: 128000,
      tokenizer: "GPT",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "openai",
          id: "gpt-4o-mini",
          context: 128000,
          maxOut: 16384,
          prompt: "0.15",
          completion: "0.6",
          cacheRead: "0.075",
          params: OPENAI_PARAMS,
          latencyMs: 400,
          tps: 80,
        },
      ],
    }),
    model({
      id: "openai/gpt-4.1",
      name: "OpenAI: GPT-4.1",
      created: "2025-04-14",
      description: "OpenAI's GPT-4.1: stronger coding and instruction following with a one-million-token context.",
      expires: GPT_4O_AND_4_1_SHUTDOWN,
      context: 1047576,
      tokenizer: "GPT",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "openai",
          id: "gpt-4.1",
          context: 1047576,
          maxOut: 32768,
          prompt: "2",
          completion: "8",
          cacheRead: "0.5",
          params: OPENAI_PARAMS,
          latencyMs: 600,
          tps: 70,
        },
      ],
    }),
    model({
      id: "openai/gpt-4.1-mini",
      name: "OpenAI: GPT-4.1 Mini",
      created: "2025-04-14",
      description: "A mid-sized GPT-4.1 with a one-million-token context at low latency and cost.",
      expires: GPT_4O_AND_4_1_SHUTDOWN,
      context: 1047576,
      tokenizer: "GPT",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "openai",
          id: "gpt-4.1-mini",
          context: 1047576,
          maxOut: 32768,
          prompt: "0.4",
          completion: "1.6",
          cacheRead: "0.1",
          params: OPENAI_PARAMS,
          latencyMs: 450,
          tps: 90,
        },
      ],
    }),
    // GPT-6 (developers.openai.com/api/docs/models/…, checked 2026-12-02): the replacements OpenAI's
    // deprecations page names for GPT-5 (6.1 Sol), GPT-5 mini (6.1 Terra) and GPT-4o/4.1 (6 Luna).
    // Cache writes (30-minute retention) are billed at 1.25× input and reported as
    // cache_write_tokens; a prompt of more than 272K tokens pays 2× input and cache, 1.5× output.
    model({
      id: "openai/gpt-6.1-sol",
      name: "OpenAI: GPT-6.1 Sol",
      created: "2026-09-29",
      description: "OpenAI's GPT-6.1 Sol: near-Astra reasoning for complex coding and professional work.",
      context: 1050000,
      tokenizer: "GPT",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "openai",
          id: "gpt-6.1-sol",
          context: 1050000,
          maxOut: 128000,
          prompt: "2",
          completion: "10",
          cacheRead: "0.1",
          cacheWrite: "2.5",
          tiers: [{ minPrompt: 272000, prompt: "4", completion: "15", cacheRead: "0.2", cacheWrite: "5" }],
          params: OPENAI_GPT6,
          api: "responses",
        },
      ],
    }),
    model({
      id: "openai/gpt-6.1-terra",
      name: "OpenAI: GPT-6.1 Terra",
      created: "2026-10-26",
      description: "A fast, efficient GPT-6.1 for visual reasoning, computer use and natural writing.",
      context: 1050000,
      tokenizer: "GPT",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "openai",
          id: "gpt-6.1-terra",
          context: 1050000,
          maxOut: 128000,
          prompt: "1",
          completion: "5",
          cacheRead: "0.05",
          cacheWrite: "1.25",
          tiers: [{ minPrompt: 272000, prompt: "2", completion: "7.5", cacheRead: "0.1", cacheWrite: "2.5" }],
          params: OPENAI_GPT6,
          api: "responses",
        },
      ],
    }),
    model({
      id: "openai/gpt-6-luna",
      name: "OpenAI: GPT-6 Luna",
      created: "2026-09-22",
      description: "OpenAI's most efficient GPT-6, for focused, high-volume tasks.",
      context: 1050000,
      tokenizer: "GPT",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "openai",
          id: "gpt-6-luna",
          context: 1050000,
          maxOut: 128000,
          prompt: "0.1",
          completion: "0.5",
          cacheRead: "0.01",
          cacheWrite: "0.125",
          tiers: [{ minPrompt: 272000, prompt: "0.2", completion: "0.75", cacheRead: "0.02", cacheWrite: "0.25" }],
          params: OPENAI_GPT6,
          api: "responses",
        },
      ],
    }),
    // OpenAI's open-weight reasoning models (Apache 2.0), at Groq's and Together's list prices.
    model({
      id: "openai/gpt-oss-120b",
      name: "OpenAI: gpt-oss-120b",
      created: "2025-08-05",
      description: "OpenAI's 117B mixture-of-experts open-weight reasoning model (5.1B active) with tool use.",
      context: 131072,
      tokenizer: "GPT",
      hf: "openai/gpt-oss-120b",
      endpoints: [
        {
          provider: "groq",
          id: "openai/gpt-oss-120b",
          context: 131072,
          maxOut: 65536,
          prompt: "0.15",
          completion: "0.6",
          params: [...GROQ_SCHEMA_PARAMS, "reasoning", "include_reasoning"],
        },
        {
          provider: "together",
          id: "openai/gpt-oss-120b",
          context: 128000,
          maxOut: null,
          prompt: "0.15",
          completion: "0.6",
          params: [...OPEN_SCHEMA_PARAMS, "reasoning", "include_reasoning"],
        },
      ],
    }),
    model({
      id: "openai/gpt-oss-20b",
      name: "OpenAI: gpt-oss-20b",
      created: "2025-08-05",
      description: "OpenAI's 21B open-weight reasoning model (3.6B active), for low latency.",
      context: 131072,
      tokenizer: "GPT",
      hf: "openai/gpt-oss-20b",
      endpoints: [
        {
          provider: "groq",
          id: "openai/gpt-oss-20b",
          context: 131072,
          maxOut: 65536,
          prompt: "0.075",
          completion: "0.3",
          params: [...GROQ_SCHEMA_PARAMS, "reasoning", "include_reasoning"],
        },
      ],
    }),
    // ── Anthropic ──
    model({
      id: "anthropic/claude-haiku-4.5",
      name: "Anthropic: Claude Haiku 4.5",
      created: "2025-10-15",
      description: "Claude Haiku 4.5, a fast, low-cost Claude near the frontier at coding, with extended thinking.",
      context: 200000,
      tokenizer: "Claude",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "anthropic",
          id: "claude-haiku-4-5-20251001",
          context: 200000,
          maxOut: 64000,
          prompt: "1",
          completion: "5",
          cacheRead: "0.1",
          cacheWrite: "1.25",
          cacheWrite1h: "2",
          webSearch: ANTHROPIC_WEB_SEARCH,
          params: ANTHROPIC_THINKING,
        },
        {
          provider: "amazon-bedrock",
          id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
          context: 200000,
          maxOut: 64000,
          prompt: "1",
          completion: "5",
          params: BEDROCK_CLAUDE_THINKING,
        },
      ],
    }),
    // Claude 5.5: prices, context and output limits from platform.claude.com's model pages (Opus 5.5,
    // Sonnet 5.5, Haiku 5.5) and pricing page, 2026-12; Sonnet 5.5's cache read as cut to $0.10 on
    // 2026-10-07. On Bedrock (AWS model cards; served through inference profiles only) through the
    // global cross-Region profiles, billed at Anthropic's prices, where the geographic ones (us.,
    // eu., …) cost 10% more; asked the same way (the same `claude` shape). Haiku 5.5's long-prompt
    // tier is Anthropic's, assumed on Bedrock too (not found in AWS's documents).
    model({
      id: "anthropic/claude-opus-5.5",
      name: "Anthropic: Claude Opus 5.5",
      created: "2026-09-22",
      description:
        "Claude Opus 5.5, for long-running agentic coding and knowledge work, with adaptive thinking always on.",
      context: 1000000,
      tokenizer: "Claude",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "anthropic",
          id: "claude-opus-5-5",
          context: 1000000,
          maxOut: 128000,
          prompt: "4",
          completion: "20",
          cacheRead: "0.2",
          cacheWrite: "5",
          cacheWrite1h: "8",
          webSearch: ANTHROPIC_WEB_SEARCH,
          params: CLAUDE_5_PARAMS,
          claude: CLAUDE_5_5,
        },
        {
          provider: "amazon-bedrock",
          id: "global.anthropic.claude-opus-5-5",
          context: 1000000,
          maxOut: 128000,
          prompt: "4",
          completion: "20",
          cacheRead: "0.2",
          cacheWrite: "5",
          params: BEDROCK_CLAUDE_5,
          claude: CLAUDE_5_5,
        },
      ],
    }),
    model({
      id: "anthropic/claude-sonnet-5.5",
      name: "Anthropic: Claude Sonnet 5.5",
      created: "2026-10-07",
      description: "Claude Sonnet 5.5, Anthropic's balance of speed and intelligence, with adaptive thinking.",
      context: 1000000,
      tokenizer: "Claude",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "anthropic",
          id: "claude-sonnet-5-5",
          context: 1000000,
          maxOut: 128000,
          prompt: "2",
          completion: "10",
          cacheRead: "0.1",
          cacheWrite: "2.5",
          cacheWrite1h: "4",
          webSearch: ANTHROPIC_WEB_SEARCH,
          params: CLAUDE_5_PARAMS,
          claude: CLAUDE_5_5,
        },
        {
          provider: "amazon-bedrock",
          id: "global.anthropic.claude-sonnet-5-5",
          context: 1000000,
          maxOut: 128000,
          prompt: "2",
          completion: "10",
          cacheRead: "0.1",
          cacheWrite: "2.5",
          params: BEDROCK_CLAUDE_5,
          claude: CLAUDE_5_5,
        },
      ],
    }),
    model({
      id: "anthropic/claude-haiku-5.5",
      name: "Anthropic: Claude Haiku 5.5",
      created: "2026-10-07",
      description: "Claude Haiku 5.5, for high-volume, latency-sensitive classification, extraction and routing.",
      context: 1000000,
      tokenizer: "Claude",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "anthropic",
          id: "claude-haiku-5-5",
          context: 1000000,
          maxOut: 128000,
          prompt: "0.1",
          completion: "0.5",
          cacheRead: "0.01",
          cacheWrite: "0.125",
          cacheWrite1h: "0.2",
          // Prompts over 100,000 tokens (cache reads and writes counted) pay five times as much.
          tiers: [
            {
              minPrompt: 100000,
              prompt: "0.5",
              completion: "2.5",
              cacheRead: "0.05",
              cacheWrite: "0.625",
              cacheWrite1h: "1",
            },
          ],
          webSearch: ANTHROPIC_WEB_SEARCH,
          params: CLAUDE_5_PARAMS,
          claude: CLAUDE_HAIKU_5_5,
        },
        {
          provider: "amazon-bedrock",
          id: "global.anthropic.claude-haiku-5-5",
          context: 1000000,
          maxOut: 128000,
          prompt: "0.1",
          completion: "0.5",
          cacheRead: "0.01",
          cacheWrite: "0.125",
          tiers: [{ minPrompt: 100000, prompt: "0.5", completion: "2.5", cacheRead: "0.05", cacheWrite: "0.625" }],
          params: BEDROCK_CLAUDE_5,
          claude: CLAUDE_HAIKU_5_5,
        },
      ],
    }),
    // ── Google ──
    model({
      id: "google/gemini-2.5-flash-lite",
      name: "Google: Gemini 2.5 Flash Lite",
      created: "2025-07-22",
      description: "The lightest Gemini 2.5 model, for low latency and cost at scale.",
      context: 1048576,
      tokenizer: "Gemini",
      vision: true,
      files: true,
      endpoints: [
        {
          provider: "google-ai-studio",
          id: "gemini-2.5-flash-lite",
          context: 1048576,
          maxOut: 65535,
          prompt: "0.1",
          completion: "0.4",
          cacheRead: "0.025",
          params: GEMINI_THINKING,
          latencyMs: 400,
          tps: 200,
        },
      ],
    }),
    // Gemini 3: thinking is steered by level (`levels`: each model takes its own set, as Google's
    // model pages list them), not by budget; penalties are not taken (Google refuses them past
    // Gemini 2.0). Prices per Google's Gemini API pricing page (ai.google.dev/gemini-api/docs/pricing,
    // as transcribed 2026-10-07): output prices include thinking. Cache-read prices are left out
    // (none found on Google's page for these models): a cached token is billed as an input one.
    model({
      id: "google/gemini-3.1-pro-preview",
      name: "Google: Gemini 3.1 Pro Preview",
      created: "2026-02-19",
      description: "Gemini 3.1 Pro (preview), Google's deepest-reasoning Gemini 3 model for complex tasks and code.",
      context: 1048576,
      tokenizer: "Gemini",
      vision: true,
      inputs: GEMINI_3_INPUTS,
      endpoints: [
        {
          provider: "google-ai-studio",
          id: "gemini-3.1-pro-preview",
          context: 1048576,
          maxOut: 65536,
          // $2 in / $12 out a million; a prompt of more than 200k tokens $4 / $18, every token.
          prompt: "2",
          completion: "12",
          tiers: [{ minPrompt: 200000, prompt: "4", completion: "18" }],
          params: GEMINI_THINKING,
          // No MINIMAL: 3.1 Pro cannot stop thinking.
          levels: ["low", "medium", "high"],
          latencyMs: 2000,
          tps: 80,
        },
      ],
    }),
    model({
      id: "google/gemini-3.8-flash",
      name: "Google: Gemini 3.8 Flash",
      created: "2026-09-02",
      description: "Gemini 3.8 Flash, Google's agentic workhorse model: near-Pro reasoning and coding at Flash speed.",
      context: 1048576,
      tokenizer: "Gemini",
      vision: true,
      inputs: GEMINI_3_INPUTS,
      endpoints: [
        {
          provider: "google-ai-studio",
          id: "gemini-3.8-flash",
          context: 1048576,
          maxOut: 65536,
          // Google's list price: $1.50 in / $7.50 out a million. Google bills half that ($0.75 /
          // $3.75) as a launch promotion through 2026-12-31; a bundled catalog outlives four weeks,
          // so it carries the list price (an operator can put the promotional one in KV meanwhile).
          prompt: "1.5",
          completion: "7.5",
          params: GEMINI_THINKING,
          levels: ["low", "medium", "high"],
          latencyMs: 800,
          tps: 150,
        },
      ],
    }),
    model({
      id: "google/gemini-3.5-flash-lite",
      name: "Google: Gemini 3.5 Flash-Lite",
      created: "2026-07-21",
      description:
        "Gemini 3.5 Flash-Lite: the fastest, cheapest Gemini 3 model, for high-volume, latency-sensitive work.",
      context: 1048576,
      tokenizer: "Gemini",
      vision: true,
      inputs: GEMINI_3_INPUTS,
      endpoints: [
        {
          provider: "google-ai-studio",
          id: "gemini-3.5-flash-lite",
          context: 1048576,
          maxOut: 65536,
          // $0.30 a million in (text, image, video and audio alike), $2.50 out.
          prompt: "0.3",
          completion: "2.5",
          params: GEMINI_THINKING,
          levels: ["minimal", "low", "medium", "high"],
          latencyMs: 400,
          tps: 200,
        },
      ],
    }),
    // Gemini's image models ("Nano Banana"): replies with images when asked (`modalities`),
    // listed and priced as OpenRouter lists them. Google bills the text out at $2.50/M and a
    // generated image as 1290 tokens at $30/M ($0.039 an image); no tools, no thinking settings.
    model({
      id: "google/gemini-2.5-flash-image",
      name: "Google: Gemini 2.5 Flash Image",
      created: "2025-10-07",
      description: "Gemini 2.5 Flash Image (Nano Banana): generates and edits images in a conversation.",
      context: 32768,
      tokenizer: "Gemini",
      vision: true,
      drawsImages: true,
      endpoints: [
        {
          provider: "google-ai-studio",
          id: "gemini-2.5-flash-image",
          context: 32768,
          maxOut: 32768,
          prompt: "0.3",
          completion: "2.5",
          imageOutput: "30",
          params: GEMINI_IMAGE_PARAMS,
          latencyMs: 3000,
          tps: 100,
        },
      ],
    }),
    // ── Meta (open weights, several hosts) ──
    model({
      id: "meta-llama/llama-3.3-70b-instruct",
      name: "Meta: Llama 3.3 70B Instruct",
      created: "2024-12-06",
      description: "Meta's multilingual Llama 3.3 70B, tuned for dialogue, matching 3.1 405B on many tasks.",
      context: 131072,
      tokenizer: "Llama3",
      hf: "meta-llama/Llama-3.3-70B-Instruct",
      endpoints: [
        {
          provider: "together",
          id: "meta-llama/Llama-3.3-70B-Instruct-Turbo",
          context: 131072,
          maxOut: 131072,
          prompt: "0.88",
          completion: "0.88",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 500,
          tps: 90,
        },
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/llama-v3p3-70b-instruct",
          context: 131072,
          maxOut: 131072,
          prompt: "0.9",
          completion: "0.9",
          quantization: "fp16",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 450,
          tps: 100,
        },
        {
          provider: "deepinfra",
          id: "meta-llama/Llama-3.3-70B-Instruct",
          context: 131072,
          maxOut: 16384,
          prompt: "0.23",
          completion: "0.4",
          quantization: "bf16",
          params: OPEN_PARAMS,
          latencyMs: 600,
          tps: 35,
        },
      ],
    }),
    model({
      id: "meta-llama/llama-3.1-8b-instruct",
      name: "Meta: Llama 3.1 8B Instruct",
      created: "2024-07-23",
      description: "Meta's small Llama 3.1, fast and cheap for simple tasks.",
      context: 131072,
      tokenizer: "Llama3",
      hf: "meta-llama/Meta-Llama-3.1-8B-Instruct",
      endpoints: [
        {
          provider: "together",
          id: "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
          context: 131072,
          maxOut: 131072,
          prompt: "0.18",
          completion: "0.18",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 300,
          tps: 200,
        },
        {
          provider: "deepinfra",
          id: "meta-llama/Meta-Llama-3.1-8B-Instruct",
          context: 131072,
          maxOut: 16384,
          prompt: "0.03",
          completion: "0.05",
          quantization: "bf16",
          params: OPEN_PARAMS,
          latencyMs: 400,
          tps: 90,
        },
      ],
    }),
    model({
      id: "meta-llama/llama-3-8b-instruct",
      name: "Meta: Llama 3 8B Instruct",
      created: "2024-04-18",
      description: "The original Llama 3 8B with its 8k context window.",
      context: 8192,
      tokenizer: "Llama3",
      hf: "meta-llama/Meta-Llama-3-8B-Instruct",
      endpoints: [
        {
          provider: "deepinfra",
          id: "meta-llama/Meta-Llama-3-8B-Instruct",
          context: 8192,
          maxOut: 8192,
          prompt: "0.03",
          completion: "0.06",
          quantization: "bf16",
          params: OPEN_PARAMS,
          latencyMs: 400,
          tps: 90,
        },
      ],
    }),
    model({
      id: "meta-llama/llama-3.3-70b-instruct:free",
      name: "Meta: Llama 3.3 70B Instruct (free)",
      created: "2024-12-06",
      description: "Free, rate-limited access to Llama 3.3 70B Instruct.",
      context: 131072,
      tokenizer: "Llama3",
      hf: "meta-llama/Llama-3.3-70B-Instruct",
      endpoints: [
        {
          provider: "together",
          id: "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free",
          context: 131072,
          maxOut: 2048,
          prompt: "0",
          completion: "0",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 900,
          tps: 40,
        },
      ],
    }),
    model({
      id: "meta-llama/llama-3.1-405b-instruct",
      name: "Meta: Llama 3.1 405B Instruct",
      created: "2024-07-23",
      description: "Meta's largest Llama 3.1, a frontier-class open-weight model.",
      context: 131072,
      tokenizer: "Llama3",
      hf: "meta-llama/Meta-Llama-3.1-405B-Instruct",
      endpoints: [
        {
          provider: "together",
          id: "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
          context: 130815,
          maxOut: 4096,
          prompt: "3.5",
          completion: "3.5",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 900,
          tps: 30,
        },
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/llama-v3p1-405b-instruct",
          context: 131072,
          maxOut: 16384,
          prompt: "3",
          completion: "3",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 800,
          tps: 60,
        },
        {
          provider: "deepinfra",
          id: "meta-llama/Meta-Llama-3.1-405B-Instruct",
          context: 32768,
          maxOut: 16384,
          prompt: "0.8",
          completion: "0.8",
          quantization: "fp8",
          params: OPEN_PARAMS,
          latencyMs: 1000,
          tps: 20,
        },
      ],
    }),
    model({
      id: "meta-llama/llama-4-maverick",
      name: "Meta: Llama 4 Maverick",
      created: "2025-04-05",
      description: "Llama 4 Maverick: a 17B-active mixture-of-experts multimodal model with 128 experts.",
      context: 1048576,
      tokenizer: "Llama4",
      vision: true,
      hf: "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
      endpoints: [
        {
          provider: "together",
          id: "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
          context: 1048576,
          maxOut: 16384,
          prompt: "0.27",
          completion: "0.85",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 500,
          tps: 100,
        },
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/llama4-maverick-instruct-basic",
          context: 1048576,
          maxOut: 16384,
          prompt: "0.22",
          completion: "0.88",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 450,
          tps: 120,
        },
        {
          provider: "deepinfra",
          id: "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
          context: 1048576,
          maxOut: 16384,
          prompt: "0.15",
          completion: "0.6",
          quantization: "fp8",
          params: OPEN_PARAMS,
          latencyMs: 600,
          tps: 60,
        },
      ],
    }),
    model({
      id: "meta-llama/llama-4-scout",
      name: "Meta: Llama 4 Scout",
      created: "2025-04-05",
      description: "Llama 4 Scout: a 17B-active, 16-expert multimodal model with a very long context.",
      context: 327680,
      tokenizer: "Llama4",
      vision: true,
      hf: "meta-llama/Llama-4-Scout-17B-16E-Instruct",
      endpoints: [
        {
          provider: "together",
          id: "meta-llama/Llama-4-Scout-17B-16E-Instruct",
          context: 327680,
          maxOut: 16384,
          prompt: "0.18",
          completion: "0.59",
          quantization: "fp16",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 450,
          tps: 110,
        },
        {
          provider: "deepinfra",
          id: "meta-llama/Llama-4-Scout-17B-16E-Instruct",
          context: 327680,
          maxOut: 16384,
          prompt: "0.08",
          completion: "0.3",
          quantization: "bf16",
          params: OPEN_PARAMS,
          latencyMs: 550,
          tps: 70,
        },
      ],
    }),
    // ── Mistral ──
    model({
      id: "mistralai/mistral-medium-3-5",
      name: "Mistral: Mistral Medium 3.5",
      created: "2026-04-30",
      description:
        "Mistral Medium 3.5, a dense 128B open-weight model merging instruction following, reasoning and coding, with vision.",
      context: 262144,
      tokenizer: "Mistral",
      vision: true,
      hf: "mistralai/Mistral-Medium-3.5-128B",
      endpoints: [
        {
          provider: "mistral",
          id: "mistral-medium-3.5",
          context: 262144,
          maxOut: 256000,
          prompt: "1.5",
          completion: "7.5",
          cacheRead: "0.15",
          // Its reasoning effort (none | high) is not among the fields sent to Mistral: not claimed.
          params: MISTRAL_PARAMS,
        },
      ],
    }),
    model({
      id: "mistralai/mistral-large",
      name: "Mistral: Mistral Large",
      created: "2024-11-18",
      description: "Mistral's flagship model for complex reasoning, code and multilingual tasks.",
      context: 131072,
      tokenizer: "Mistral",
      endpoints: [
        {
          provider: "mistral",
          id: "mistral-large-latest",
          context: 131072,
          maxOut: null,
          prompt: "2",
          completion: "6",
          params: MISTRAL_PARAMS,
          latencyMs: 600,
          tps: 40,
        },
      ],
    }),
    model({
      id: "mistralai/mistral-small-3.1-24b-instruct",
      name: "Mistral: Mistral Small 3.1 24B",
      created: "2025-03-17",
      description: "Mistral Small 3.1, a 24B open-weight model with vision and a 128k context.",
      context: 131072,
      tokenizer: "Mistral",
      vision: true,
      hf: "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
      endpoints: [
        {
          provider: "mistral",
          id: "mistral-small-2503",
          context: 131072,
          maxOut: null,
          prompt: "0.1",
          completion: "0.3",
          params: MISTRAL_PARAMS,
          latencyMs: 400,
          tps: 90,
        },
        {
          provider: "deepinfra",
          id: "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
          context: 128000,
          maxOut: 16384,
          prompt: "0.05",
          completion: "0.1",
          quantization: "fp8",
          params: OPEN_PARAMS,
          latencyMs: 500,
          tps: 60,
        },
      ],
    }),
    model({
      id: "mistralai/mistral-nemo",
      name: "Mistral: Mistral Nemo",
      created: "2024-07-18",
      description: "A 12B open-weight model built with NVIDIA, multilingual with a 128k context.",
      context: 131072,
      tokenizer: "Mistral",
      hf: "mistralai/Mistral-Nemo-Instruct-2407",
      endpoints: [
        {
          provider: "mistral",
          id: "open-mistral-nemo",
          context: 131072,
          maxOut: null,
          prompt: "0.15",
          completion: "0.15",
          params: MISTRAL_PARAMS,
          latencyMs: 350,
          tps: 110,
        },
        {
          provider: "deepinfra",
          id: "mistralai/Mistral-Nemo-Instruct-2407",
          context: 131072,
          maxOut: 16384,
          prompt: "0.02",
          completion: "0.04",
          quantization: "bf16",
          params: OPEN_PARAMS,
          latencyMs: 450,
          tps: 70,
        },
      ],
    }),
    // ── DeepSeek ──
    model({
      id: "deepseek/deepseek-chat-v3-0324",
      distillable: true,
      name: "DeepSeek: DeepSeek V3 0324",
      created: "2025-03-24",
      description: "DeepSeek V3, a 685B mixture-of-experts chat model (March 2025 update).",
      context: 163840,
      tokenizer: "DeepSeek",
      hf: "deepseek-ai/DeepSeek-V3-0324",
      endpoints: [
        {
          provider: "together",
          id: "deepseek-ai/DeepSeek-V3",
          context: 131072,
          maxOut: 12288,
          prompt: "1.25",
          completion: "1.25",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 700,
          tps: 60,
        },
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/deepseek-v3-0324",
          context: 163840,
          maxOut: 163840,
          prompt: "0.9",
          completion: "0.9",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 650,
          tps: 70,
        },
        {
          provider: "deepinfra",
          id: "deepseek-ai/DeepSeek-V3-0324",
          context: 163840,
          maxOut: 16384,
          prompt: "0.28",
          completion: "0.88",
          quantization: "fp8",
          params: OPEN_PARAMS,
          latencyMs: 900,
          tps: 30,
        },
      ],
    }),
    model({
      id: "deepseek/deepseek-r1",
      distillable: true,
      name: "DeepSeek: R1",
      created: "2025-01-20",
      description: "DeepSeek R1, an open reasoning model on par with OpenAI o1, with visible reasoning.",
      context: 163840,
      tokenizer: "DeepSeek",
      hf: "deepseek-ai/DeepSeek-R1",
      endpoints: [
        {
          provider: "together",
          id: "deepseek-ai/DeepSeek-R1",
          context: 163840,
          maxOut: 32768,
          prompt: "3",
          completion: "7",
          quantization: "fp8",
          params: R1_PARAMS,
          latencyMs: 1500,
          tps: 60,
        },
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/deepseek-r1",
          context: 163840,
          maxOut: 163840,
          prompt: "3",
          completion: "8",
          quantization: "fp8",
          params: R1_PARAMS,
          latencyMs: 1400,
          tps: 70,
        },
        {
          provider: "deepinfra",
          id: "deepseek-ai/DeepSeek-R1",
          context: 163840,
          maxOut: 16384,
          prompt: "0.7",
          completion: "2.4",
          quantization: "fp8",
          params: R1_PARAMS,
          latencyMs: 2000,
          tps: 30,
        },
      ],
    }),
    // ── Qwen ──
    model({
      id: "qwen/qwen-2.5-72b-instruct",
      name: "Qwen2.5 72B Instruct",
      created: "2024-09-19",
      description: "Alibaba's Qwen2.5 72B, strong at coding, maths and structured output.",
      context: 32768,
      tokenizer: "Qwen",
      hf: "Qwen/Qwen2.5-72B-Instruct",
      endpoints: [
        {
          provider: "together",
          id: "Qwen/Qwen2.5-72B-Instruct-Turbo",
          context: 32768,
          maxOut: 8192,
          prompt: "1.2",
          completion: "1.2",
          quantization: "fp8",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 500,
          tps: 70,
        },
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/qwen2p5-72b-instruct",
          context: 32768,
          maxOut: 16384,
          prompt: "0.9",
          completion: "0.9",
          quantization: "fp16",
          params: OPEN_SCHEMA_PARAMS,
          latencyMs: 450,
          tps: 80,
        },
        {
          provider: "deepinfra",
          id: "Qwen/Qwen2.5-72B-Instruct",
          context: 32768,
          maxOut: 16384,
          prompt: "0.12",
          completion: "0.39",
          quantization: "fp8",
          params: OPEN_PARAMS,
          latencyMs: 600,
          tps: 35,
        },
      ],
    }),
    model({
      id: "qwen/qwen3-235b-a22b",
      name: "Qwen: Qwen3 235B A22B",
      created: "2025-04-28",
      description: "Qwen3's flagship mixture-of-experts model (22B active) with thinking and non-thinking modes.",
      context: 131072,
      tokenizer: "Qwen3",
      hf: "Qwen/Qwen3-235B-A22B",
      endpoints: [
        {
          provider: "together",
          id: "Qwen/Qwen3-235B-A22B-fp8-tput",
          context: 40960,
          maxOut: 16384,
          prompt: "0.2",
          completion: "0.6",
          quantization: "fp8",
          params: [...OPEN_SCHEMA_PARAMS, "reasoning", "include_reasoning"],
          latencyMs: 700,
          tps: 50,
        },
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/qwen3-235b-a22b",
          context: 131072,
          maxOut: 131072,
          prompt: "0.22",
          completion: "0.88",
          quantization: "fp8",
          params: [...OPEN_SCHEMA_PARAMS, "reasoning", "include_reasoning"],
          latencyMs: 600,
          tps: 70,
        },
        {
          provider: "deepinfra",
          id: "Qwen/Qwen3-235B-A22B",
          context: 40960,
          maxOut: 16384,
          prompt: "0.13",
          completion: "0.6",
          quantization: "fp8",
          params: [...OPEN_PARAMS, "reasoning", "include_reasoning"],
          latencyMs: 800,
          tps: 30,
        },
        {
          provider: "alibaba",
          id: "qwen3-235b-a22b",
          context: 131072,
          maxOut: 16384,
          prompt: "0.7",
          completion: "2.8",
          params: [...CHAT, ...TOOLS.slice(0, 2), "response_format", "reasoning", "include_reasoning"],
          latencyMs: 900,
          tps: 40,
        },
      ],
    }),
    model({
      id: "qwen/qwen3-32b",
      name: "Qwen: Qwen3 32B",
      created: "2025-04-28",
      description: "A dense 32B Qwen3 model with switchable thinking.",
      context: 131072,
      tokenizer: "Qwen3",
      hf: "Qwen/Qwen3-32B",
      endpoints: [
        {
          provider: "deepinfra",
          id: "Qwen/Qwen3-32B",
          context: 40960,
          maxOut: 16384,
          prompt: "0.1",
          completion: "0.3",
          quantization: "bf16",
          params: [...OPEN_PARAMS, "reasoning", "include_reasoning"],
          latencyMs: 600,
          tps: 45,
        },
      ],
    }),
    // ── Z.ai ──
    model({
      id: "z-ai/glm-5.2",
      name: "Z.ai: GLM 5.2",
      created: "2026-06-16",
      description:
        "GLM-5.2, Z.ai's 753B mixture-of-experts open-weight model (MIT) for agentic coding, with a 1M-token context.",
      context: 1048576,
      tokenizer: "Other",
      endpoints: [
        {
          provider: "fireworks",
          id: "accounts/fireworks/models/glm-5p2",
          context: 1048576,
          maxOut: null,
          prompt: "1.4",
          completion: "4.4",
          quantization: "fp8",
          params: [...OPEN_SCHEMA_PARAMS, "reasoning", "include_reasoning"],
        },
      ],
    }),
    // ── xAI ──
    model({
      id: "x-ai/grok-3-mini",
      name: "xAI: Grok 3 Mini",
      created: "2025-02-17",
      description: "A small Grok 3 that thinks before responding, with visible reasoning traces.",
      context: 131072,
      tokenizer: "Grok",
      endpoints: [
        {
          provider: "xai",
          id: "grok-3-mini",
          context: 131072,
          maxOut: null,
          prompt: "0.3",
          completion: "0.5",
          cacheRead: "0.075",
          // xAI's reasoning models reject presence/frequency penalties and stop sequences.
          params: [
            "max_tokens",
            "temperature",
            "top_p",
            "seed",
            ...TOOLS,
            ...JSON_OUT,
            "reasoning",
            "include_reasoning",
          ],
          latencyMs: 600,
          tps: 90,
        },
      ],
    }),
    model({
      id: "x-ai/grok-4.3",
      name: "xAI: Grok 4.3",
      created: "2026-04-30",
      description: "Grok 4.3, xAI's reasoning model with image input, tool use and a 1M-token context.",
      context: 1000000,
      tokenizer: "Grok",
      vision: true,
      endpoints: [
        {
          provider: "xai",
          id: "grok-4.3",
          context: 1000000,
          maxOut: null,
          prompt: "1.25",
          completion: "2.5",
          cacheRead: "0.2",
          // xAI bills a request of more than 200k tokens at its long-context rates: input twice the
          // base, output at the same multiple of input.
          tiers: [{ minPrompt: 200000, prompt: "2.5", completion: "5" }],
          // Takes a reasoning effort (none, low, medium, high); as xAI's other reasoning models, no
          // penalties or stop sequences.
          params: [
            "max_tokens",
            "temperature",
            "top_p",
            "seed",
            ...TOOLS,
            ...JSON_OUT,
            "reasoning",
            "include_reasoning",
          ],
        },
      ],
    }),
    // ── Perplexity ──
    model({
      id: "perplexity/sonar",
      name: "Perplexity: Sonar",
      created: "2025-01-27",
      description: "Perplexity's lightweight search-grounded model: answers cite their web sources.",
      context: 127072,
      tokenizer: "Other",
      endpoints: [
        {
          provider: "perplexity",
          id: "sonar",
          context: 127072,
          maxOut: null,
          prompt: "1",
          completion: "1",
          // Perplexity bills every Sonar request a search fee on top of its tokens: $5 per 1000
          // at the default (low) search context, the only one the gateway asks for.
          request: "0.005",
          // No tool calling, seed or stop at Perplexity.
          params: [
            "max_tokens",
            "temperature",
            "top_p",
            "top_k",
            "frequency_penalty",
            "presence_penalty",
            "response_format",
            "structured_outputs",
          ],
          latencyMs: 1500,
          tps: 80,
        },
      ],
    }),
    // ── Cohere ──
    model({
      id: "cohere/command-a",
      name: "Cohere: Command A",
      created: "2025-03-13",
      description: "Cohere's Command A, built for agentic enterprise tasks, tool use and RAG.",
      context: 256000,
      tokenizer: "Cohere",
      endpoints: [
        {
          provider: "cohere",
          id: "command-a-03-2025",
          context: 256000,
          maxOut: 8192,
          prompt: "2.5",
          completion: "10",
          params: [...CHAT, "top_k", ...TOOLS.slice(0, 2), ...JSON_OUT],
          latencyMs: 700,
          tps: 60,
        },
      ],
    }),
    model({
      id: "cohere/command-r-plus-08-2024",
      name: "Cohere: Command R+ (08-2024)",
      created: "2024-08-30",
      description: "Command R+ for complex RAG and multi-step tool use.",
      context: 128000,
      tokenizer: "Cohere",
      endpoints: [
        {
          provider: "cohere",
          id: "command-r-plus-08-2024",
          context: 128000,
          maxOut: 4000,
          prompt: "2.5",
          completion: "10",
          params: [...CHAT, "top_k", ...TOOLS.slice(0, 2), ...JSON_OUT],
          latencyMs: 700,
          tps: 50,
        },
      ],
    }),
    // ── Speech-to-text (POST /audio/transcriptions) ──
    // Token-priced as OpenRouter lists them (input, i.e. the audio, and output text per million).
    // Context and output limits are OpenAI's (16,000 and 2,000): the hold is the whole context at
    // the input price plus the whole output at the output price (generation/transcriptions.ts).
    model({
      id: "openai/gpt-4o-transcribe",
      name: "OpenAI: GPT-4o Transcribe",
      created: "2025-03-20",
      description: "OpenAI's speech-to-text model built on GPT-4o, priced per audio input token and text output token.",
      expires: GPT_4O_TRANSCRIBE_SHUTDOWN,
      context: 16000,
      tokenizer: "GPT",
      kind: "transcription",
      endpoints: [
        {
          provider: "openai",
          id: "gpt-4o-transcribe",
          context: 16000,
          maxOut: 2000,
          prompt: "2.5",
          completion: "10",
          params: ["language", "prompt", "temperature"],
        },
      ],
    }),
    model({
      id: "openai/gpt-4o-mini-transcribe",
      name: "OpenAI: GPT-4o Mini Transcribe",
      created: "2025-03-20",
      description: "OpenAI's smaller, cheaper speech-to-text model built on GPT-4o mini, priced per token.",
      expires: GPT_4O_TRANSCRIBE_SHUTDOWN,
      context: 16000,
      tokenizer: "GPT",
      kind: "transcription",
      endpoints: [
        {
          provider: "openai",
          id: "gpt-4o-mini-transcribe",
          context: 16000,
          maxOut: 2000,
          prompt: "1.25",
          completion: "5",
          params: ["language", "prompt", "temperature"],
        },
      ],
    }),
    // ── Text-to-speech (POST /audio/speech) ──
    // OpenRouter prices it per character of input ($0.60 per million), so `prompt` is per
    // character here and the context (4,096) is OpenAI's limit on the input, in characters.
    model({
      id: "openai/gpt-4o-mini-tts-2025-12-15",
      name: "OpenAI: GPT-4o Mini TTS",
      created: "2025-12-15",
      description: "OpenAI's cost-efficient text-to-speech model, with a choice of voices and tones.",
      context: 4096,
      tokenizer: "GPT",
      kind: "speech",
      endpoints: [
        {
          provider: "openai",
          id: "gpt-4o-mini-tts-2025-12-15",
          context: 4096,
          maxOut: null,
          prompt: "0.6",
          completion: "0",
          params: ["voice", "speed", "response_format", "instructions"],
        },
      ],
    }),
    // ── Embeddings ──
    model({
      id: "openai/text-embedding-3-small",
      name: "OpenAI: Text Embedding 3 Small",
      created: "2024-01-25",
      description: "OpenAI's small, efficient embedding model.",
      context: 8192,
      tokenizer: "GPT",
      kind: "embedding",
      endpoints: [
        {
          provider: "openai",
          id: "text-embedding-3-small",
          context: 8192,
          maxOut: null,
          prompt: "0.02",
          completion: "0",
          params: ["dimensions", "encoding_format"],
        },
        {
          provider: "azure",
          id: "text-embedding-3-small",
          context: 8192,
          maxOut: null,
          prompt: "0.02",
          completion: "0",
          params: ["dimensions", "encoding_format"],
        },
      ],
    }),
    model({
      id: "openai/text-embedding-3-large",
      name: "OpenAI: Text Embedding 3 Large",
      created: "2024-01-25",
      description: "OpenAI's most capable embedding model.",
      context: 8192,
      tokenizer: "GPT",
      kind: "embedding",
      endpoints: [
        {
          provider: "openai",
          id: "text-embedding-3-large",
          context: 8192,
          maxOut: null,
          prompt: "0.13",
          completion: "0",
          params: ["dimensions", "encoding_format"],
        },
      ],
    }),
    model({
      id: "google/gemini-embedding-001",
      name: "Google: Gemini Embedding 001",
      created: "2025-07-14",
      description: "Google's Gemini embedding model, multilingual with flexible dimensions.",
      context: 2048,
      tokenizer: "Gemini",
      kind: "embedding",
      endpoints: [
        {
          provider: "google-ai-studio",
          id: "gemini-embedding-001",
          context: 2048,
          maxOut: null,
          prompt: "0.15",
          completion: "0",
          params: ["dimensions", "input_type"],
        },
      ],
    }),
    model({
      id: "cohere/embed-v4.0",
      name: "Cohere: Embed v4",
      created: "2025-04-15",
      description: "Cohere's multimodal, multilingual embedding model.",
      context: 128000,
      tokenizer: "Cohere",
      kind: "embedding",
      endpoints: [
        {
          provider: "cohere",
          id: "embed-v4.0",
          context: 128000,
          maxOut: null,
          prompt: "0.12",
          completion: "0",
          params: ["dimensions", "input_type"],
        },
      ],
    }),
    model({
      id: "amazon/titan-embed-text-v2",
      name: "Amazon: Titan Text Embeddings V2",
      created: "2024-04-30",
      description: "Amazon's Titan text embeddings with 256, 512 or 1024 dimensions.",
      context: 8192,
      tokenizer: "Other",
      kind: "embedding",
      endpoints: [
        {
          provider: "amazon-bedrock",
          id: "amazon.titan-embed-text-v2:0",
          context: 8192,
          maxOut: null,
          prompt: "0.02",
          completion: "0",
          params: ["dimensions"],
        },
      ],
    }),
    // ── Rerank (POST /rerank). Cohere bills per search unit (one query with up to 100 documents;
    // a document over 500 tokens with the query counts once per chunk): $2.00 per 1,000 searches
    // for Rerank 3.5 and 3.0, as OpenRouter lists it. Rerank 3.5 is also served by Amazon
    // Bedrock (InvokeModel), at the same price per query.
    model({
      id: "cohere/rerank-v3.5",
      name: "Cohere: Rerank v3.5",
      created: "2024-12-02",
      description:
        "Rerank v3.5 reorders search results by relevance to a query, over 100+ languages, semi-structured data included.",
      context: 4096,
      tokenizer: "Cohere",
      kind: "rerank",
      endpoints: [
        {
          provider: "cohere",
          id: "rerank-v3.5",
          context: 4096,
          maxOut: null,
          prompt: "0",
          completion: "0",
          searchUnit: "0.002",
          params: ["top_n"],
        },
        {
          provider: "amazon-bedrock",
          id: "cohere.rerank-v3-5:0",
          context: 4096,
          maxOut: null,
          prompt: "0",
          completion: "0",
          searchUnit: "0.002",
          params: ["top_n"],
        },
      ],
    }),
    model({
      id: "cohere/rerank-english-v3.0",
      name: "Cohere: Rerank English v3.0",
      created: "2024-04-11",
      description: "Cohere's English reranker of the Rerank 3 generation.",
      context: 4096,
      tokenizer: "Cohere",
      kind: "rerank",
      endpoints: [
        {
          provider: "cohere",
          id: "rerank-english-v3.0",
          context: 4096,
          maxOut: null,
          prompt: "0",
          completion: "0",
          searchUnit: "0.002",
          params: ["top_n"],
        },
      ],
    }),
    model({
      id: "cohere/rerank-multilingual-v3.0",
      name: "Cohere: Rerank Multilingual v3.0",
      created: "2024-04-11",
      description: "Cohere's multilingual reranker of the Rerank 3 generation.",
      context: 4096,
      tokenizer: "Cohere",
      kind: "rerank",
      endpoints: [
        {
          provider: "cohere",
          id: "rerank-multilingual-v3.0",
          context: 4096,
          maxOut: null,
          prompt: "0",
          completion: "0",
          searchUnit: "0.002",
          params: ["top_n"],
        },
      ],
    }),
  ],
};

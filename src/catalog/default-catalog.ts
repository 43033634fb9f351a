import type { CatalogInput, ModelInput } from "./types";

/**
 * The bundled catalog: real models, context lengths and list prices (USD per token, decimal
 * strings) as the providers publish them. Operators replace it through KV (see README).
 * Prices are written per million tokens below for readability and converted exactly.
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
const OPENAI_REASONING = ["max_tokens", "seed", ...TOOLS, ...JSON_OUT, "reasoning", "include_reasoning"];
const ANTHROPIC_PARAMS = ["max_tokens", "temperature", "top_p", "top_k", "stop", ...TOOLS.slice(0, 2)];
const ANTHROPIC_THINKING = [...ANTHROPIC_PARAMS, "reasoning", "include_reasoning"];
const GEMINI_PARAMS = [...CHAT, "top_k", ...TOOLS.slice(0, 2), ...JSON_OUT];
const GEMINI_THINKING = [...GEMINI_PARAMS, "reasoning", "include_reasoning"];
const OPEN_PARAMS = [...CHAT, "top_k", "repetition_penalty", "min_p", ...TOOLS, "response_format"];
const GROQ_PARAMS = [...CHAT, ...TOOLS, "response_format"];
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
  tag?: string;
  latencyMs?: number;
  tps?: number;
}

const endpoint = (e: EndpointSpec) => ({
  provider: e.provider,
  provider_model_id: e.id,
  ...(e.tag ? { tag: e.tag } : {}),
  context_length: e.context,
  max_completion_tokens: e.maxOut,
  quantization: e.quantization ?? null,
  pricing: {
    prompt: perMillion(e.prompt),
    completion: perMillion(e.completion),
    ...(e.cacheRead ? { input_cache_read: perMillion(e.cacheRead) } : {}),
    ...(e.cacheWrite ? { input_cache_write: perMillion(e.cacheWrite) } : {}),
  },
  supported_parameters: e.params,
  ...(e.latencyMs ? { latency_ms: e.latencyMs } : {}),
  ...(e.tps ? { throughput_tps: e.tps } : {}),
});

interface ModelSpec {
  id: string;
  name: string;
  created: string;
  description: string;
  context: number;
  tokenizer: string;
  vision?: boolean;
  hf?: string;
  kind?: "chat" | "embedding";
  endpoints: EndpointSpec[];
}

const model = (m: ModelSpec): ModelInput => ({
  id: m.id,
  canonical_slug: m.id,
  name: m.name,
  created: Math.floor(Date.parse(`${m.created}T00:00:00Z`) / 1000),
  description: m.description,
  context_length: m.context,
  kind: m.kind ?? "chat",
  architecture: {
    modality: m.kind === "embedding" ? "text->embeddings" : m.vision ? "text+image->text" : "text->text",
    input_modalities: m.vision ? ["text", "image"] : ["text"],
    output_modalities: m.kind === "embedding" ? ["embeddings"] : ["text"],
    tokenizer: m.tokenizer,
    instruct_type: null,
  },
  hugging_face_id: m.hf ?? null,
  endpoints: m.endpoints.map(endpoint),
});

const policy = (training: boolean, retains: boolean, zdr = false) => ({ training, retains_prompts: retains, zdr });

export const defaultCatalog: CatalogInput = {
  providers: [
    { slug: "openai", name: "OpenAI", adapter: "openai", base_url: "https://api.openai.com/v1", api_key_env: "OPENAI_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://openai.com/policies/privacy-policy/", terms_of_service_url: "https://openai.com/policies/terms-of-use/", status_page_url: "https://status.openai.com/", headquarters: "US" },
    { slug: "azure", name: "Azure", adapter: "azure", base_url: "https://your-resource.openai.azure.com/openai", api_key_env: "AZURE_OPENAI_API_KEY", data_policy: policy(false, false, true), privacy_policy_url: "https://www.microsoft.com/en-us/privacy/privacystatement", terms_of_service_url: "https://www.microsoft.com/en-us/legal/terms-of-use", status_page_url: "https://status.azure.com/", headquarters: "US" },
    { slug: "anthropic", name: "Anthropic", adapter: "anthropic", base_url: "https://api.anthropic.com", api_key_env: "ANTHROPIC_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://www.anthropic.com/legal/privacy", terms_of_service_url: "https://www.anthropic.com/legal/commercial-terms", status_page_url: "https://status.anthropic.com/", headquarters: "US" },
    { slug: "amazon-bedrock", name: "Amazon Bedrock", adapter: "bedrock", base_url: "https://bedrock-runtime.us-east-1.amazonaws.com", api_key_env: "AWS_ACCESS_KEY_ID", data_policy: policy(false, false, true), privacy_policy_url: "https://aws.amazon.com/privacy/", terms_of_service_url: "https://aws.amazon.com/service-terms/", status_page_url: "https://health.aws.amazon.com/health/status", headquarters: "US" },
    { slug: "google-ai-studio", name: "Google AI Studio", adapter: "google", base_url: "https://generativelanguage.googleapis.com/v1beta", api_key_env: "GEMINI_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://policies.google.com/privacy", terms_of_service_url: "https://ai.google.dev/gemini-api/terms", status_page_url: "https://aistudio.google.com/status", headquarters: "US" },
    { slug: "mistral", name: "Mistral", adapter: "openai", base_url: "https://api.mistral.ai/v1", api_key_env: "MISTRAL_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://mistral.ai/terms/#privacy-policy", terms_of_service_url: "https://mistral.ai/terms/", status_page_url: "https://status.mistral.ai/", headquarters: "FR" },
    { slug: "deepseek", name: "DeepSeek", adapter: "openai", base_url: "https://api.deepseek.com/v1", api_key_env: "DEEPSEEK_API_KEY", data_policy: policy(true, true), privacy_policy_url: "https://cdn.deepseek.com/policies/en-US/deepseek-privacy-policy.html", terms_of_service_url: "https://cdn.deepseek.com/policies/en-US/deepseek-terms-of-use.html", status_page_url: "https://status.deepseek.com/", headquarters: "CN" },
    { slug: "xai", name: "xAI", adapter: "openai", base_url: "https://api.x.ai/v1", api_key_env: "XAI_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://x.ai/legal/privacy-policy", terms_of_service_url: "https://x.ai/legal/terms-of-service", status_page_url: "https://status.x.ai/", headquarters: "US" },
    { slug: "together", name: "Together", adapter: "openai", base_url: "https://api.together.xyz/v1", api_key_env: "TOGETHER_API_KEY", data_policy: policy(false, false, true), privacy_policy_url: "https://www.together.ai/privacy", terms_of_service_url: "https://www.together.ai/terms-of-service", status_page_url: "https://status.together.ai/", headquarters: "US" },
    { slug: "fireworks", name: "Fireworks", adapter: "openai", base_url: "https://api.fireworks.ai/inference/v1", api_key_env: "FIREWORKS_API_KEY", data_policy: policy(false, false, true), privacy_policy_url: "https://fireworks.ai/privacy-policy", terms_of_service_url: "https://fireworks.ai/terms-of-service", status_page_url: "https://status.fireworks.ai/", headquarters: "US" },
    { slug: "groq", name: "Groq", adapter: "openai", base_url: "https://api.groq.com/openai/v1", api_key_env: "GROQ_API_KEY", data_policy: policy(false, false, true), privacy_policy_url: "https://groq.com/privacy-policy/", terms_of_service_url: "https://groq.com/terms-of-use/", status_page_url: "https://groqstatus.com/", headquarters: "US" },
    { slug: "deepinfra", name: "DeepInfra", adapter: "openai", base_url: "https://api.deepinfra.com/v1/openai", api_key_env: "DEEPINFRA_API_KEY", data_policy: policy(false, false, true), privacy_policy_url: "https://deepinfra.com/privacy", terms_of_service_url: "https://deepinfra.com/terms", status_page_url: "https://status.deepinfra.com/", headquarters: "US" },
    { slug: "perplexity", name: "Perplexity", adapter: "openai", base_url: "https://api.perplexity.ai", api_key_env: "PERPLEXITY_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://www.perplexity.ai/hub/legal/privacy-policy", terms_of_service_url: "https://www.perplexity.ai/hub/legal/terms-of-service", status_page_url: "https://status.perplexity.com/", headquarters: "US" },
    { slug: "alibaba", name: "Alibaba", adapter: "openai", base_url: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", api_key_env: "DASHSCOPE_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://www.alibabacloud.com/help/en/legal/latest/alibaba-cloud-international-website-privacy-policy", terms_of_service_url: "https://www.alibabacloud.com/help/en/legal/latest/alibaba-cloud-international-website-product-terms-of-service-v-3-8-0", status_page_url: null, headquarters: "CN" },
    { slug: "cohere", name: "Cohere", adapter: "cohere", base_url: "https://api.cohere.com", api_key_env: "COHERE_API_KEY", data_policy: policy(false, true), privacy_policy_url: "https://cohere.com/privacy", terms_of_service_url: "https://cohere.com/terms-of-use", status_page_url: "https://status.cohere.com/", headquarters: "CA" },
  ],
  auto_models: ["openai/gpt-4o-mini", "anthropic/claude-3.5-haiku", "google/gemini-2.0-flash-001"],
  models: [
    // ── OpenAI ──
    model({ id: "openai/gpt-4o", name: "OpenAI: GPT-4o", created: "2024-05-13", description: "OpenAI's flagship multimodal model of 2024: text and image input, fast and capable.", context: 128000, tokenizer: "GPT", vision: true, endpoints: [
      { provider: "openai", id: "gpt-4o", context: 128000, maxOut: 16384, prompt: "2.5", completion: "10", cacheRead: "1.25", params: OPENAI_PARAMS, latencyMs: 500, tps: 90 },
      { provider: "azure", id: "gpt-4o", context: 128000, maxOut: 16384, prompt: "2.5", completion: "10", params: OPENAI_PARAMS, latencyMs: 600, tps: 80 },
    ] }),
    model({ id: "openai/gpt-4o-mini", name: "OpenAI: GPT-4o-mini", created: "2024-07-18", description: "A small, cheap multimodal model from OpenAI that outperforms GPT-3.5 Turbo.", context: 128000, tokenizer: "GPT", vision: true, endpoints: [
      { provider: "openai", id: "gpt-4o-mini", context: 128000, maxOut: 16384, prompt: "0.15", completion: "0.6", cacheRead: "0.075", params: OPENAI_PARAMS, latencyMs: 400, tps: 80 },
    ] }),
    model({ id: "openai/gpt-4.1", name: "OpenAI: GPT-4.1", created: "2025-04-14", description: "OpenAI's GPT-4.1: stronger coding and instruction following with a one-million-token context.", context: 1047576, tokenizer: "GPT", vision: true, endpoints: [
      { provider: "openai", id: "gpt-4.1", context: 1047576, maxOut: 32768, prompt: "2", completion: "8", cacheRead: "0.5", params: OPENAI_PARAMS, latencyMs: 600, tps: 70 },
    ] }),
    model({ id: "openai/gpt-4.1-mini", name: "OpenAI: GPT-4.1 Mini", created: "2025-04-14", description: "A mid-sized GPT-4.1 with a one-million-token context at low latency and cost.", context: 1047576, tokenizer: "GPT", vision: true, endpoints: [
      { provider: "openai", id: "gpt-4.1-mini", context: 1047576, maxOut: 32768, prompt: "0.4", completion: "1.6", cacheRead: "0.1", params: OPENAI_PARAMS, latencyMs: 450, tps: 90 },
    ] }),
    model({ id: "openai/gpt-4.1-nano", name: "OpenAI: GPT-4.1 Nano", created: "2025-04-14", description: "The fastest and cheapest GPT-4.1, for classification and autocompletion.", context: 1047576, tokenizer: "GPT", vision: true, endpoints: [
      { provider: "openai", id: "gpt-4.1-nano", context: 1047576, maxOut: 32768, prompt: "0.1", completion: "0.4", cacheRead: "0.025", params: OPENAI_PARAMS, latencyMs: 350, tps: 130 },
    ] }),
    model({ id: "openai/o4-mini", name: "OpenAI: o4 Mini", created: "2025-04-16", description: "A compact reasoning model optimised for fast, cost-efficient reasoning with tools and vision.", context: 200000, tokenizer: "GPT", vision: true, endpoints: [
      { provider: "openai", id: "o4-mini", context: 200000, maxOut: 100000, prompt: "1.1", completion: "4.4", cacheRead: "0.275", params: OPENAI_REASONING, latencyMs: 2000, tps: 100 },
    ] }),
    model({ id: "openai/o3-mini", name: "OpenAI: o3 Mini", created: "2025-01-31", description: "A cost-efficient reasoning model for STEM tasks with adjustable reasoning effort.", context: 200000, tokenizer: "GPT", endpoints: [
      { provider: "openai", id: "o3-mini", context: 200000, maxOut: 100000, prompt: "1.1", completion: "4.4", cacheRead: "0.55", params: OPENAI_REASONING, latencyMs: 2000, tps: 110 },
    ] }),
    // ── Anthropic ──
    model({ id: "anthropic/claude-3.5-haiku", name: "Anthropic: Claude 3.5 Haiku", created: "2024-11-04", description: "Anthropic's fastest model of the 3.5 family, for quick, accurate responses.", context: 200000, tokenizer: "Claude", vision: true, endpoints: [
      { provider: "anthropic", id: "claude-3-5-haiku-20241022", context: 200000, maxOut: 8192, prompt: "0.8", completion: "4", cacheRead: "0.08", cacheWrite: "1", params: ANTHROPIC_PARAMS, latencyMs: 700, tps: 60 },
      { provider: "amazon-bedrock", id: "anthropic.claude-3-5-haiku-20241022-v1:0", context: 200000, maxOut: 8192, prompt: "0.8", completion: "4", params: ANTHROPIC_PARAMS, latencyMs: 900, tps: 55 },
    ] }),
    model({ id: "anthropic/claude-3.7-sonnet", name: "Anthropic: Claude 3.7 Sonnet", created: "2025-02-24", description: "Claude 3.7 Sonnet, a hybrid reasoning model with optional extended thinking.", context: 200000, tokenizer: "Claude", vision: true, endpoints: [
      { provider: "anthropic", id: "claude-3-7-sonnet-20250219", context: 200000, maxOut: 64000, prompt: "3", completion: "15", cacheRead: "0.3", cacheWrite: "3.75", params: ANTHROPIC_THINKING, latencyMs: 1200, tps: 55 },
      { provider: "amazon-bedrock", id: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", context: 200000, maxOut: 64000, prompt: "3", completion: "15", params: ANTHROPIC_THINKING, latencyMs: 1400, tps: 50 },
    ] }),
    model({ id: "anthropic/claude-sonnet-4", name: "Anthropic: Claude Sonnet 4", created: "2025-05-22", description: "Claude Sonnet 4: strong coding and reasoning with extended thinking and tool use.", context: 200000, tokenizer: "Claude", vision: true, endpoints: [
      { provider: "anthropic", id: "claude-sonnet-4-20250514", context: 200000, maxOut: 64000, prompt: "3", completion: "15", cacheRead: "0.3", cacheWrite: "3.75", params: ANTHROPIC_THINKING, latencyMs: 1300, tps: 55 },
      { provider: "amazon-bedrock", id: "us.anthropic.claude-sonnet-4-20250514-v1:0", context: 200000, maxOut: 64000, prompt: "3", completion: "15", params: ANTHROPIC_THINKING, latencyMs: 1500, tps: 50 },
    ] }),
    model({ id: "anthropic/claude-opus-4", name: "Anthropic: Claude Opus 4", created: "2025-05-22", description: "Claude Opus 4, Anthropic's most capable model of its generation for long agentic work.", context: 200000, tokenizer: "Claude", vision: true, endpoints: [
      { provider: "anthropic", id: "claude-opus-4-20250514", context: 200000, maxOut: 32000, prompt: "15", completion: "75", cacheRead: "1.5", cacheWrite: "18.75", params: ANTHROPIC_THINKING, latencyMs: 2000, tps: 35 },
      { provider: "amazon-bedrock", id: "us.anthropic.claude-opus-4-20250514-v1:0", context: 200000, maxOut: 32000, prompt: "15", completion: "75", params: ANTHROPIC_THINKING, latencyMs: 2200, tps: 30 },
    ] }),
    // ── Google ──
    model({ id: "google/gemini-2.0-flash-001", name: "Google: Gemini 2.0 Flash", created: "2025-02-05", description: "Gemini 2.0 Flash: fast multimodal model with a one-million-token context.", context: 1048576, tokenizer: "Gemini", vision: true, endpoints: [
      { provider: "google-ai-studio", id: "gemini-2.0-flash-001", context: 1048576, maxOut: 8192, prompt: "0.1", completion: "0.4", cacheRead: "0.025", params: GEMINI_PARAMS, latencyMs: 500, tps: 150 },
    ] }),
    model({ id: "google/gemini-2.5-flash", name: "Google: Gemini 2.5 Flash", created: "2025-06-17", description: "Gemini 2.5 Flash: a thinking model balancing price and performance.", context: 1048576, tokenizer: "Gemini", vision: true, endpoints: [
      { provider: "google-ai-studio", id: "gemini-2.5-flash", context: 1048576, maxOut: 65535, prompt: "0.3", completion: "2.5", cacheRead: "0.075", params: GEMINI_THINKING, latencyMs: 700, tps: 140 },
    ] }),
    model({ id: "google/gemini-2.5-flash-lite", name: "Google: Gemini 2.5 Flash Lite", created: "2025-07-22", description: "The lightest Gemini 2.5 model, for low latency and cost at scale.", context: 1048576, tokenizer: "Gemini", vision: true, endpoints: [
      { provider: "google-ai-studio", id: "gemini-2.5-flash-lite", context: 1048576, maxOut: 65535, prompt: "0.1", completion: "0.4", cacheRead: "0.025", params: GEMINI_THINKING, latencyMs: 400, tps: 200 },
    ] }),
    model({ id: "google/gemini-2.5-pro", name: "Google: Gemini 2.5 Pro", created: "2025-06-17", description: "Gemini 2.5 Pro, Google's state-of-the-art thinking model for complex reasoning and code.", context: 1048576, tokenizer: "Gemini", vision: true, endpoints: [
      { provider: "google-ai-studio", id: "gemini-2.5-pro", context: 1048576, maxOut: 65536, prompt: "1.25", completion: "10", cacheRead: "0.31", params: GEMINI_THINKING, latencyMs: 1500, tps: 90 },
    ] }),
    // ── Meta (open weights, several hosts) ──
    model({ id: "meta-llama/llama-3.3-70b-instruct", name: "Meta: Llama 3.3 70B Instruct", created: "2024-12-06", description: "Meta's multilingual Llama 3.3 70B, tuned for dialogue, matching 3.1 405B on many tasks.", context: 131072, tokenizer: "Llama3", hf: "meta-llama/Llama-3.3-70B-Instruct", endpoints: [
      { provider: "together", id: "meta-llama/Llama-3.3-70B-Instruct-Turbo", context: 131072, maxOut: 131072, prompt: "0.88", completion: "0.88", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 500, tps: 90 },
      { provider: "fireworks", id: "accounts/fireworks/models/llama-v3p3-70b-instruct", context: 131072, maxOut: 131072, prompt: "0.9", completion: "0.9", quantization: "fp16", params: OPEN_PARAMS, latencyMs: 450, tps: 100 },
      { provider: "groq", id: "llama-3.3-70b-versatile", context: 131072, maxOut: 32768, prompt: "0.59", completion: "0.79", quantization: "fp16", params: GROQ_PARAMS, latencyMs: 250, tps: 300 },
      { provider: "deepinfra", id: "meta-llama/Llama-3.3-70B-Instruct", context: 131072, maxOut: 16384, prompt: "0.23", completion: "0.4", quantization: "bf16", params: OPEN_PARAMS, latencyMs: 600, tps: 35 },
    ] }),
    model({ id: "meta-llama/llama-3.1-8b-instruct", name: "Meta: Llama 3.1 8B Instruct", created: "2024-07-23", description: "Meta's small Llama 3.1, fast and cheap for simple tasks.", context: 131072, tokenizer: "Llama3", hf: "meta-llama/Meta-Llama-3.1-8B-Instruct", endpoints: [
      { provider: "together", id: "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", context: 131072, maxOut: 131072, prompt: "0.18", completion: "0.18", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 300, tps: 200 },
      { provider: "groq", id: "llama-3.1-8b-instant", context: 131072, maxOut: 131072, prompt: "0.05", completion: "0.08", quantization: "fp16", params: GROQ_PARAMS, latencyMs: 150, tps: 750 },
      { provider: "deepinfra", id: "meta-llama/Meta-Llama-3.1-8B-Instruct", context: 131072, maxOut: 16384, prompt: "0.03", completion: "0.05", quantization: "bf16", params: OPEN_PARAMS, latencyMs: 400, tps: 90 },
    ] }),
    model({ id: "meta-llama/llama-3-8b-instruct", name: "Meta: Llama 3 8B Instruct", created: "2024-04-18", description: "The original Llama 3 8B with its 8k context window.", context: 8192, tokenizer: "Llama3", hf: "meta-llama/Meta-Llama-3-8B-Instruct", endpoints: [
      { provider: "groq", id: "llama3-8b-8192", context: 8192, maxOut: 8192, prompt: "0.05", completion: "0.08", quantization: "fp16", params: GROQ_PARAMS, latencyMs: 150, tps: 750 },
      { provider: "deepinfra", id: "meta-llama/Meta-Llama-3-8B-Instruct", context: 8192, maxOut: 8192, prompt: "0.03", completion: "0.06", quantization: "bf16", params: OPEN_PARAMS, latencyMs: 400, tps: 90 },
    ] }),
    model({ id: "meta-llama/llama-3.3-70b-instruct:free", name: "Meta: Llama 3.3 70B Instruct (free)", created: "2024-12-06", description: "Free, rate-limited access to Llama 3.3 70B Instruct.", context: 131072, tokenizer: "Llama3", hf: "meta-llama/Llama-3.3-70B-Instruct", endpoints: [
      { provider: "together", id: "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free", context: 131072, maxOut: 2048, prompt: "0", completion: "0", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 900, tps: 40 },
    ] }),
    model({ id: "meta-llama/llama-3.1-405b-instruct", name: "Meta: Llama 3.1 405B Instruct", created: "2024-07-23", description: "Meta's largest Llama 3.1, a frontier-class open-weight model.", context: 131072, tokenizer: "Llama3", hf: "meta-llama/Meta-Llama-3.1-405B-Instruct", endpoints: [
      { provider: "together", id: "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo", context: 130815, maxOut: 4096, prompt: "3.5", completion: "3.5", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 900, tps: 30 },
      { provider: "fireworks", id: "accounts/fireworks/models/llama-v3p1-405b-instruct", context: 131072, maxOut: 16384, prompt: "3", completion: "3", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 800, tps: 60 },
      { provider: "deepinfra", id: "meta-llama/Meta-Llama-3.1-405B-Instruct", context: 32768, maxOut: 16384, prompt: "0.8", completion: "0.8", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 1000, tps: 20 },
    ] }),
    model({ id: "meta-llama/llama-4-maverick", name: "Meta: Llama 4 Maverick", created: "2025-04-05", description: "Llama 4 Maverick: a 17B-active mixture-of-experts multimodal model with 128 experts.", context: 1048576, tokenizer: "Llama4", vision: true, hf: "meta-llama/Llama-4-Maverick-17B-128E-Instruct", endpoints: [
      { provider: "together", id: "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", context: 1048576, maxOut: 16384, prompt: "0.27", completion: "0.85", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 500, tps: 100 },
      { provider: "fireworks", id: "accounts/fireworks/models/llama4-maverick-instruct-basic", context: 1048576, maxOut: 16384, prompt: "0.22", completion: "0.88", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 450, tps: 120 },
      { provider: "groq", id: "meta-llama/llama-4-maverick-17b-128e-instruct", context: 131072, maxOut: 8192, prompt: "0.2", completion: "0.6", quantization: "fp8", params: GROQ_PARAMS, latencyMs: 200, tps: 500 },
      { provider: "deepinfra", id: "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", context: 1048576, maxOut: 16384, prompt: "0.15", completion: "0.6", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 600, tps: 60 },
    ] }),
    model({ id: "meta-llama/llama-4-scout", name: "Meta: Llama 4 Scout", created: "2025-04-05", description: "Llama 4 Scout: a 17B-active, 16-expert multimodal model with a very long context.", context: 327680, tokenizer: "Llama4", vision: true, hf: "meta-llama/Llama-4-Scout-17B-16E-Instruct", endpoints: [
      { provider: "together", id: "meta-llama/Llama-4-Scout-17B-16E-Instruct", context: 327680, maxOut: 16384, prompt: "0.18", completion: "0.59", quantization: "fp16", params: OPEN_PARAMS, latencyMs: 450, tps: 110 },
      { provider: "groq", id: "meta-llama/llama-4-scout-17b-16e-instruct", context: 131072, maxOut: 8192, prompt: "0.11", completion: "0.34", quantization: "fp16", params: GROQ_PARAMS, latencyMs: 200, tps: 600 },
      { provider: "deepinfra", id: "meta-llama/Llama-4-Scout-17B-16E-Instruct", context: 327680, maxOut: 16384, prompt: "0.08", completion: "0.3", quantization: "bf16", params: OPEN_PARAMS, latencyMs: 550, tps: 70 },
    ] }),
    // ── Mistral ──
    model({ id: "mistralai/mistral-large", name: "Mistral: Mistral Large", created: "2024-11-18", description: "Mistral's flagship model for complex reasoning, code and multilingual tasks.", context: 131072, tokenizer: "Mistral", endpoints: [
      { provider: "mistral", id: "mistral-large-latest", context: 131072, maxOut: null, prompt: "2", completion: "6", params: MISTRAL_PARAMS, latencyMs: 600, tps: 40 },
    ] }),
    model({ id: "mistralai/mistral-small-3.1-24b-instruct", name: "Mistral: Mistral Small 3.1 24B", created: "2025-03-17", description: "Mistral Small 3.1, a 24B open-weight model with vision and a 128k context.", context: 131072, tokenizer: "Mistral", vision: true, hf: "mistralai/Mistral-Small-3.1-24B-Instruct-2503", endpoints: [
      { provider: "mistral", id: "mistral-small-2503", context: 131072, maxOut: null, prompt: "0.1", completion: "0.3", params: MISTRAL_PARAMS, latencyMs: 400, tps: 90 },
      { provider: "deepinfra", id: "mistralai/Mistral-Small-3.1-24B-Instruct-2503", context: 128000, maxOut: 16384, prompt: "0.05", completion: "0.1", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 500, tps: 60 },
    ] }),
    model({ id: "mistralai/mistral-nemo", name: "Mistral: Mistral Nemo", created: "2024-07-18", description: "A 12B open-weight model built with NVIDIA, multilingual with a 128k context.", context: 131072, tokenizer: "Mistral", hf: "mistralai/Mistral-Nemo-Instruct-2407", endpoints: [
      { provider: "mistral", id: "open-mistral-nemo", context: 131072, maxOut: null, prompt: "0.15", completion: "0.15", params: MISTRAL_PARAMS, latencyMs: 350, tps: 110 },
      { provider: "deepinfra", id: "mistralai/Mistral-Nemo-Instruct-2407", context: 131072, maxOut: 16384, prompt: "0.02", completion: "0.04", quantization: "bf16", params: OPEN_PARAMS, latencyMs: 450, tps: 70 },
    ] }),
    model({ id: "mistralai/codestral-2501", name: "Mistral: Codestral 2501", created: "2025-01-14", description: "Mistral's coding model, tuned for fill-in-the-middle and code generation.", context: 262144, tokenizer: "Mistral", endpoints: [
      { provider: "mistral", id: "codestral-2501", context: 262144, maxOut: null, prompt: "0.3", completion: "0.9", params: MISTRAL_PARAMS, latencyMs: 350, tps: 120 },
    ] }),
    // ── DeepSeek ──
    model({ id: "deepseek/deepseek-chat-v3-0324", name: "DeepSeek: DeepSeek V3 0324", created: "2025-03-24", description: "DeepSeek V3, a 685B mixture-of-experts chat model (March 2025 update).", context: 163840, tokenizer: "DeepSeek", hf: "deepseek-ai/DeepSeek-V3-0324", endpoints: [
      { provider: "deepseek", id: "deepseek-chat", context: 65536, maxOut: 8192, prompt: "0.27", completion: "1.1", cacheRead: "0.07", params: [...CHAT, ...TOOLS.slice(0, 2), "response_format"], latencyMs: 1500, tps: 25 },
      { provider: "together", id: "deepseek-ai/DeepSeek-V3", context: 131072, maxOut: 12288, prompt: "1.25", completion: "1.25", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 700, tps: 60 },
      { provider: "fireworks", id: "accounts/fireworks/models/deepseek-v3-0324", context: 163840, maxOut: 163840, prompt: "0.9", completion: "0.9", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 650, tps: 70 },
      { provider: "deepinfra", id: "deepseek-ai/DeepSeek-V3-0324", context: 163840, maxOut: 16384, prompt: "0.28", completion: "0.88", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 900, tps: 30 },
    ] }),
    model({ id: "deepseek/deepseek-r1", name: "DeepSeek: R1", created: "2025-01-20", description: "DeepSeek R1, an open reasoning model on par with OpenAI o1, with visible reasoning.", context: 163840, tokenizer: "DeepSeek", hf: "deepseek-ai/DeepSeek-R1", endpoints: [
      { provider: "deepseek", id: "deepseek-reasoner", context: 65536, maxOut: 32768, prompt: "0.55", completion: "2.19", cacheRead: "0.14", params: R1_PARAMS, latencyMs: 3000, tps: 25 },
      { provider: "together", id: "deepseek-ai/DeepSeek-R1", context: 163840, maxOut: 32768, prompt: "3", completion: "7", quantization: "fp8", params: R1_PARAMS, latencyMs: 1500, tps: 60 },
      { provider: "fireworks", id: "accounts/fireworks/models/deepseek-r1", context: 163840, maxOut: 163840, prompt: "3", completion: "8", quantization: "fp8", params: R1_PARAMS, latencyMs: 1400, tps: 70 },
      { provider: "deepinfra", id: "deepseek-ai/DeepSeek-R1", context: 163840, maxOut: 16384, prompt: "0.7", completion: "2.4", quantization: "fp8", params: R1_PARAMS, latencyMs: 2000, tps: 30 },
    ] }),
    // ── Qwen ──
    model({ id: "qwen/qwen-2.5-72b-instruct", name: "Qwen2.5 72B Instruct", created: "2024-09-19", description: "Alibaba's Qwen2.5 72B, strong at coding, maths and structured output.", context: 32768, tokenizer: "Qwen", hf: "Qwen/Qwen2.5-72B-Instruct", endpoints: [
      { provider: "together", id: "Qwen/Qwen2.5-72B-Instruct-Turbo", context: 32768, maxOut: 8192, prompt: "1.2", completion: "1.2", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 500, tps: 70 },
      { provider: "fireworks", id: "accounts/fireworks/models/qwen2p5-72b-instruct", context: 32768, maxOut: 16384, prompt: "0.9", completion: "0.9", quantization: "fp16", params: OPEN_PARAMS, latencyMs: 450, tps: 80 },
      { provider: "deepinfra", id: "Qwen/Qwen2.5-72B-Instruct", context: 32768, maxOut: 16384, prompt: "0.12", completion: "0.39", quantization: "fp8", params: OPEN_PARAMS, latencyMs: 600, tps: 35 },
    ] }),
    model({ id: "qwen/qwen3-235b-a22b", name: "Qwen: Qwen3 235B A22B", created: "2025-04-28", description: "Qwen3's flagship mixture-of-experts model (22B active) with thinking and non-thinking modes.", context: 131072, tokenizer: "Qwen3", hf: "Qwen/Qwen3-235B-A22B", endpoints: [
      { provider: "together", id: "Qwen/Qwen3-235B-A22B-fp8-tput", context: 40960, maxOut: 16384, prompt: "0.2", completion: "0.6", quantization: "fp8", params: [...OPEN_PARAMS, "reasoning", "include_reasoning"], latencyMs: 700, tps: 50 },
      { provider: "fireworks", id: "accounts/fireworks/models/qwen3-235b-a22b", context: 131072, maxOut: 131072, prompt: "0.22", completion: "0.88", quantization: "fp8", params: [...OPEN_PARAMS, "reasoning", "include_reasoning"], latencyMs: 600, tps: 70 },
      { provider: "deepinfra", id: "Qwen/Qwen3-235B-A22B", context: 40960, maxOut: 16384, prompt: "0.13", completion: "0.6", quantization: "fp8", params: [...OPEN_PARAMS, "reasoning", "include_reasoning"], latencyMs: 800, tps: 30 },
      { provider: "alibaba", id: "qwen3-235b-a22b", context: 131072, maxOut: 16384, prompt: "0.7", completion: "2.8", params: [...CHAT, ...TOOLS.slice(0, 2), "response_format", "reasoning", "include_reasoning"], latencyMs: 900, tps: 40 },
    ] }),
    model({ id: "qwen/qwen3-32b", name: "Qwen: Qwen3 32B", created: "2025-04-28", description: "A dense 32B Qwen3 model with switchable thinking.", context: 131072, tokenizer: "Qwen3", hf: "Qwen/Qwen3-32B", endpoints: [
      { provider: "groq", id: "qwen/qwen3-32b", context: 131072, maxOut: 40960, prompt: "0.29", completion: "0.59", quantization: "fp16", params: [...GROQ_PARAMS, "reasoning", "include_reasoning"], latencyMs: 250, tps: 400 },
      { provider: "deepinfra", id: "Qwen/Qwen3-32B", context: 40960, maxOut: 16384, prompt: "0.1", completion: "0.3", quantization: "bf16", params: [...OPEN_PARAMS, "reasoning", "include_reasoning"], latencyMs: 600, tps: 45 },
    ] }),
    // ── xAI ──
    model({ id: "x-ai/grok-3", name: "xAI: Grok 3", created: "2025-02-17", description: "xAI's Grok 3 flagship, strong at enterprise tasks, coding and summarisation.", context: 131072, tokenizer: "Grok", endpoints: [
      { provider: "xai", id: "grok-3", context: 131072, maxOut: null, prompt: "3", completion: "15", cacheRead: "0.75", params: [...CHAT, ...TOOLS, ...JSON_OUT, "logprobs", "top_logprobs"], latencyMs: 800, tps: 50 },
    ] }),
    model({ id: "x-ai/grok-3-mini", name: "xAI: Grok 3 Mini", created: "2025-02-17", description: "A small Grok 3 that thinks before responding, with visible reasoning traces.", context: 131072, tokenizer: "Grok", endpoints: [
      { provider: "xai", id: "grok-3-mini", context: 131072, maxOut: null, prompt: "0.3", completion: "0.5", cacheRead: "0.075", params: [...CHAT, ...TOOLS, ...JSON_OUT, "reasoning", "include_reasoning"], latencyMs: 600, tps: 90 },
    ] }),
    model({ id: "x-ai/grok-4", name: "xAI: Grok 4", created: "2025-07-09", description: "Grok 4, xAI's reasoning model with tool use and a 256k context.", context: 256000, tokenizer: "Grok", vision: true, endpoints: [
      { provider: "xai", id: "grok-4", context: 256000, maxOut: null, prompt: "3", completion: "15", cacheRead: "0.75", params: ["max_tokens", "temperature", "top_p", "seed", ...TOOLS, ...JSON_OUT, "reasoning", "include_reasoning"], latencyMs: 3000, tps: 50 },
    ] }),
    // ── Cohere ──
    model({ id: "cohere/command-a", name: "Cohere: Command A", created: "2025-03-13", description: "Cohere's Command A, built for agentic enterprise tasks, tool use and RAG.", context: 256000, tokenizer: "Cohere", endpoints: [
      { provider: "cohere", id: "command-a-03-2025", context: 256000, maxOut: 8192, prompt: "2.5", completion: "10", params: [...CHAT, "top_k", ...TOOLS.slice(0, 2), ...JSON_OUT], latencyMs: 700, tps: 60 },
    ] }),
    model({ id: "cohere/command-r-plus-08-2024", name: "Cohere: Command R+ (08-2024)", created: "2024-08-30", description: "Command R+ for complex RAG and multi-step tool use.", context: 128000, tokenizer: "Cohere", endpoints: [
      { provider: "cohere", id: "command-r-plus-08-2024", context: 128000, maxOut: 4000, prompt: "2.5", completion: "10", params: [...CHAT, "top_k", ...TOOLS.slice(0, 2), "response_format"], latencyMs: 700, tps: 50 },
    ] }),
    // ── Embeddings ──
    model({ id: "openai/text-embedding-3-small", name: "OpenAI: Text Embedding 3 Small", created: "2024-01-25", description: "OpenAI's small, efficient embedding model.", context: 8192, tokenizer: "GPT", kind: "embedding", endpoints: [
      { provider: "openai", id: "text-embedding-3-small", context: 8192, maxOut: null, prompt: "0.02", completion: "0", params: ["dimensions", "encoding_format"] },
    ] }),
    model({ id: "openai/text-embedding-3-large", name: "OpenAI: Text Embedding 3 Large", created: "2024-01-25", description: "OpenAI's most capable embedding model.", context: 8192, tokenizer: "GPT", kind: "embedding", endpoints: [
      { provider: "openai", id: "text-embedding-3-large", context: 8192, maxOut: null, prompt: "0.13", completion: "0", params: ["dimensions", "encoding_format"] },
    ] }),
    model({ id: "google/gemini-embedding-001", name: "Google: Gemini Embedding 001", created: "2025-07-14", description: "Google's Gemini embedding model, multilingual with flexible dimensions.", context: 2048, tokenizer: "Gemini", kind: "embedding", endpoints: [
      { provider: "google-ai-studio", id: "gemini-embedding-001", context: 2048, maxOut: null, prompt: "0.15", completion: "0", params: ["dimensions"] },
    ] }),
    model({ id: "cohere/embed-v4.0", name: "Cohere: Embed v4", created: "2025-04-15", description: "Cohere's multimodal, multilingual embedding model.", context: 128000, tokenizer: "Cohere", kind: "embedding", endpoints: [
      { provider: "cohere", id: "embed-v4.0", context: 128000, maxOut: null, prompt: "0.12", completion: "0", params: ["dimensions"] },
    ] }),
    model({ id: "amazon/titan-embed-text-v2", name: "Amazon: Titan Text Embeddings V2", created: "2024-04-30", description: "Amazon's Titan text embeddings with 256, 512 or 1024 dimensions.", context: 8192, tokenizer: "Other", kind: "embedding", endpoints: [
      { provider: "amazon-bedrock", id: "amazon.titan-embed-text-v2:0", context: 8192, maxOut: null, prompt: "0.02", completion: "0", params: ["dimensions"] },
    ] }),
  ],
};

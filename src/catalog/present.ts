import { priceAtto } from "../billing/money";
import type { EndpointFigures } from "../routing/health";
import type { Endpoint, Model, Provider } from "./types";

/** The catalog in OpenRouter's public shapes (`/models`, `/models/{id}/endpoints`, `/providers`). */

/** The union of what the model's endpoints support, as OpenRouter lists it on the model. */
function modelParameters(model: Model): string[] {
  return [...new Set(model.endpoints.flatMap((e) => e.supported_parameters))].sort();
}

/** The cheapest endpoint speaks for the model in `/models` (OpenRouter shows its top provider). */
export function topEndpoint(model: Model): Endpoint {
  let best = model.endpoints[0] as Endpoint;
  for (const endpoint of model.endpoints) {
    if (price(endpoint) < price(best)) best = endpoint;
  }
  return best;
}
const price = (e: Endpoint) => priceAtto(e.pricing.prompt) + priceAtto(e.pricing.completion);

function pricing(endpoint: Endpoint) {
  const {
    prompt,
    completion,
    request,
    image,
    image_output,
    web_search,
    search_unit,
    input_cache_read,
    input_cache_write,
    input_cache_write_1h,
    internal_reasoning,
    overrides,
  } = endpoint.pricing;
  return {
    prompt,
    completion,
    request: request ?? "0",
    image: image ?? "0",
    // The price of generated images' tokens, on models that draw them (OpenRouter lists it only there).
    ...(image_output ? { image_output } : {}),
    ...(input_cache_read ? { input_cache_read } : {}),
    ...(input_cache_write ? { input_cache_write } : {}),
    ...(input_cache_write_1h ? { input_cache_write_1h } : {}),
    ...(internal_reasoning ? { internal_reasoning } : {}),
    ...(web_search ? { web_search } : {}),
    // A rerank model's price per search unit (Cohere's billing unit), where it has one.
    ...(search_unit ? { search_unit } : {}),
    // OpenRouter's long-prompt tiers, each without the catalog-only price.
    ...(overrides?.length ? { overrides: overrides.map(({ input_citation: _, ...tier }) => tier) } : {}),
  };
}

/** The model's architecture as OpenRouter shows it (the catalog may carry more in future). */
export function presentArchitecture(model: Model) {
  const { modality, input_modalities, output_modalities, tokenizer, instruct_type } = model.architecture;
  return { modality, input_modalities, output_modalities, tokenizer, instruct_type };
}

/** One model of `GET /models`, as the client receives it. */
export type ModelData = ReturnType<typeof presentModel>;

export function presentModel(model: Model) {
  const top = topEndpoint(model);
  return {
    id: model.id,
    canonical_slug: model.canonical_slug,
    hugging_face_id: model.hugging_face_id,
    name: model.name,
    created: model.created,
    description: model.description,
    context_length: model.context_length,
    architecture: presentArchitecture(model),
    pricing: pricing(top),
    top_provider: {
      context_length: top.context_length,
      max_completion_tokens: top.max_completion_tokens,
      is_moderated: top.is_moderated,
    },
    per_request_limits: null,
    supported_parameters: modelParameters(model),
    default_parameters: null,
    knowledge_cutoff: model.knowledge_cutoff,
    expiration_date: model.expiration_date,
    links: { details: `/api/v1/models/${model.id}/endpoints` },
    supported_voices: null,
  };
}

/** `figures`, its latency and throughput of the last 30 minutes, are OpenRouter's `latency_last_30m` / `throughput_last_30m`. */
export function presentEndpoint(model: Model, endpoint: Endpoint, provider: Provider, figures: EndpointFigures) {
  const params = endpoint.supported_parameters;
  const toolChoice = params.includes("tool_choice");
  return {
    name: `${provider.name} | ${model.id}`,
    model_id: model.id,
    model_name: model.name,
    context_length: endpoint.context_length,
    pricing: pricing(endpoint),
    provider_name: provider.name,
    tag: endpoint.tag ? `${provider.slug}/${endpoint.tag}` : provider.slug,
    quantization: endpoint.quantization,
    max_completion_tokens: endpoint.max_completion_tokens,
    max_prompt_tokens: endpoint.max_prompt_tokens,
    supported_parameters: params,
    status: endpoint.status,
    uptime_last_30m: null,
    uptime_last_5m: null,
    uptime_last_1d: null,
    latency_last_30m: figures.ttfbMs ?? null,
    throughput_last_30m: figures.tps ?? null,
    supports_implicit_caching: endpoint.pricing.input_cache_read !== undefined,
    supports_tool_choice: { auto: toolChoice, none: toolChoice, required: toolChoice, function: toolChoice },
  };
}

export function presentProvider(provider: Provider) {
  return {
    name: provider.name,
    slug: provider.slug,
    privacy_policy_url: provider.privacy_policy_url,
    terms_of_service_url: provider.terms_of_service_url,
    status_page_url: provider.status_page_url,
    headquarters: provider.headquarters,
  };
}

import type { Endpoint } from "../catalog/types";
import type { ChatRequest } from "../schema/chat";

/**
 * The parameters a request uses, named as in the catalog's `supported_parameters` (OpenRouter's
 * vocabulary). Used to drop what an endpoint cannot honour (and say so in a header) and, with
 * `provider.require_parameters`, to keep only endpoints that honour everything sent.
 */
export function requestedParameters(request: Partial<ChatRequest>): string[] {
  const used: string[] = [];
  const has = (value: unknown) => value !== undefined && value !== null;
  if (has(request.tools) && (request.tools?.length ?? 0) > 0) used.push("tools");
  if (has(request.tool_choice)) used.push("tool_choice");
  if (has(request.parallel_tool_calls)) used.push("parallel_tool_calls");
  if (has(request.max_tokens) || has(request.max_completion_tokens)) used.push("max_tokens");
  for (const name of SAMPLING_PARAMETERS) {
    if (has(request[name])) used.push(name);
  }
  if (request.response_format?.type === "json_object") used.push("response_format");
  if (request.response_format?.type === "json_schema") used.push("structured_outputs");
  if (has(request.reasoning) || has(request.reasoning_effort)) used.push("reasoning");
  if (has(request.include_reasoning)) used.push("include_reasoning");
  // Not a typed field (the schema keeps unknown fields), but OpenRouter's vocabulary has it: only
  // GPT-5-style models take it, and OpenAI refuses it on the others.
  if (has(request.verbosity)) used.push("verbosity");
  return used;
}

const SAMPLING_PARAMETERS = [
  "temperature",
  "top_p",
  "top_k",
  "top_a",
  "min_p",
  "stop",
  "frequency_penalty",
  "presence_penalty",
  "repetition_penalty",
  "seed",
  "logit_bias",
  "logprobs",
  "top_logprobs",
] as const;

/**
 * Values that ask for nothing the API would not do anyway: OpenAI's and OpenRouter's documented
 * defaults, the same at every provider (not temperature, whose default differs: Mistral's is 0.7).
 */
const API_DEFAULTS: Record<string, unknown> = {
  logprobs: false,
  parallel_tool_calls: true,
  top_p: 1,
  top_k: 0,
  min_p: 0,
  top_a: 0,
  frequency_penalty: 0,
  presence_penalty: 0,
  repetition_penalty: 1,
};

/**
 * Whether the request sends a parameter only at its API default (or, for `stop`, no sequence):
 * an endpoint without it does the same, so `require_parameters` does not leave it out and its
 * absence is not reported as dropped. The field itself still stays away from an endpoint without
 * the parameter, which may refuse it whatever its value (OpenAI's o-series and parallel_tool_calls).
 */
export function atDefault(request: Partial<ChatRequest>, parameter: string): boolean {
  if (parameter === "stop") return stopSequences(request).length === 0;
  return parameter in API_DEFAULTS && (request as Record<string, unknown>)[parameter] === API_DEFAULTS[parameter];
}

/**
 * Whether the endpoint honours a parameter: it lists it. As on OpenRouter's /models,
 * `response_format` is JSON mode (`json_object`) and `structured_outputs` is `json_schema`: an
 * endpoint that takes the one may not take the other (DeepSeek, DeepInfra: JSON mode only).
 */
export function supports(endpoint: Endpoint, parameter: string): boolean {
  return endpoint.supported_parameters.includes(parameter);
}

/** Parameters of the request the endpoint does not support. `max_tokens` is always honoured. */
export function unsupportedParameters(request: Partial<ChatRequest>, endpoint: Endpoint): string[] {
  return requestedParameters(request).filter((p) => p !== "max_tokens" && !supports(endpoint, p));
}

/** The request's stop sequences as a provider is sent them: one string is a list of one; empty ones mean nothing. */
export function stopSequences(request: Partial<Pick<ChatRequest, "stop">>): string[] {
  const stop = request.stop;
  if (stop == null) return [];
  return (typeof stop === "string" ? [stop] : stop).filter((sequence) => sequence !== "");
}

/**
 * What a request asks of reasoning: an explicit token budget, an effort (`medium` when reasoning
 * is only enabled), or nothing (not asked, or turned off).
 */
export function requestedReasoning(
  request: Pick<ChatRequest, "reasoning" | "reasoning_effort">,
): { maxTokens: number } | { effort: string } | undefined {
  const reasoning = request.reasoning;
  if (reasoning?.enabled === false || reasoning?.effort === "none") return undefined;
  if (reasoning?.max_tokens) return { maxTokens: reasoning.max_tokens };
  const effort = reasoning?.effort ?? request.reasoning_effort ?? (reasoning?.enabled ? "medium" : undefined);
  return effort && effort !== "none" ? { effort } : undefined;
}

/**
 * Whether reasoning is turned on by OpenRouter's legacy `include_reasoning: true` alone (no
 * `reasoning` object, no `reasoning_effort`): OpenRouter reads it as `reasoning: {}`, reasoning
 * on at the default (medium) effort. Not when the endpoint drops `include_reasoning`.
 */
export function reasoningIncludedAlone(
  request: Pick<ChatRequest, "reasoning" | "reasoning_effort" | "include_reasoning">,
  dropped: readonly string[],
): boolean {
  return (
    request.include_reasoning === true &&
    request.reasoning == null &&
    request.reasoning_effort == null &&
    !dropped.includes("include_reasoning")
  );
}

/**
 * Whether the request asks for images in its reply (`modalities` holding "image", as OpenRouter's
 * image generation is asked). A field read, so text requests pay nothing for image output.
 */
export function asksForImages(request: Pick<ChatRequest, "modalities">): boolean {
  return request.modalities?.includes("image") === true;
}

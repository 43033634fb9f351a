import * as z from "zod/mini";
import { ChatRequestSchema } from "./chat";

/**
 * Presets: named, versioned request configurations of an account (OpenRouter's presets). What a
 * version holds, what the management API takes, and what the request path reads from KV.
 */

/**
 * A preset's slug, as it appears in `@preset/<slug>` and the management paths: lowercase letters,
 * digits, `-` and `_`, starting with a letter or digit, at most 64 characters. (OpenRouter says
 * only "URL-safe"; this is a guess at a rule that keeps every slug URL-safe and unambiguous in a
 * model id.)
 */
export const PRESET_SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const PRESET_SLUG_RULE =
  "lowercase letters, digits, - and _, starting with a letter or digit, at most 64 characters";

/**
 * The chat-request fields a preset version keeps, with the chat request's own validation. What a
 * request carries per call (`messages`, `stream`, `user`, `metadata`, `n`, `service_tier`, which
 * OpenRouter's SDK sends as "auto" unless told…) is not a preset's;
 * the system prompt is kept apart (`system_prompt`).
 */
const chat = ChatRequestSchema.shape;
export const PresetConfigSchema = z.object({
  model: chat.model,
  models: chat.models,
  route: chat.route,
  provider: chat.provider,
  transforms: chat.transforms,
  plugins: chat.plugins,
  max_tokens: chat.max_tokens,
  max_completion_tokens: chat.max_completion_tokens,
  temperature: chat.temperature,
  top_p: chat.top_p,
  top_k: chat.top_k,
  top_a: chat.top_a,
  min_p: chat.min_p,
  frequency_penalty: chat.frequency_penalty,
  presence_penalty: chat.presence_penalty,
  repetition_penalty: chat.repetition_penalty,
  seed: chat.seed,
  stop: chat.stop,
  logit_bias: chat.logit_bias,
  logprobs: chat.logprobs,
  top_logprobs: chat.top_logprobs,
  tools: chat.tools,
  tool_choice: chat.tool_choice,
  parallel_tool_calls: chat.parallel_tool_calls,
  response_format: chat.response_format,
  reasoning: chat.reasoning,
  reasoning_effort: chat.reasoning_effort,
  include_reasoning: chat.include_reasoning,
  modalities: chat.modalities,
  // Not a field of the chat schema (passed on as an unknown one), but what /responses'
  // `text.verbosity` becomes.
  verbosity: z.nullish(z.enum(["low", "medium", "high"])),
  // OpenRouter's response caching for every request naming the preset (generation/response-cache.ts):
  // no request's fields, taken off the request as the preset is applied.
  cache_enabled: z.nullish(z.boolean()),
  cache_ttl_seconds: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(86_400))),
});
export type PresetConfig = z.infer<typeof PresetConfigSchema>;
export const PRESET_CONFIG_FIELDS = Object.keys(PresetConfigSchema.shape) as ReadonlyArray<keyof PresetConfig>;

/**
 * The fields of an object that are set: a null (as SDKs send an option left unset) or undefined
 * is no value, in a preset's config and in a request's `provider` merged over a preset's.
 */
export function setFieldsOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value != null)) as Partial<T>;
}

/**
 * A version as saved: its config (chat-request fields, validated, nulls dropped; its tools as the
 * client wrote them, parsed when the request path reads it) and its system prompt.
 */
export interface PresetDraft {
  config: PresetConfig;
  systemPrompt: string | null;
}

/**
 * The preset the request path reads: the designated version of a preset, as the Account object
 * mirrors it to KV `KEYS` (billing/preset-store.ts) whenever a version is made.
 */
export const ActivePresetSchema = z.object({
  id: z.string(),
  slug: z.string(),
  version: z.number().check(z.int()),
  config: PresetConfigSchema,
  system_prompt: z.nullable(z.string()),
});
export type ActivePreset = z.infer<typeof ActivePresetSchema>;

/** `?offset=&limit=` of the list endpoints (the SDK sends limit 50 unless told otherwise). */
export const MAX_PRESET_PAGE = 100;
export const PresetPageQuerySchema = z.object({
  offset: z._default(z.coerce.number().check(z.int(), z.nonnegative()), 0),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(MAX_PRESET_PAGE)), 50),
});
export type PresetPage = z.infer<typeof PresetPageQuerySchema>;

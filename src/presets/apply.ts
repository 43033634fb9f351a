import type { ChatRequest } from "../schema/chat";
import { badRequest, notFound } from "../schema/errors";
import { type ActivePreset, PRESET_SLUG, PRESET_SLUG_RULE, setFieldsOnly } from "../schema/presets";

/**
 * A preset named by a request, applied to it before it is planned (beside applyPlugins). A request
 * names one in any of OpenRouter's three forms:
 * - `"model": "@preset/<slug>"`: the preset chooses the model (its `model`, and its `models`);
 * - `"preset": "<slug>"`: with a `model` of its own the request keeps it, without one the
 *   preset's applies;
 * - `"model": "<author>/<model>@preset/<slug>"`: that model, the preset giving the rest.
 *
 * The preset's values are defaults: a field the request sets (not null) wins, a field it leaves
 * unset or null takes the preset's. A request that chooses its model (the second and third
 * forms) routes by it: the preset's `model` and `models` are not used, the request's own `models`
 * are. `provider` is merged field by field (the request's win). An output limit in the request
 * (`max_tokens` or `max_completion_tokens`) replaces the preset's either, and so does its
 * reasoning (`reasoning` or `reasoning_effort`). The preset's system prompt is a system message
 * put before the request's messages (its own system messages follow it).
 */

/** Where a request's preset is read from; the request path's is KV (read.ts). */
export type PresetSource = (slug: string) => ActivePreset | null | Promise<ActivePreset | null>;

const IN_MODEL = "@preset/";

/** Whether the request names a preset: two string checks, so a request without one costs nothing more. */
export const namesPreset = (request: ChatRequest) =>
  request.preset != null || (request.model?.includes(IN_MODEL) ?? false);

/** A request with its preset applied (and the `preset` field gone: it is no provider's), and the preset. */
export interface WithPreset {
  request: ChatRequest;
  preset: ActivePreset | null;
}

export async function applyPreset(request: ChatRequest, source: PresetSource): Promise<WithPreset> {
  if (!namesPreset(request)) return { request, preset: null };
  const { slug, model } = reference(request);
  const preset = await source(slug);
  if (!preset) throw notFound(`Preset "${slug}" not found`, { preset: slug });
  return { request: merged(request, preset, model), preset };
}

/** The preset's slug, and the model the request chose itself (undefined when the preset is to choose). */
function reference(request: ChatRequest): { slug: string; model: string | undefined } {
  let model = request.model;
  let inModel: string | undefined;
  const at = model?.indexOf(IN_MODEL) ?? -1;
  if (model !== undefined && at >= 0) {
    inModel = model.slice(at + IN_MODEL.length);
    model = at > 0 ? model.slice(0, at) : undefined;
    checkSlug(inModel, "model");
  }
  // null is no preset, as SDKs send an unset field.
  const named = request.preset ?? undefined;
  if (named !== undefined) checkSlug(named, "preset");
  if (inModel !== undefined && named !== undefined && inModel !== named) {
    throw badRequest(`Invalid request: model names preset "${inModel}" and preset names "${named}": name one preset`, {
      preset: named,
    });
  }
  return { slug: (inModel ?? named) as string, model };
}

function checkSlug(slug: string, field: string): void {
  if (!PRESET_SLUG.test(slug)) {
    throw badRequest(`Invalid request: ${field}: ${JSON.stringify(slug)} is not a preset slug (${PRESET_SLUG_RULE})`);
  }
}

function merged(request: ChatRequest, preset: ActivePreset, chosenModel: string | undefined): ChatRequest {
  const { preset: _named, ...own } = request;
  // Its response caching is the gateway's to apply (response-cache.ts), no field for a provider.
  const { cache_enabled: _cache, cache_ttl_seconds: _ttl, ...config } = preset.config;
  const out: Record<string, unknown> = { ...config };
  if (chosenModel !== undefined) {
    delete out.model;
    delete out.models;
  }
  if (own.max_tokens != null || own.max_completion_tokens != null) {
    delete out.max_tokens;
    delete out.max_completion_tokens;
  }
  if (own.reasoning != null || own.reasoning_effort != null) {
    delete out.reasoning;
    delete out.reasoning_effort;
  }
  for (const [field, value] of Object.entries(own)) {
    // Unset in the request (null, as SDKs send it): the preset's value stands.
    if (value == null && out[field] != null) continue;
    out[field] = value;
  }
  if (preset.config.provider && own.provider)
    out.provider = { ...preset.config.provider, ...setFieldsOnly(own.provider) };
  const model = chosenModel ?? preset.config.model;
  if (model !== undefined) out.model = model;
  else delete out.model;
  if (out.model === undefined && !(out.models as unknown[] | undefined)?.length) {
    throw badRequest(
      `Invalid request: preset "${preset.slug}" names no model: name one in the request (model "<author>/<model>@preset/${preset.slug}")`,
      { preset: preset.slug },
    );
  }
  if (preset.system_prompt) out.messages = [{ role: "system", content: preset.system_prompt }, ...own.messages];
  return out as ChatRequest;
}

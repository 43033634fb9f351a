import { priceAtto, usdToAtto } from "../billing/money";
import type { CatalogIndex } from "../catalog/store";
import type { Endpoint, Model, Provider } from "../catalog/types";
import { asksForImages, atDefault, requestedParameters, stopSequences, supports } from "../providers/parameters";
import { adapterFor } from "../providers/registry";
import type { UpstreamTarget } from "../providers/types";
import type { ChatRequest, ProviderPreferences } from "../schema/chat";
import { badRequest, GatewayError } from "../schema/errors";
import { middleOutApplies } from "../transforms/middle-out";
import type { EndpointFigures, PercentileStats } from "./health";
import { type CheckedModality, inputModalitiesOf, unreadableBy } from "./input-modalities";
import { type ProviderRef, providerRefs, refMatches, refName, validateProviderNames } from "./provider-names";
import type { UpstreamAccess } from "./upstream";

/** One endpoint to try, in order. */
export interface Attempt {
  model: Model;
  endpoint: Endpoint;
  provider: Provider;
  access: UpstreamAccess;
  /** The model variant asked for with it (`thinking` for `author/slug:thinking`), if any. */
  variant?: string;
}

export interface PlanInput {
  request: Pick<ChatRequest, "model" | "models" | "provider"> & Partial<ChatRequest>;
  catalog: CatalogIndex;
  promptTokens: number;
  /** Resolves a provider's base URL and credential; undefined = not configured here. */
  access: (provider: Provider) => UpstreamAccess | undefined;
  /** Uniform [0,1) source for price-weighted choice (injectable so tests are deterministic). */
  random?: () => number;
  /** Endpoint keys (`provider/model`) with a recent outage: tried last. */
  isDown?: (endpointKey: string) => boolean;
  /**
   * Parameters sent beyond chat's, in the catalog's vocabulary (embeddings: `dimensions`,
   * `input_type`): with `require_parameters`, an endpoint must list each of them too.
   */
  parameters?: readonly string[];
  /** What the request is for: chat models answer chat and completions, embedding models embeddings. */
  kind?: Model["kind"];
  /** Whether Tollgate can speak this provider's format for this kind of request (chat by default). */
  hasAdapter?: (provider: Provider) => boolean;
  /**
   * Live latency (time to first byte) and throughput figures, catalog defaults standing in before
   * any, and the share of recent calls that failed (for `:exacto`).
   */
  figures?: (endpointKey: string) => (Partial<EndpointFigures> & { errorRate?: number }) | undefined;
}

/**
 * `exacto` is OpenRouter's quality-first order (providers with the better tool-calling record
 * first). The gateway has no tool-calling quality figures; the nearest it measures is each
 * endpoint's recent failure rate, so that is what it orders by, the default order breaking ties.
 */
type SortBy = "price" | "throughput" | "latency" | "exacto";
const VARIANTS = new Set(["free", "nitro", "floor", "exacto", "online", "thinking", "extended", "beta"]);
/**
 * Variants refused with a 400 rather than answered as the plain model. (`:thinking` turns
 * reasoning on before planning: routing/variants.ts; `:online` is web search: search/web.ts; the
 * others order or filter endpoints here.)
 */
const UNSUPPORTED_VARIANTS: Record<string, string> = {
  extended: "the catalog lists no extended-context endpoints",
};

/** What a model of each kind is, and where it answers (for a request sent to another kind's route). */
const KIND_USE: Record<Model["kind"], string> = {
  chat: "a chat model: use /chat/completions",
  embedding: "an embedding model: use /embeddings",
  rerank: "a rerank model: use /rerank",
  transcription: "a transcription model: use /audio/transcriptions",
  speech: "a text-to-speech model: use /audio/speech",
};

/** Why a requested id names no model: it never did, or its expiration date has come. */
function unknownModel(requested: string, id: string, catalog: CatalogIndex): string {
  const date = catalog.shutDown.get(id);
  return date === undefined
    ? `${requested} is not a valid model ID`
    : `${requested} was shut down by its provider on ${date} (its expiration_date): choose another model`;
}

export const endpointKey = (model: Model, endpoint: Endpoint) =>
  `${endpoint.provider}${endpoint.tag ? `/${endpoint.tag}` : ""}:${model.id}`;

/**
 * The provider names of `only`, `ignore` and `order`, parsed once per plan (each absent when its
 * list is absent or empty): every requested model's endpoints are matched against the same refs.
 */
interface ProviderFilters {
  only?: ProviderRef[];
  ignore?: ProviderRef[];
  order?: ProviderRef[];
}

function providerFilters(prefs: ProviderPreferences, catalog: CatalogIndex): ProviderFilters {
  return {
    only: providerRefs(prefs.only, catalog),
    ignore: providerRefs(prefs.ignore, catalog),
    order: providerRefs(prefs.order, catalog),
  };
}

/** Which of `only` and `ignore` leaves an endpoint out, if either. */
function excludedByName({ only, ignore }: ProviderFilters, provider: Provider, endpoint: Endpoint) {
  if (only && !only.some((ref) => refMatches(ref, provider, endpoint))) return "only";
  if (ignore?.some((ref) => refMatches(ref, provider, endpoint))) return "ignore";
  return undefined;
}

/**
 * When no provider the request allows has an endpoint of the model, the slugs of those that do (in
 * the catalog's order), for OpenRouter's "No allowed providers" refusal; undefined when some
 * endpoint is allowed, whatever else then leaves it out (that refusal is the generic one).
 * Allowed means kept by `only` and `ignore` and, with allow_fallbacks: false, listed in `order`:
 * the client pinned those providers and no other, which is an `only` list by another name. A model
 * the catalog gives no endpoint at all is not one the filters emptied.
 */
function providersServingNoneAllowed(
  model: Model,
  prefs: ProviderPreferences,
  filters: ProviderFilters,
  catalog: CatalogIndex,
): string[] | undefined {
  const served = model.endpoints.flatMap((endpoint) => {
    const provider = catalog.providers.get(endpoint.provider);
    return provider ? [{ endpoint, provider }] : [];
  });
  const pinned = prefs.allow_fallbacks === false ? filters.order : undefined;
  const allowed = ({ endpoint, provider }: { endpoint: Endpoint; provider: Provider }) =>
    !excludedByName(filters, provider, endpoint) &&
    (!pinned || pinned.some((ref) => refMatches(ref, provider, endpoint)));
  if (served.length === 0 || served.some(allowed)) return undefined;
  return [...new Set(served.map(({ provider }) => provider.slug))];
}

/**
 * The providers the request allows, as OpenRouter's refusal lists them (`requested_providers`):
 * `only`'s, as catalog slugs (`slug/tag` kept whole); with allow_fallbacks: false, `order`'s, or,
 * when `only` is there too, those of `only` that `order` also names. `ignore` alone names no
 * provider it allows, and those it leaves serve none of the model: the list is empty.
 */
function requestedProviders(prefs: ProviderPreferences, { only, order }: ProviderFilters): string[] {
  const pinned = prefs.allow_fallbacks === false ? order : undefined;
  const allowed = only && pinned ? only.filter((ref) => pinned.some((p) => p.slug === ref.slug)) : (only ?? pinned);
  return [...new Set((allowed ?? []).map(refName))];
}

/** Splits `author/slug:variant` into the catalog id and the variant (if it is one we know). */
export function parseModelId(id: string, catalog: CatalogIndex): { id: string; variant?: string } {
  if (catalog.models.has(id)) return { id };
  const colon = id.lastIndexOf(":");
  if (colon > 0) {
    const variant = id.slice(colon + 1);
    if (VARIANTS.has(variant)) return { id: id.slice(0, colon), variant };
  }
  return { id };
}

/** The models a request asks for, in order: `model` first, then the `models` fallback list. */
export function requestedModels(request: PlanInput["request"], catalog: CatalogIndex): string[] {
  // Most requests name one model and no list: that model, without the copies and the Set below
  // (~1% of a request's CPU, profiled).
  if (request.model && !request.models?.length && request.model !== "openrouter/auto") return [request.model];
  const ids = [...(request.model ? [request.model] : []), ...(request.models ?? [])];
  if (ids.length === 0) throw badRequest("`model` is required (or a non-empty `models` list)");
  // openrouter/auto stands for the catalog's auto_models wherever it is, a fallback in `models`
  // too (["anthropic/claude-haiku-4.5", "openrouter/auto"]: Claude, then the auto list).
  const expanded = ids.flatMap((id) => {
    if (id !== "openrouter/auto") return [id];
    if (catalog.catalog.auto_models.length === 0) throw badRequest("openrouter/auto has no models configured");
    return catalog.catalog.auto_models;
  });
  return [...new Set(expanded)];
}

/**
 * From (request, catalog, health) to the ordered list of endpoints to try. Pure: no I/O, the
 * randomness and health are passed in. Throws a GatewayError that says why when nothing fits.
 */
export function planAttempts(input: PlanInput): Attempt[] {
  const { request, catalog } = input;
  const prefs = request.provider ?? {};
  validateProviderNames(prefs, catalog);
  const filters = providerFilters(prefs, catalog);
  const carried = inputModalitiesOf(request.messages);
  /** Each requested model's attempts, in the models' order. */
  const groups: Attempt[][] = [];
  const rejections: Rejection[] = [];
  for (const requested of requestedModels(request, catalog)) {
    const { id, variant } = parseModelId(requested, catalog);
    const unsupported = variant && UNSUPPORTED_VARIANTS[variant];
    if (unsupported) throw badRequest(`${requested}: the :${variant} variant is not supported: ${unsupported}`);
    const model = catalog.models.get(id);
    const kind = input.kind ?? "chat";
    if (model?.kind !== kind) {
      const reason = model ? `${requested} is ${KIND_USE[model.kind]}` : unknownModel(requested, id, catalog);
      if (requested === request.model && !request.models?.length) throw badRequest(reason, { model: requested });
      // A model id that names nothing (or a model of the other kind) is the client's to fix: a
      // request whose every model is one is a 400, as a lone `model` is, not a 404.
      rejections.push({ text: `${requested}: ${reason}`, clientsToFix: true });
      continue;
    }
    if (prefs.enforce_distillable_text && !model.distillable) {
      rejections.push({
        text: `${model.id}: its author does not allow text distillation (enforce_distillable_text)`,
        clientsToFix: false,
      });
      continue;
    }
    const unreadable = carried.length > 0 ? unreadableBy(model, carried) : [];
    if (unreadable.length > 0) {
      const what = unreadable.join(" or ");
      rejections.push({
        text: `${model.id}: does not support ${what} input (the request's messages carry ${what})`,
        clientsToFix: false,
        unreadable,
      });
      continue;
    }
    const { eligible, reasons, clientsToFix } = eligibleEndpoints(model, variant, input, filters);
    if (eligible.length === 0) {
      rejections.push({
        text: `${model.id}: ${reasons.join("; ") || "no endpoint"}`,
        clientsToFix,
        toolsOnly: reasons.length === 1 && reasons[0] === NO_TOOL_USE,
        imagesOnly: reasons.length === 1 && reasons[0] === NO_IMAGE_OUTPUT,
        availableProviders: providersServingNoneAllowed(model, prefs, filters, catalog),
      });
    }
    const limit = (list: Attempt[]) =>
      prefs.allow_fallbacks === false ? withoutProviderFallbacks(list, filters.order) : list;
    const roomy = withRoomForOutput(eligible, request);
    let ordered = orderEndpoints(model, roomy, variant, input, filters.order);
    let kept = limit(ordered);
    // The providers `order` pins with allow_fallbacks: false are kept even when they cannot write
    // all of max_tokens: the client chose them; they write what they can, as before.
    if (kept.length === 0 && roomy.length < eligible.length) {
      ordered = orderEndpoints(model, eligible, variant, input, filters.order);
      kept = limit(ordered);
    }
    if (kept.length === 0 && ordered.length > 0) {
      rejections.push({
        text: `${model.id}: no provider in provider.order serves it (allow_fallbacks: false)`,
        clientsToFix: false,
        availableProviders: providersServingNoneAllowed(model, prefs, filters, catalog),
      });
    }
    groups.push(kept);
  }
  const across = acrossModels(prefs);
  const ordered = across
    ? withPreferences(groups.flat().sort(byCriterion(across, input)), input, filters.order)
    : modelsMeetingPreferencesFirst(groups, input).flat();
  return orRefuse(ordered, rejections, () => requestedProviders(prefs, filters));
}

/**
 * preferred_max_latency / preferred_min_throughput across the `models` list: as OpenRouter
 * documents them, a fallback model with a healthy endpoint that meets them goes ahead of earlier
 * models with none that does. Models keep their relative order otherwise, and each its own order
 * of endpoints (`order` first), so this only decides which model is tried first.
 */
function modelsMeetingPreferencesFirst(groups: Attempt[][], input: PlanInput): Attempt[][] {
  const meets = meetsPreferences(input.request.provider ?? {}, (a) =>
    input.figures?.(endpointKey(a.model, a.endpoint)),
  );
  if (!meets || groups.length < 2) return groups;
  const down = (a: Attempt) => input.isDown?.(endpointKey(a.model, a.endpoint)) ?? false;
  const good = (group: Attempt[]) => group.some((a) => meets(a) && !down(a));
  return [...groups.filter(good), ...groups.filter((group) => !good(group))];
}

/**
 * OpenRouter routes a request with `max_tokens` only to endpoints that can write that many tokens.
 * Here, when some of a model's endpoints can, the others are left out (they would cut the answer
 * short at their own limit, with finish_reason "length"); when none can, all stay and each writes
 * what it can, as before.
 */
function withRoomForOutput<T extends { endpoint: Endpoint }>(eligible: T[], request: PlanInput["request"]): T[] {
  const wanted = request.max_completion_tokens ?? request.max_tokens;
  if (!wanted) return eligible;
  const roomy = eligible.filter((e) => (e.endpoint.max_completion_tokens ?? wanted) >= wanted);
  return roomy.length > 0 ? roomy : eligible;
}

/**
 * `allow_fallbacks: false`, for one model's ordered endpoints: with `order`, only the listed
 * providers (in their order); without it, only the primary endpoint, the first after sorting and
 * filtering, as OpenRouter documents it ("use only the primary provider"). This limits provider
 * fallbacks within a model only: the `models` list is a separate fallback, across models, and
 * still applies (as on OpenRouter), each model keeping its own primary.
 */
function withoutProviderFallbacks(ordered: Attempt[], listed: ProviderRef[] | undefined): Attempt[] {
  if (!listed) return ordered.slice(0, 1);
  return ordered.filter((a) => listed.some((ref) => refMatches(ref, a.provider, a.endpoint)));
}

/** Why an endpoint without tool use is left out of a request with `tools` (require_parameters aside). */
const NO_TOOL_USE = "does not support tool use (the request sends `tools`)";

/**
 * Why an endpoint is left out of a request asking for images (`modalities`): its model does not
 * draw them, or its format does not return them. Sent there, it would answer in text alone.
 */
const NO_IMAGE_OUTPUT = "does not support image output (the request's `modalities` asks for images)";

/** Why a requested model has no endpoint left, and whether only the request itself stands in the way. */
interface Rejection {
  text: string;
  /** Every endpoint was left out for something the client can change (a prompt too long, too many stops). */
  clientsToFix: boolean;
  /** Every endpoint was left out for want of tool use alone. */
  toolsOnly?: boolean;
  /** Every endpoint was left out for want of image output alone. */
  imagesOnly?: boolean;
  /** The model cannot read what the request's messages carry (images, audio): routing/input-modalities.ts. */
  unreadable?: CheckedModality[];
  /** Set when no provider the request allows serves the model: the slugs of those that do. */
  availableProviders?: string[];
}

/** OpenRouter's words, which clients (coding agents, routers) match along with its metadata. */
const NO_ALLOWED_PROVIDERS = "No allowed providers are available for the selected model.";

/** The plan, or, when it is empty, the refusal that says why of every requested model. */
function orRefuse(attempts: Attempt[], rejections: Rejection[], allowedProviders: () => string[]): Attempt[] {
  if (attempts.length > 0) return attempts;
  const reasons = rejections.map((r) => r.text);
  // Only when the provider filters are all that stand in the way of every model: a mix of causes
  // keeps the generic refusal, whose reasons name each.
  if (rejections.length > 0 && rejections.every((r) => r.availableProviders)) {
    throw new GatewayError(404, NO_ALLOWED_PROVIDERS, {
      available_providers: [...new Set(rejections.flatMap((r) => r.availableProviders ?? []))],
      requested_providers: allowedProviders(),
      reasons,
    });
  }
  // A request no endpoint can take as it stands (a prompt too long for every one, more stop
  // sequences than any takes) is the client's to fix: a 400, like a provider's own.
  const clientsToFix = rejections.length > 0 && rejections.every((r) => r.clientsToFix);
  // OpenRouter's own words when tools are what no endpoint takes: clients (coding agents) read
  // them to retry without tools.
  const toolsOnly = rejections.length > 0 && rejections.every((r) => r.toolsOnly);
  const imagesOnly = rejections.length > 0 && rejections.every((r) => r.imagesOnly);
  // "No endpoints found that support image input", as OpenRouter words it, when what the messages
  // carry is all that no model reads.
  const unreadable = rejections.length > 0 && rejections.every((r) => r.unreadable) ? unreadableOf(rejections) : "";
  const headline = toolsOnly
    ? "No endpoints found that support tool use"
    : imagesOnly
      ? "No endpoints found that support the requested output modalities: image"
      : unreadable
        ? `No endpoints found that support ${unreadable} input`
        : "No endpoints found that satisfy the request";
  throw new GatewayError(clientsToFix ? 400 : 404, `${headline}: ${reasons.join(" | ")}`, { reasons });
}

/** The modalities the rejections name, each once: "image", "image and audio". */
const unreadableOf = (rejections: Rejection[]) =>
  [...new Set(rejections.flatMap((r) => r.unreadable ?? []))].join(" and ");

/**
 * A client's `max_price` limit (USD) ⇒ atto-USD. Parsed, not memoised with the catalog's prices
 * (priceAtto): every client could add strings to that per-isolate cache, which is never emptied.
 * (usdToAtto takes a limit of 1e21 or more whole: through toFixed it was a 500.)
 */
const limitAtto = (limit: number | string) => usdToAtto(limit, 12);

/** USD per million tokens (OpenRouter's unit for max_price) ⇒ atto-USD per token. */
function perMillionToAttoPerToken(limit: number | string): bigint {
  return limitAtto(limit) / 1_000_000n;
}

function eligibleEndpoints(
  model: Model,
  variant: string | undefined,
  input: PlanInput,
  filters: ProviderFilters,
): {
  eligible: Array<{ endpoint: Endpoint; provider: Provider; access: UpstreamAccess }>;
  reasons: string[];
  /** Every endpoint left out was left out for something the client can change. */
  clientsToFix: boolean;
} {
  const { catalog, request, promptTokens } = input;
  const prefs = request.provider ?? {};
  // Compared without case, as provider names are: "FP8" asks for what a catalog spells "fp8".
  const quantizations = prefs.quantizations?.length
    ? new Set(prefs.quantizations.map((q) => q.toLowerCase()))
    : undefined;
  const needed = neededParameters(request, prefs, variant, input.parameters);
  const maxOutput = request.max_completion_tokens ?? request.max_tokens ?? 0;
  const stops = stopSequences(request).length;
  // Read once a model; for a text request, one field lookup.
  const draws = asksForImages(request) ? model.architecture.output_modalities.includes("image") : undefined;
  const reasons = new Set<string>();
  let clientsToFix = true;
  const eligible: Array<{ endpoint: Endpoint; provider: Provider; access: UpstreamAccess }> = [];
  for (const endpoint of model.endpoints) {
    const provider = catalog.providers.get(endpoint.provider);
    if (!provider) continue;
    const reject = (why: string, byClient = false) => {
      reasons.add(why);
      clientsToFix &&= byClient;
    };
    const excluded = excludedByName(filters, provider, endpoint);
    if (excluded) {
      reject(`excluded by provider.${excluded}`);
      continue;
    }
    if (variant === "free" && !isFree(endpoint)) {
      reject("no free endpoint");
      continue;
    }
    if (quantizations && !quantizations.has(endpoint.quantization?.toLowerCase() ?? "unknown")) {
      reject(`quantization not in ${[...quantizations].join(",")}`);
      continue;
    }
    // `deny` leaves out providers that may train on prompts; one that only retains them (abuse
    // monitoring) stays, as on OpenRouter, where `zdr: true` is what leaves out retention.
    if (prefs.data_collection === "deny" && provider.data_policy.training) {
      reject("provider may train on prompts (data_collection: deny)");
      continue;
    }
    if (prefs.zdr && !provider.data_policy.zdr) {
      reject("provider has no zero data retention (zdr)");
      continue;
    }
    if (prefs.max_price && exceedsMaxPrice(endpoint, prefs.max_price)) {
      reject("price above provider.max_price");
      continue;
    }
    const missing = needed.filter((p) => !supports(endpoint, p));
    if (missing.length > 0) {
      reject(prefs.require_parameters ? `does not support ${missing.join(", ")} (require_parameters)` : NO_TOOL_USE);
      continue;
    }
    if (draws !== undefined && !(draws && adapterFor(provider.adapter)?.drawsImages)) {
      reject(NO_IMAGE_OUTPUT);
      continue;
    }
    const output = Math.min(maxOutput, endpoint.max_completion_tokens ?? maxOutput);
    if (promptTokens + output > endpoint.context_length && !middleOutApplies(request, endpoint)) {
      // The output asked for counts too, and is named when there is one: a request whose prompt
      // fits but whose max_tokens does not was told the context is "smaller than ~3222 prompt
      // tokens", which names neither the field to fix nor a size that is too big.
      const asked = output > 0 ? ` + ${output} output tokens (${outputField(request)})` : "";
      reject(
        `context length ${endpoint.context_length} is smaller than the request (~${promptTokens} prompt tokens${asked})`,
        true,
      );
      continue;
    }
    if (!(input.hasAdapter ? input.hasAdapter(provider) : adapterFor(provider.adapter) !== undefined)) {
      reject(`no adapter for ${provider.adapter}`);
      continue;
    }
    const access = input.access(provider);
    if (!access) {
      reject(`${provider.slug} is not configured (no API key)`);
      continue;
    }
    // What the endpoint lists is not all: its format may not take a value as sent (Cohere's
    // penalties over 1), or a combination (Gemini's tools with a JSON response).
    const cannot =
      prefs.require_parameters && request.messages
        ? cannotHonour(request as ChatRequest, needed, { provider, endpoint, model, ...access })
        : [];
    if (cannot.length > 0) {
      reject(`cannot take ${cannot.join(", ")} as sent (require_parameters)`);
      continue;
    }
    // Checked last, so that a 400 asking for fewer stops is only given when that alone stands in
    // the way. An endpoint without `stop` at all drops it like any parameter it lacks.
    const stopLimit = stops > 0 ? adapterFor(provider.adapter)?.limits?.(provider.slug)?.stopSequences : undefined;
    if (stopLimit !== undefined && stops > stopLimit && supports(endpoint, "stop")) {
      reject(`${provider.name} takes at most ${stopLimit} stop sequences (\`stop\` has ${stops})`, true);
      continue;
    }
    // So is a request for several image choices where the format draws fewer: skipped with no call
    // (another endpoint or model of the plan may answer), a 400 naming `n` when none is left.
    const choices = request.n ?? 1;
    const imageLimit =
      draws && choices > 1 ? adapterFor(provider.adapter)?.limits?.(provider.slug)?.imageChoices : undefined;
    if (imageLimit !== undefined && choices > imageLimit) {
      reject(`${provider.name} draws at most ${imageLimit} image choice a request (\`n\` is ${choices})`, true);
      continue;
    }
    eligible.push({ endpoint, provider, access });
  }
  return { eligible, reasons: [...reasons], clientsToFix };
}

/** The field the output cap was asked in: `max_completion_tokens` wins over `max_tokens`, as in the cap itself. */
function outputField(request: PlanInput["request"]): string {
  return request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
}

/** The needed parameters the endpoint's format would drop from this request, as it builds it. */
function cannotHonour(request: ChatRequest, needed: readonly string[], target: UpstreamTarget): string[] {
  const dropped = adapterFor(target.provider.adapter)?.droppedParameters?.(request, target) ?? [];
  return needed.filter((p) => dropped.includes(p));
}

/**
 * The parameters an endpoint must support to be tried. With `require_parameters`, every one sent
 * (but `max_tokens`, which every endpoint takes, capped to its own limit, and those sent at their
 * API default, `logprobs: false` or `parallel_tool_calls: true`), and `reasoning` for a
 * `:thinking` model, which is sent with reasoning on (routing/variants.ts withVariant). Without
 * it, still `tools`: OpenRouter routes a request with tools only to endpoints that support tool
 * use, since an endpoint that drops them answers in prose where the client waits for a tool call.
 */
function neededParameters(
  request: PlanInput["request"],
  prefs: ProviderPreferences,
  variant: string | undefined,
  extra: readonly string[] = [],
): string[] {
  const sent = [...requestedParameters(request), ...extra];
  if (prefs.require_parameters) {
    // A parameter at its API default asks nothing an endpoint without it would not do.
    const needed = sent.filter((p) => p !== "max_tokens" && !atDefault(request, p));
    if (variant === "thinking" && !needed.includes("reasoning")) needed.push("reasoning");
    return needed;
  }
  return sent.includes("tools") ? ["tools"] : [];
}

export function isFree(endpoint: Endpoint): boolean {
  return priceAtto(endpoint.pricing.prompt) === 0n && priceAtto(endpoint.pricing.completion) === 0n;
}

function exceedsMaxPrice(endpoint: Endpoint, max: NonNullable<ProviderPreferences["max_price"]>): boolean {
  const over = (limit: number | string | undefined, price: string | undefined, perMillion: boolean) => {
    if (limit === undefined || price === undefined) return false;
    const cap = perMillion ? perMillionToAttoPerToken(limit) : limitAtto(limit);
    return priceAtto(price) > cap;
  };
  return (
    over(max.prompt, endpoint.pricing.prompt, true) ||
    over(max.completion, endpoint.pricing.completion, true) ||
    over(max.request, endpoint.pricing.request, false) ||
    over(max.image, endpoint.pricing.image, false)
  );
}

/** Blended prices by endpoint: the catalog's endpoints live as long as the catalog cached here. */
const blendedPrices = new WeakMap<Endpoint, number>();

/**
 * Blended price used for ordering: prompt + completion per token, in atto-USD. Worked out once
 * per endpoint (every request's draw weighs each of its model's endpoints by it).
 */
function blendedPrice(endpoint: Endpoint): number {
  let price = blendedPrices.get(endpoint);
  if (price === undefined) {
    price = Number(priceAtto(endpoint.pricing.prompt) + priceAtto(endpoint.pricing.completion));
    blendedPrices.set(endpoint, price);
  }
  return price;
}

function sortOf(prefs: ProviderPreferences, variant: string | undefined): SortBy | undefined {
  if (variant === "floor") return "price";
  if (variant === "nitro") return "throughput";
  if (variant === "exacto") return "exacto";
  const sort = prefs.sort;
  if (!sort) return undefined;
  return typeof sort === "string" ? sort : (sort.by ?? undefined);
}

/**
 * `sort: {by, partition: "none"}`: endpoints are sorted across all the requested models together,
 * so a fallback model's faster (or cheaper) endpoint goes ahead of the first model's slower one.
 * The default, `partition: "model"`, keeps each model's endpoints together, in the models' order.
 */
function acrossModels(prefs: ProviderPreferences): SortBy | undefined {
  const sort = prefs.sort;
  return typeof sort === "object" && sort?.partition === "none" ? (sort.by ?? undefined) : undefined;
}

/** Orders attempts by a sort criterion: the live figures, the catalog's before there are any. */
function byCriterion(sort: SortBy, input: PlanInput): (a: Attempt, b: Attempt) => number {
  const live = (a: Attempt) => input.figures?.(endpointKey(a.model, a.endpoint));
  if (sort === "price") return (a, b) => blendedPrice(a.endpoint) - blendedPrice(b.endpoint);
  if (sort === "exacto") {
    // An endpoint not called yet has no failures on record.
    const failing = (a: Attempt) => live(a)?.errorRate ?? 0;
    return (a, b) => failing(a) - failing(b);
  }
  if (sort === "throughput") {
    const tps = (a: Attempt) => live(a)?.tps?.p50 ?? a.endpoint.throughput_tps ?? 0;
    return (a, b) => tps(b) - tps(a);
  }
  const latency = (a: Attempt) => live(a)?.ttfbMs?.p50 ?? a.endpoint.latency_ms ?? Number.POSITIVE_INFINITY;
  return (a, b) => latency(a) - latency(b) || 0;
}

function orderEndpoints(
  model: Model,
  eligible: Array<{ endpoint: Endpoint; provider: Provider; access: UpstreamAccess }>,
  variant: string | undefined,
  input: PlanInput,
  order: ProviderRef[] | undefined,
): Attempt[] {
  const random = input.random ?? Math.random;
  const sort = sortOf(input.request.provider ?? {}, variant);
  const attempts = eligible.map(({ endpoint, provider, access }) => ({ model, endpoint, provider, access, variant }));
  // Exacto's ties keep the default order: it reorders the price-weighted draw, never replaces it.
  const base = !sort || sort === "exacto" ? weightedByInverseSquarePrice(attempts, random) : attempts;
  const ordered = sort ? base.sort(byCriterion(sort, input)) : base;
  return withPreferences(ordered, input, order);
}

/**
 * The preferences that move endpoints after sorting or weighting, keeping the order otherwise:
 * those that meet preferred_max_latency / preferred_min_throughput first (preferences, never
 * filters, as OpenRouter documents them), those with a recent outage last, and `order` ahead of all.
 */
function withPreferences(attempts: Attempt[], input: PlanInput, order: ProviderRef[] | undefined): Attempt[] {
  const prefs = input.request.provider ?? {};
  let ordered = attempts;
  const live = (a: Attempt) => input.figures?.(endpointKey(a.model, a.endpoint));
  const meets = meetsPreferences(prefs, live);
  if (meets) ordered = [...ordered.filter((a) => meets(a)), ...ordered.filter((a) => !meets(a))];
  const down = (a: Attempt) => input.isDown?.(endpointKey(a.model, a.endpoint)) ?? false;
  ordered = [...ordered.filter((a) => !down(a)), ...ordered.filter((a) => down(a))];
  if (order) {
    const rank = (a: Attempt) => {
      const i = order.findIndex((ref) => refMatches(ref, a.provider, a.endpoint));
      return i === -1 ? order.length : i;
    };
    ordered = ordered
      .map((a, i) => ({ a, i }))
      .sort((x, y) => rank(x.a) - rank(y.a) || x.i - y.i)
      .map(({ a }) => a);
  }
  return ordered;
}

type Percentile = keyof PercentileStats;
const PERCENTILES: Percentile[] = ["p50", "p75", "p90", "p99"];

/** A preference as cutoffs by percentile: a plain number is the p50's. */
function cutoffsOf(value: ProviderPreferences["preferred_max_latency"]): Array<[Percentile, number]> {
  if (value === null || value === undefined) return [];
  if (typeof value === "number") return [["p50", value]];
  return PERCENTILES.flatMap((p) => {
    const cutoff = value[p];
    return typeof cutoff === "number" ? [[p, cutoff] as [Percentile, number]] : [];
  });
}

/**
 * Whether an endpoint meets `preferred_max_latency` (seconds to first token) and
 * `preferred_min_throughput` (tokens per second) at every percentile given, judged on the live
 * figures, or, before there are any, on the catalog's (one typical figure, taken for every
 * percentile). An endpoint with neither is not known to meet them. Undefined when the request
 * states no preference.
 */
function meetsPreferences(
  prefs: ProviderPreferences,
  live: (a: Attempt) => Partial<EndpointFigures> | undefined,
): ((attempt: Attempt) => boolean) | undefined {
  const latency = cutoffsOf(prefs.preferred_max_latency);
  const throughput = cutoffsOf(prefs.preferred_min_throughput);
  if (latency.length === 0 && throughput.length === 0) return undefined;
  const cache = new Map<Attempt, boolean>();
  return (attempt) => {
    let verdict = cache.get(attempt);
    if (verdict !== undefined) return verdict;
    const { endpoint } = attempt;
    const figures = live(attempt);
    const latencyMs = (p: Percentile) => figures?.ttfbMs?.[p] ?? endpoint.latency_ms;
    const tps = (p: Percentile) => figures?.tps?.[p] ?? endpoint.throughput_tps;
    verdict =
      latency.every(([p, seconds]) => {
        const ms = latencyMs(p);
        return ms !== undefined && ms <= seconds * 1000;
      }) &&
      throughput.every(([p, minimum]) => {
        const value = tps(p);
        return value !== undefined && value >= minimum;
      });
    cache.set(attempt, verdict);
    return verdict;
  };
}

/**
 * OpenRouter's default load balancing: the first endpoint is drawn with probability proportional
 * to 1/price², then the next among the rest, and so on. Free endpoints get the largest weight.
 */
function weightedByInverseSquarePrice<T extends { endpoint: Endpoint }>(items: T[], random: () => number): T[] {
  const pool = items.map((item) => {
    const price = blendedPrice(item.endpoint) / 1e12; // micro-USD per token keeps weights in range
    return { item, weight: 1 / Math.max(price, 1e-6) ** 2 };
  });
  const out: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, p) => sum + p.weight, 0);
    let pick = random() * total;
    let index = pool.length - 1;
    for (let i = 0; i < pool.length; i++) {
      pick -= pool[i]!.weight;
      if (pick < 0) {
        index = i;
        break;
      }
    }
    out.push(pool.splice(index, 1)[0]!.item);
  }
  return out;
}

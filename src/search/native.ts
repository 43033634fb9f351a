import { attoToNanosCeil, priceAtto } from "../billing/money";
import type { Endpoint, Provider } from "../catalog/types";
import type { Attempt } from "../routing/plan";
import { badRequest } from "../schema/errors";
import type { WebSearch } from "./web";

/**
 * Native web search (the `web` plugin's `engine: "native"`, and its default where the endpoint
 * has it): the provider searches with its own server tool, and bills each search it runs. Here:
 * Anthropic's Messages API, on endpoints whose catalog entry prices `web_search` (the price is
 * what says the endpoint runs the tool; Bedrock's Claude has no such tool).
 */
export function searchesNatively(search: WebSearch, provider: Provider, endpoint: Endpoint): boolean {
  return search.engine !== "exa" && provider.adapter === "anthropic" && endpoint.pricing.web_search !== undefined;
}

/**
 * Providers whose models search the web by themselves, unasked and unbilled by the gateway
 * (OpenRouter's docs: Perplexity's are "native only"): the plugin adds no search of its own there.
 */
export function searchesByItself(provider: Provider): boolean {
  return provider.slug === "perplexity";
}

/** The most the native searches of one call may cost at `attempt`'s endpoint: every search it may run. */
export function nativeWorstNanos(search: WebSearch, attempt: Attempt): number {
  return search.maxResults * attoToNanosCeil(priceAtto(attempt.endpoint.pricing.web_search));
}

/** What asked for a native search, as a 400 names it (its field, and the error's metadata). */
export interface NativeAsker {
  name: string;
  metadata: Record<string, unknown>;
}

/** The `web` plugin, as its 400s name it. */
const WEB_PLUGIN: NativeAsker = { name: 'plugins: "web"', metadata: { plugin: "web", field: "engine" } };

/**
 * With `engine: "native"`, the plan's endpoints that search natively (a fallback that cannot is
 * left out: it would answer without the search asked for); none is a 400 naming the model and
 * what asked (`asker`: the `web` plugin, or the `openrouter:web_search` server tool).
 */
export function nativeOnly(search: WebSearch, attempts: Attempt[], asker: NativeAsker = WEB_PLUGIN): Attempt[] {
  if (search.engine !== "native") return attempts;
  const native = attempts.filter((a) => searchesNatively(search, a.provider, a.endpoint));
  if (native.length === 0) {
    const models = [...new Set(attempts.map((a) => a.model.id))].join(", ");
    throw badRequest(
      `${asker.name} engine "native" is not available for ${models || "this model"}: its providers have no web search of their own here (use "exa", or leave engine unset)`,
      asker.metadata,
    );
  }
  return native;
}

import type { CatalogIndex } from "../catalog/store";
import type { Endpoint, Provider } from "../catalog/types";
import type { ProviderPreferences } from "../schema/chat";
import { badRequest } from "../schema/errors";

/**
 * A name from `provider.order`, `only` or `ignore`: a provider, by slug or display name in any
 * case ("together", "Together"), or one of its endpoints, `slug/tag` as `/endpoints` shows the
 * tag ("deepinfra/turbo"). A tag that names no endpoint's tag also matches an untagged endpoint
 * of that quantization, since OpenRouter's tags are mostly `provider/quantization`: a name copied
 * from OpenRouter ("together/fp8") picks Together's fp8 endpoint.
 */
export interface ProviderRef {
  slug: string;
  tag?: string;
}

function providerByName(catalog: CatalogIndex, name: string): Provider | undefined {
  const lower = name.toLowerCase();
  if (catalog.providers.has(lower)) return catalog.providers.get(lower);
  for (const provider of catalog.providers.values()) if (provider.name.toLowerCase() === lower) return provider;
  return undefined;
}

/** The provider and tag a name refers to, or undefined when no provider has that slug or name. */
function parse(name: string, catalog: CatalogIndex): ProviderRef | undefined {
  const whole = providerByName(catalog, name);
  if (whole) return { slug: whole.slug };
  const slash = name.indexOf("/");
  if (slash <= 0) return undefined;
  const provider = providerByName(catalog, name.slice(0, slash));
  const tag = name.slice(slash + 1).toLowerCase();
  return provider ? { slug: provider.slug, ...(tag ? { tag } : {}) } : undefined;
}

/** The names of one preference list, parsed; undefined when the list is absent or empty. */
export function providerRefs(names: readonly string[] | null | undefined, catalog: CatalogIndex) {
  if (!names?.length) return undefined;
  return names.flatMap((name) => parse(name, catalog) ?? []);
}

/** A ref as a name: the provider's slug, or `slug/tag` (lower case) for an endpoint. */
export const refName = (ref: ProviderRef) => (ref.tag ? `${ref.slug}/${ref.tag}` : ref.slug);

export function refMatches(ref: ProviderRef, provider: Provider, endpoint: Endpoint): boolean {
  if (ref.slug !== provider.slug) return false;
  if (ref.tag === undefined) return true;
  const tag = endpoint.tag?.toLowerCase();
  return tag !== undefined ? tag === ref.tag : endpoint.quantization?.toLowerCase() === ref.tag;
}

/** A name that matches no provider is a 400 that names it and lists the known slugs. */
export function validateProviderNames(prefs: ProviderPreferences, catalog: CatalogIndex): void {
  for (const field of ["order", "only", "ignore"] as const) {
    for (const name of prefs[field] ?? []) {
      if (!parse(name, catalog)) {
        throw badRequest(`provider.${field}: unknown provider "${name}"`, { known: [...catalog.providers.keys()] });
      }
    }
  }
}

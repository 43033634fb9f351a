import type { Env } from "../env";
import { Refreshing } from "../refreshing";
import { defaultCatalog } from "./default-catalog";
import { type Catalog, CatalogSchema, type Model, type Provider } from "./types";

/**
 * A validated catalog with the lookups the request path needs, built once per version (and again
 * when one of its models reaches its expiration date).
 */
export interface CatalogIndex {
  /** The catalog in force: its models shut down by the time the index was built left out. */
  catalog: Catalog;
  models: Map<string, Model>;
  providers: Map<string, Provider>;
  /** Where the catalog came from, reported by /models responses for operators. */
  source: "default" | "kv";
  /** Models left out for their expiration date, with that date: named in a request's 400. */
  shutDown: Map<string, string>;
  /** When the next of its models shuts down (ms; Infinity for none): the index is built again then. */
  nextShutdown: number;
  /** The catalog as given, expired models and all, and the index built from it after `nextShutdown`. */
  given: Catalog;
  later?: CatalogIndex;
}

/** The moment a model's expiration date begins (UTC), in ms. */
const shutdownAt = (date: string) => Date.parse(`${date}T00:00:00Z`);

export const CATALOG_KV_KEY = "catalog";
const CACHE_URL = "https://tollgate.internal/catalog/v1";

export function indexCatalog(given: Catalog, source: CatalogIndex["source"], now = Date.now()): CatalogIndex {
  const providers = new Map(given.providers.map((p) => [p.slug, p]));
  const models = new Map<string, Model>();
  const shutDown = new Map<string, string>();
  let nextShutdown = Number.POSITIVE_INFINITY;
  for (const model of given.models) {
    for (const endpoint of model.endpoints) {
      if (!providers.has(endpoint.provider)) {
        throw new Error(`catalog: model ${model.id} names unknown provider ${endpoint.provider}`);
      }
    }
    const expires = model.expiration_date === null ? Number.POSITIVE_INFINITY : shutdownAt(model.expiration_date);
    if (expires <= now) {
      shutDown.set(model.id, model.expiration_date as string);
      continue;
    }
    nextShutdown = Math.min(nextShutdown, expires);
    models.set(model.id, model);
  }
  const catalog = shutDown.size === 0 ? given : { ...given, models: [...models.values()] };
  return { catalog, models, providers, source, shutDown, nextShutdown, given };
}

/**
 * The index in force now: `index`, or once one of its models has reached its expiration date, the
 * index built again without it (once per isolate and date; one comparison a request otherwise).
 */
export function indexInForce(index: CatalogIndex, now: number): CatalogIndex {
  let live = index;
  while (live.nextShutdown <= now) {
    live.later ??= indexCatalog(live.given, live.source, now);
    live = live.later;
  }
  return live;
}

let bundled: CatalogIndex | undefined;
function bundledIndex(): CatalogIndex {
  bundled ??= indexCatalog(defaultCatalog, "default");
  return bundled;
}

const current = new Refreshing<CatalogIndex>();

/**
 * The catalog in force: the operator's KV override when present, else the bundled default.
 * Cached in the isolate for CATALOG_TTL_SECONDS and in the Cache API (shared by the isolates of a
 * location), so KV is read about once per TTL per location. Past the TTL the cached catalog is
 * still served while one refresh runs in the background (see Refreshing): only an isolate's
 * first request waits for the catalog. A broken override is ignored (with a log line) rather
 * than taking the gateway down.
 */
export async function getCatalog(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<CatalogIndex> {
  const index = await current.get(
    ctx,
    () => loadCatalog(env, ctx),
    () => ttlSeconds(env) * 1000,
  );
  return indexInForce(index, Date.now());
}

function ttlSeconds(env: Env): number {
  const ttl = Number(env.CATALOG_TTL_SECONDS ?? "60");
  return Number.isFinite(ttl) && ttl >= 0 ? ttl : 60;
}

/**
 * The last override read and what it became: a refresh that finds the same text (the usual
 * case, every TTL) reuses it rather than parsing and validating the whole catalog again.
 */
let lastOverride: { raw: string; index: CatalogIndex } | undefined;

async function loadCatalog(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<CatalogIndex> {
  const raw = await readOverride(env, ctx);
  if (raw === null) return bundledIndex();
  if (lastOverride?.raw === raw) return lastOverride.index;
  let index: CatalogIndex;
  try {
    index = indexCatalog(CatalogSchema.parse(JSON.parse(raw)), "kv");
  } catch (error) {
    console.error(JSON.stringify({ msg: "catalog override rejected", error: String(error) }));
    index = bundledIndex();
  }
  lastOverride = { raw, index };
  return index;
}

async function readOverride(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<string | null> {
  const cache = typeof caches === "undefined" ? undefined : caches.default;
  const hit = await cache?.match(CACHE_URL).catch(() => undefined);
  if (hit) {
    const text = await hit.text();
    return text === "" ? null : text;
  }
  const raw = await env.CATALOG.get(CATALOG_KV_KEY);
  const response = new Response(raw ?? "", {
    headers: { "cache-control": `max-age=${ttlSeconds(env)}` },
  });
  // The location's other isolates read it from there; this request need not wait for the write.
  if (cache) ctx.waitUntil(cache.put(CACHE_URL, response).catch(() => undefined));
  return raw;
}

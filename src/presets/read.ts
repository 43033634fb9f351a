import { presetKvKey } from "../billing/preset-store";
import { cachedIn, Refreshing } from "../refreshing";
import { type ActivePreset, ActivePresetSchema } from "../schema/presets";

/**
 * The request path's read of a preset: KV `KEYS` (written by the Account object on every save),
 * cached in the isolate so a client that names a preset on every request costs one KV read per
 * isolate per PRESET_CACHE_TTL_MS. Past the TTL the preset in hand still answers while one read
 * refreshes it (Refreshing), so an edit reaches other isolates within about that time, plus KV's
 * own propagation to other locations. Never the Durable Object: a preset costs no call to it.
 */
export const PRESET_CACHE_TTL_MS = 10_000;
const MAX_CACHED_PRESETS = 10_000;
const cache = new Map<string, Refreshing<ActivePreset | null>>();

async function load(kv: KVNamespace, key: string): Promise<ActivePreset | null> {
  const parsed = ActivePresetSchema.safeParse(await kv.get(key, "json"));
  return parsed.success ? parsed.data : null;
}

/**
 * A preset KV does not hold is not kept (as the key cache keeps no unknown key): kept, it would be
 * served stale past its TTL, a 404 for a preset made meanwhile through another isolate.
 */
export async function readActivePreset(
  kv: KVNamespace,
  ctx: Pick<ExecutionContext, "waitUntil">,
  accountId: string,
  slug: string,
): Promise<ActivePreset | null> {
  const key = presetKvKey(accountId, slug);
  const entry = cachedIn(cache, key, MAX_CACHED_PRESETS, () => new Refreshing<ActivePreset | null>());
  const preset = await entry.get(
    ctx,
    () => load(kv, key),
    () => PRESET_CACHE_TTL_MS,
  );
  if (!preset) cache.delete(key);
  return preset;
}

/** Drops a preset from this isolate's cache (after it was saved through this isolate). */
export function forgetPreset(accountId: string, slug: string): void {
  cache.delete(presetKvKey(accountId, slug));
}

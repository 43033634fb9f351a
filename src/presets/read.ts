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
/**
 * A preset KV does not hold is remembered for less time: one named before it exists (or made a
 * moment ago through another isolate) is found soon after, while a client naming an unknown one
 * in a loop still costs a KV read per isolate only every so often.
 */
const MISSING_TTL_MS = 2_000;
const MAX_CACHED_PRESETS = 10_000;
const cache = new Map<string, Refreshing<ActivePreset | null>>();

async function load(kv: KVNamespace, key: string): Promise<ActivePreset | null> {
  const parsed = ActivePresetSchema.safeParse(await kv.get(key, "json"));
  return parsed.success ? parsed.data : null;
}

export function readActivePreset(
  kv: KVNamespace,
  ctx: Pick<ExecutionContext, "waitUntil">,
  accountId: string,
  slug: string,
): ActivePreset | null | Promise<ActivePreset | null> {
  const key = presetKvKey(accountId, slug);
  const entry = cachedIn(cache, key, MAX_CACHED_PRESETS, () => new Refreshing<ActivePreset | null>());
  return entry.get(
    ctx,
    () => load(kv, key),
    (preset) => (preset ? PRESET_CACHE_TTL_MS : MISSING_TTL_MS),
  );
}

/** Drops a preset from this isolate's cache (after it was saved through this isolate). */
export function forgetPreset(accountId: string, slug: string): void {
  cache.delete(presetKvKey(accountId, slug));
}

import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { WAIT_UNTIL_LIMIT_MS } from "../platform";
import { unauthorized } from "../schema/errors";
import { hashApiKey, type KeyRecord, KeyRecordSchema } from "./keys";

/**
 * Key records cached in the isolate: KV is read at most once a minute per key per isolate, and
 * past that minute the record in hand is still used while one read refreshes it in the
 * background (a busy key never makes a request wait on KV after the first). A revoked key can
 * stay in this cache (and in KV, which is eventually consistent); that is safe because the
 * Account Durable Object checks liveness on every request that costs money or reads the account.
 */
const CACHE_TTL_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;
/** `refreshStarted`: when a background read of the record began (0: none under way). */
const cache = new Map<string, { record: KeyRecord; expires: number; refreshStarted: number }>();

/**
 * Hashes of keys seen recently, so a busy key is not re-hashed (an async digest, a turn of the
 * event loop) on every request. Bounded and short-lived like the record cache; memory only.
 */
const hashes = new Map<string, { hash: string; expires: number }>();

async function hashOf(key: string, now: number): Promise<string> {
  const known = hashes.get(key);
  if (known && known.expires > now) return known.hash;
  const hash = await hashApiKey(key);
  if (hashes.size >= MAX_CACHED_KEYS) hashes.clear();
  hashes.set(key, { hash, expires: now + CACHE_TTL_MS });
  return hash;
}

/** Reads a key's record from KV into the cache (or drops it from the cache when KV has none). */
async function readRecord(kv: KVNamespace, hash: string): Promise<KeyRecord | null> {
  const parsed = KeyRecordSchema.safeParse(await kv.get(hash, "json"));
  if (!parsed.success) {
    cache.delete(hash);
    return null;
  }
  if (cache.size >= MAX_CACHED_KEYS) cache.clear();
  cache.set(hash, { record: parsed.data, expires: Date.now() + CACHE_TTL_MS, refreshStarted: 0 });
  return parsed.data;
}

export async function lookupKey(
  kv: KVNamespace,
  key: string,
  ctx: Pick<ExecutionContext, "waitUntil">,
): Promise<KeyRecord | null> {
  const now = Date.now();
  const hash = await hashOf(key, now);
  const hit = cache.get(hash);
  if (!hit) return readRecord(kv, hash);
  if (hit.expires <= now && now - hit.refreshStarted > WAIT_UNTIL_LIMIT_MS) {
    hit.refreshStarted = now;
    ctx.waitUntil(
      readRecord(kv, hash).catch(() => {
        hit.refreshStarted = 0; // KV failed: the next request tries again
      }),
    );
  }
  return hit.record;
}

/** Drops a key from this isolate's cache (after it is deleted through this isolate). */
export function forgetKey(hash: string): void {
  cache.delete(hash);
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Resolves `Authorization: Bearer <key>` to its account, or answers 401 in OpenRouter's shape. */
export const requireKey = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw unauthorized("Missing Authentication header: send `Authorization: Bearer <key>`");
  const record = await lookupKey(c.env.KEYS, token, c.executionCtx);
  if (!record) throw unauthorized("No auth credentials found or the key is invalid");
  c.set("auth", record);
  c.set("attribution", {
    referer: c.req.header("http-referer") ?? c.req.header("referer") ?? null,
    title: c.req.header("x-title") ?? c.req.header("x-openrouter-title") ?? null,
  });
  await next();
});

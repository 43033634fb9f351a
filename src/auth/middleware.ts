import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { unauthorized } from "../schema/errors";
import { hashApiKey, type KeyRecord, KeyRecordSchema } from "./keys";

/**
 * Key records cached in the isolate: KV is read at most once a minute per key per isolate.
 * A revoked key can stay in this cache (and in KV, which is eventually consistent); that is
 * safe because the Account Durable Object checks liveness on every request that costs money.
 */
const CACHE_TTL_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;
const cache = new Map<string, { record: KeyRecord; expires: number }>();

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

export async function lookupKey(kv: KVNamespace, key: string): Promise<KeyRecord | null> {
  const now = Date.now();
  const hash = await hashOf(key, now);
  const hit = cache.get(hash);
  if (hit && hit.expires > now) return hit.record;
  const stored = await kv.get(hash, "json");
  const parsed = KeyRecordSchema.safeParse(stored);
  if (!parsed.success) {
    cache.delete(hash);
    return null;
  }
  if (cache.size >= MAX_CACHED_KEYS) cache.clear();
  cache.set(hash, { record: parsed.data, expires: now + CACHE_TTL_MS });
  return parsed.data;
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
  const record = await lookupKey(c.env.KEYS, token);
  if (!record) throw unauthorized("No auth credentials found or the key is invalid");
  c.set("auth", record);
  c.set("attribution", {
    referer: c.req.header("http-referer") ?? c.req.header("referer") ?? null,
    title: c.req.header("x-title") ?? c.req.header("x-openrouter-title") ?? null,
  });
  await next();
});

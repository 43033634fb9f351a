import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { cachedIn, Refreshing } from "../refreshing";
import { unauthorized } from "../schema/errors";
import { hashApiKey, KEY_PREFIX, type KeyRecord, KeyRecordSchema } from "./keys";

/**
 * Key records cached in the isolate: KV is read at most once a minute per key per isolate, and
 * past that minute the record in hand is still used while one read refreshes it in the
 * background (a busy key never makes a request wait on KV after the first; see Refreshing). A
 * key KV does not hold is not kept. A revoked key can stay in this cache (and in KV, which is
 * eventually consistent); that is safe because the Account Durable Object checks liveness on
 * every request that costs money or reads the account, either itself or through the lease the
 * request runs under, which the object waits out before it answers a revocation
 * (billing/leases.ts).
 */
const CACHE_TTL_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;
const cache = new Map<string, Refreshing<KeyRecord | null>>();

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

async function readRecord(kv: KVNamespace, hash: string): Promise<KeyRecord | null> {
  const parsed = KeyRecordSchema.safeParse(await kv.get(hash, "json"));
  return parsed.success ? parsed.data : null;
}

/** What every Tollgate key looks like (keys.ts generateApiKey): anything else is no key, unhashed. */
const KEY_SHAPE = new RegExp(`^${KEY_PREFIX}[0-9a-f]{64}$`);

export async function lookupKey(
  kv: KVNamespace,
  key: string,
  ctx: Pick<ExecutionContext, "waitUntil">,
): Promise<KeyRecord | null> {
  // A token of any other shape cannot be a key: refused before it is hashed or kept, so that
  // junk sent without a key (up to a header's size each) fills no cache.
  if (!KEY_SHAPE.test(key)) return null;
  const hash = await hashOf(key, Date.now());
  const entry = cachedIn(cache, hash, MAX_CACHED_KEYS, () => new Refreshing<KeyRecord | null>());
  const record = await entry.get(
    ctx,
    () => readRecord(kv, hash),
    () => CACHE_TTL_MS,
  );
  if (!record) cache.delete(hash);
  return record;
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

/** How a route reads the key from a request's headers (null: none sent). */
type KeyReader = (header: (name: string) => string | undefined) => string | null;

/** Resolves the key a route reads to its account, or answers 401 in OpenRouter's shape. */
const keyMiddleware = (readKey: KeyReader, missing: string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = readKey((name) => c.req.header(name));
    if (!token) throw unauthorized(missing);
    const record = await lookupKey(c.env.KEYS, token, c.executionCtx);
    if (!record) throw unauthorized("No auth credentials found or the key is invalid");
    c.set("auth", record);
    c.set("attribution", {
      referer: c.req.header("http-referer") ?? c.req.header("referer") ?? null,
      title: c.req.header("x-title") ?? c.req.header("x-openrouter-title") ?? null,
    });
    await next();
  });

/** Resolves `Authorization: Bearer <key>` to its account, or answers 401 in OpenRouter's shape. */
export const requireKey = keyMiddleware(
  (header) => bearerToken(header("authorization")),
  "Missing Authentication header: send `Authorization: Bearer <key>`",
);

/**
 * Anthropic's Messages API routes: the key as Anthropic's SDK sends it (`x-api-key`) or as a
 * bearer token (Claude Code's ANTHROPIC_AUTH_TOKEN). The same key, looked up the same way.
 */
export const requireKeyOrApiKey = keyMiddleware(
  (header) => bearerToken(header("authorization")) ?? (header("x-api-key")?.trim() || null),
  "Missing Authentication header: send `x-api-key: <key>` or `Authorization: Bearer <key>`",
);

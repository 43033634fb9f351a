import { generateApiKey, hashApiKey, KEY_PREFIX, type KeyRecord } from "../auth/keys";
import { forgetKey } from "../auth/middleware";
import type { Env } from "../env";
import type { CreateKeyBody, UpdateKeyBody } from "../schema/accounting";
import { GatewayError } from "../schema/errors";
import type { KeyPatch, KeySpec, KeyView, Outcome } from "./account-types";
import { accountStub, unwrap } from "./client";
import { parseUsdToNanos } from "./money";

/**
 * Issuing and revoking keys touches two stores: the Account object (the authority on the key's
 * state) and KV `KEYS` (hash → account, read on every request). A key is written to the object
 * first and to KV second, and removed from the object first, so KV never holds a key the object
 * would accept and does not know.
 */

/** How `/key` labels a key: enough of the secret to recognise it, never enough to use it. */
export function maskKey(secret: string): string {
  return `${secret.slice(0, KEY_PREFIX.length + 3)}...${secret.slice(-3)}`;
}

export function specFromBody(body: CreateKeyBody, hash: string, secret: string, isProvisioning: boolean): KeySpec {
  return {
    hash,
    name: body.name,
    label: maskKey(secret),
    isProvisioning,
    limitNanos: body.limit == null ? null : parseUsdToNanos(body.limit),
    limitReset: body.limit_reset ?? null,
    includeByokInLimit: body.include_byok_in_limit ?? false,
    rateLimit: body.rate_limit ?? null,
    expiresAt: body.expires_at ? Date.parse(body.expires_at) : null,
    creatorUserId: body.creator_user_id ?? null,
  };
}

export function patchFromBody(body: UpdateKeyBody): KeyPatch {
  const patch: KeyPatch = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.disabled !== undefined) patch.disabled = body.disabled;
  if (body.limit !== undefined) patch.limitNanos = body.limit === null ? null : parseUsdToNanos(body.limit);
  if (body.limit_reset !== undefined) patch.limitReset = body.limit_reset;
  if (body.include_byok_in_limit !== undefined) patch.includeByokInLimit = body.include_byok_in_limit;
  if (body.rate_limit !== undefined) patch.rateLimit = body.rate_limit;
  if (body.expires_at !== undefined) patch.expiresAt = body.expires_at === null ? null : Date.parse(body.expires_at);
  return patch;
}

export interface IssuedKey {
  /** The secret: shown once, stored nowhere. */
  key: string;
  view: KeyView;
}

/**
 * Creates a key in `accountId`: by a provisioning key (`callerHash`, inference keys only) or by
 * the operator (`callerHash` null, may create provisioning keys).
 */
export async function issueKey(
  env: Env,
  accountId: string,
  body: CreateKeyBody,
  options: { callerHash: string | null; isProvisioning: boolean },
): Promise<IssuedKey> {
  const key = generateApiKey();
  const hash = await hashApiKey(key);
  const spec = specFromBody(body, hash, key, options.isProvisioning);
  const stub = accountStub(env, accountId);
  const outcome: Outcome<KeyView> =
    options.callerHash === null ? await stub.adminCreateKey(spec) : await stub.createKey(options.callerHash, spec);
  const view = unwrap(outcome);
  const record: KeyRecord = { accountId, keyHash: hash, isProvisioning: view.isProvisioning };
  try {
    await env.KEYS.put(hash, JSON.stringify(record));
  } catch (error) {
    // Without its KV record the key could never authenticate, yet it would be listed (and count
    // against nothing) until deleted: it is taken back, and the caller, who never saw its secret,
    // told to try again.
    console.error(JSON.stringify({ msg: "key not stored", hash, error: String(error) }));
    await stub.adminDeleteKey(hash).catch(() => {});
    throw new GatewayError(503, "The key could not be stored; nothing was created: try again");
  }
  return { key, view };
}

/** Deletes a key: refused by the object at once, then dropped from KV and this isolate's cache. */
export async function revokeKey(env: Env, accountId: string, hash: string, callerHash: string | null): Promise<void> {
  const stub = accountStub(env, accountId);
  unwrap(callerHash === null ? await stub.adminDeleteKey(hash) : await stub.deleteKey(callerHash, hash));
  forgetKey(hash);
  // The key is deleted (the object refuses it from now on): a KV record left behind only leads
  // its requests to that refusal, so a failed delete here does not fail the deletion.
  await env.KEYS.delete(hash).catch((error: unknown) => {
    console.error(JSON.stringify({ msg: "revoked key's record not deleted", hash, error: String(error) }));
  });
}

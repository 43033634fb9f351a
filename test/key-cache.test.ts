import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateApiKey, hashApiKey, type KeyRecord } from "../src/auth/keys";
import { lookupKey } from "../src/auth/middleware";

const KEYS = (env as unknown as { KEYS: KVNamespace }).KEYS;

async function storedKey(accountId: string) {
  const key = generateApiKey();
  const hash = await hashApiKey(key);
  const record: KeyRecord = { accountId, keyHash: hash, isProvisioning: false };
  await KEYS.put(hash, JSON.stringify(record));
  return { key, hash, record };
}

/** Moves the isolate's clock past the key cache's minute. */
function aMinuteLater() {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + 61_000);
}

describe("the isolate's key cache", () => {
  afterEach(() => vi.useRealTimers());

  it("past its minute, answers with the record in hand while one KV read refreshes it", async () => {
    const { key, hash, record } = await storedKey("acct-before");
    expect(await lookupKey(KEYS, key, createExecutionContext())).toEqual(record);
    const moved = { ...record, accountId: "acct-after" };
    await KEYS.put(hash, JSON.stringify(moved));

    aMinuteLater();
    const ctx = createExecutionContext();
    expect(await lookupKey(KEYS, key, ctx)).toEqual(record); // no wait on KV
    await waitOnExecutionContext(ctx); // the refresh ran in waitUntil
    expect(await lookupKey(KEYS, key, createExecutionContext())).toEqual(moved);
  });

  it("forgets a key KV no longer holds once the refresh finds it gone", async () => {
    const { key, hash, record } = await storedKey("acct-gone");
    expect(await lookupKey(KEYS, key, createExecutionContext())).toEqual(record);
    await KEYS.delete(hash);

    aMinuteLater();
    const ctx = createExecutionContext();
    expect(await lookupKey(KEYS, key, ctx)).toEqual(record); // the Account object still refuses it
    await waitOnExecutionContext(ctx);
    expect(await lookupKey(KEYS, key, createExecutionContext())).toBeNull();
  });
});

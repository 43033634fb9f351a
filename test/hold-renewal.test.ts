import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AccountDurableObject } from "../src/billing/account-do";
import { accountStub } from "../src/billing/client";
import { RESERVATION_TTL_MS } from "../src/billing/reservations";
import worker from "../src/index";
import { env, newAccount, reserveInput, settled, USD } from "./billing-support";
import { BASE, fundedAccount, sleep } from "./support/gateway";

/**
 * A hold lives RESERVATION_TTL_MS (15 minutes) unless its generation settles; a stream may run
 * longer (deep-research models, long generations). Released by the alarm while the stream still
 * runs, its money could be spent by the key's other requests, and the stream's charge would then
 * be clamped to what is left: less than the provider bills. A running stream renews its hold.
 */

interface HoldRow extends Record<string, SqlStorageValue> {
  id: string;
  created_at: number;
  expires_at: number;
}

async function holdsOf(accountId: string): Promise<HoldRow[]> {
  return runInDurableObject(accountStub(env, accountId), (_instance: AccountDurableObject, state) =>
    state.storage.sql.exec<HoldRow>("SELECT id, created_at, expires_at FROM reservations").toArray(),
  );
}

/** Renewing every 300 ms, so a stream of a few seconds renews several times; leases off unless asked. */
function streamRenewing(key: string, content: string, extraEnv: Record<string, string> = {}) {
  return worker.fetch(
    new Request(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "openai/gpt-4o-mini",
        stream: true,
        max_tokens: 50,
        messages: [{ role: "user", content }],
      }),
    }),
    { ...env, HOLD_RENEW_MS: "300", KEY_LEASE_MS: "0", ...extraEnv },
    createExecutionContext(),
  );
}

describe("a running stream keeps its hold", () => {
  it("renews its hold's expiry while it streams, and settles it as usual", async () => {
    const acct = await fundedAccount("10");
    const response = await streamRenewing(acct.key, "Go slowly [[emulate tokens=6 chunk_delay_ms=400]]");
    expect(response.status).toBe(200);
    const body = response.text();
    await sleep(1200);
    const [hold, ...others] = await holdsOf(acct.accountId);
    expect(others).toHaveLength(0);
    // Placed with RESERVATION_TTL_MS of life; renewed since, its expiry is later than that.
    expect((hold as HoldRow).expires_at).toBeGreaterThan((hold as HoldRow).created_at + RESERVATION_TTL_MS + 250);
    await body;
    const books = await settled(acct.accountId);
    expect(books.totals.reservedNanos).toBe(0);
    expect(books.totals.usageNanos).toBeGreaterThan(0);
  });

  it("a stream under the key's lease renews the lease's hold", async () => {
    const acct = await fundedAccount("10");
    const leased = { KEY_LEASE_MS: "5000" };
    // Requests close together make the key busy: a later one asks for a lease, the next start under it.
    for (let i = 0; i < 3; i++) {
      await (await streamRenewing(acct.key, "warm up [[emulate tokens=1]]", leased)).text();
    }
    const response = await streamRenewing(acct.key, "Go slowly [[emulate tokens=5 chunk_delay_ms=400]]", leased);
    expect(response.headers.get("server-timing")).toMatch(/(^|, )lease;/);
    const body = response.text();
    await sleep(1200);
    const lease = (await holdsOf(acct.accountId)).find((h) => h.id.startsWith("lease-"));
    expect(lease).toBeDefined();
    expect((lease as HoldRow).expires_at).toBeGreaterThan((lease as HoldRow).created_at + RESERVATION_TTL_MS + 250);
    await body;
  });

  it("a renewed hold outlives the alarm that would have released it; one not renewed does not", async () => {
    const { accountId, keyHash } = await newAccount(10 * USD);
    const stub = accountStub(env, accountId);
    const kept = reserveInput(keyHash);
    const dropped = reserveInput(keyHash);
    expect((await stub.reserve(kept)).ok).toBe(true);
    expect((await stub.reserve(dropped)).ok).toBe(true);
    // Both at the end of their life, as 15 minutes after they were placed.
    await runInDurableObject(stub, (_instance: AccountDurableObject, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ?", Date.now() - 1);
    });
    expect(await stub.renewHolds([kept.generationId, "gen-never-held"])).toBe(1);
    await runDurableObjectAlarm(stub);
    expect((await holdsOf(accountId)).map((h) => h.id)).toEqual([kept.generationId]);
  });
});

import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { accountStub } from "../src/billing/client";
import { env, newAccount, reserveInput, USD } from "./billing-support";

/**
 * The money path's audit (leases, head starts, batched settlements, dead letters): each test
 * shows a user-visible outcome that a defect once broke.
 */

const WORST = 5_000_000; // reserveInput's worst case
const lease = (nanos: number, ms = 1000) => ({ id: `lease-${crypto.randomUUID()}`, nanos, ms });

/** Resets the account's object, as a deploy or an eviction does: its memory is lost, its rows stay. */
async function restart(accountId: string) {
  await runInDurableObject(accountStub(env, accountId), (_instance, state) => {
    state.abort("restart");
  }).catch(() => {});
}

async function timed(call: () => PromiseLike<unknown>): Promise<number> {
  const started = Date.now();
  await call();
  return Date.now() - started;
}

describe("a change that restricts a key, with leases out", () => {
  it("waits for a lease granted before the object restarted, even when a shorter one was granted since", async () => {
    const { accountId, keyHash } = await newAccount(1 * USD);
    // Isolate A: a lease that may start requests for 1.5 s.
    const long = await accountStub(env, accountId).reserve(reserveInput(keyHash, { lease: lease(8 * WORST, 1500) }));
    expect(long).toMatchObject({ ok: true, lease: { ms: 1500 } });
    await restart(accountId);
    // Isolate B, after the restart: a lease of 100 ms.
    const short = await accountStub(env, accountId).reserve(reserveInput(keyHash, { lease: lease(8 * WORST, 100) }));
    expect(short).toMatchObject({ ok: true, lease: { ms: 100 } });
    // Disabling the key must not be answered while A's lease can still start requests on it.
    const waited = await timed(() => accountStub(env, accountId).adminUpdateKey(keyHash, { disabled: true }));
    expect(waited).toBeGreaterThanOrEqual(1200);
  }, 20_000);
});

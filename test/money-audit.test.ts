import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { accountStub, reserve, settle } from "../src/billing/client";
import { takeHeadStart } from "../src/billing/head-start";
import { env, generationRecord, genId, newAccount, reserveInput, USD } from "./billing-support";

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

describe("settlements a reservation carries", () => {
  it("are kept alive (waitUntil) from the moment the reservation takes them, not only once it is answered", async () => {
    // Other requests' settlements, queued: the window's owner resolves once a reservation takes
    // them, so from then on the reserving request alone delivers them. Its client may leave while
    // the call is in flight (or waits out a retry), and a request without pending waitUntil work
    // is cancelled then: the carried settlements would be lost, their generations never charged.
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const held = reserveInput(keyHash);
    expect((await stub.reserve(held)).ok).toBe(true);
    const windowClosed = settle(env, accountId, {
      keyHash,
      generationId: held.generationId,
      record: generationRecord(held.generationId, keyHash, 3_000),
    });
    const kept: Promise<unknown>[] = [];
    const reserving = reserve(env, accountId, reserveInput(keyHash), (work) => kept.push(work));
    // The call is on its way and not yet answered: its carried settlements are already kept alive.
    expect(kept.length).toBe(1);
    expect(await reserving).toMatchObject({ ok: true });
    await Promise.all([...kept, windowClosed]);
    const audit = await stub.audit();
    expect(audit?.totals.usageNanos).toBe(3_000);
    expect(audit?.reservationCount).toBe(1); // the new reservation's hold only
  });
});

describe("head starts", () => {
  it("an answer does not give back room that the key's other reservations from here, still unanswered, took", async () => {
    // Room for four worst cases once the first request holds its own.
    const { accountId, keyHash } = await newAccount(5 * WORST);
    expect(await reserve(env, accountId, reserveInput(keyHash))).toMatchObject({ ok: true, headStartNanos: 4 * WORST });
    // Four requests start on that room at once, their reservations on their way.
    const now = Date.now();
    for (let i = 0; i < 4; i++) expect(takeHeadStart(keyHash, WORST, now)).toBe(true);
    expect(takeHeadStart(keyHash, WORST, now)).toBe(false);
    // The first of the four is answered before the others: the object saw only it, so its
    // answer says three worst cases are left, but the other three are already spending them.
    let answerRest: () => void = () => {};
    const rest = new Promise<void>((resolve) => {
      answerRest = resolve;
    });
    const real = env.ACCOUNTS;
    let calls = 0;
    const slowAfterFirst = {
      ...env,
      ACCOUNTS: {
        idFromName: (name: string) => real.idFromName(name),
        get: (id: DurableObjectId) => ({
          reserve: async (input: Parameters<ReturnType<typeof accountStub>["reserve"]>[0]) => {
            // Held by the order the calls were sent in, not answered in: the object's answers can
            // come back in another order under load, and the first request's must not be held.
            const sent = calls++;
            const answer = await real.get(id).reserve(input);
            if (sent > 0) await rest;
            return answer;
          },
        }),
      },
    } as unknown as typeof env;
    const first = reserve(slowAfterFirst, accountId, reserveInput(keyHash));
    const others = [1, 2, 3].map(() => reserve(slowAfterFirst, accountId, reserveInput(keyHash)));
    expect(await first).toMatchObject({ ok: true });
    // A fifth request must not start its call early: the key cannot pay for it.
    expect(takeHeadStart(keyHash, WORST, Date.now())).toBe(false);
    answerRest();
    for (const answer of await Promise.all(others)) expect(answer).toMatchObject({ ok: true });
    expect(await reserve(env, accountId, reserveInput(keyHash))).toMatchObject({ ok: false, status: 402 });
  });
});

describe("a daily window that rolls over with a hold and a lease outstanding", () => {
  it("counts both against the new day: the key never spends past its daily limit", async () => {
    const LIMIT = 100 * WORST;
    const { stub, keyHash } = await newAccount(1 * USD, { limitNanos: LIMIT, limitReset: "daily" });
    const first = reserveInput(keyHash, { lease: lease(8 * WORST, 5000) });
    const granted = await stub.reserve(first);
    // A sixteenth of the 99 worst cases left after the hold: 6.
    expect(granted).toMatchObject({ ok: true, lease: { nanos: 6 * WORST } });
    const leaseId = first.lease?.id as string;
    const underLease = genId();
    await stub.settle({
      keyHash,
      generationId: underLease,
      record: generationRecord(underLease, keyHash, WORST),
      leaseId,
    });

    // Midnight (UTC) passes: yesterday's spend no longer counts, the hold and the lease's rest do.
    await runInDurableObject(stub, (instance, state) => {
      state.storage.sql.exec("UPDATE keys SET daily_start = daily_start - 86400000 WHERE hash = ?", keyHash);
      (instance as unknown as { rows: { clear(): void } }).rows.clear();
    });
    const big = reserveInput(keyHash, { worstCaseNanos: 94 * WORST, maxOutputTokens: 23_500 });
    expect(await stub.reserve(big)).toMatchObject({ ok: true });
    expect(await stub.reserve(reserveInput(keyHash))).toMatchObject({ ok: false });

    // Everything outstanding is charged at its worst, in the new day: exactly the limit.
    const second = genId();
    await stub.settle({ keyHash, generationId: second, record: generationRecord(second, keyHash, 5 * WORST), leaseId });
    await stub.settle({ keyHash, generationId: leaseId, record: null });
    await stub.settle({
      keyHash,
      generationId: first.generationId,
      record: generationRecord(first.generationId, keyHash, WORST),
    });
    await stub.settle({
      keyHash,
      generationId: big.generationId,
      record: generationRecord(big.generationId, keyHash, 94 * WORST),
    });
    const key = await stub.adminSummary();
    const view = key.ok ? key.value.keys.find((k) => k.hash === keyHash) : undefined;
    expect(view?.usageDailyNanos).toBe(LIMIT);
    expect(view?.reservedNanos).toBe(0);
    expect(await stub.reserve(reserveInput(keyHash, { worstCaseNanos: 1, maxOutputTokens: 1 }))).toMatchObject({
      ok: false,
      status: 403,
    });
    const audit = await stub.audit();
    expect(audit?.generationCostSum).toBe(audit?.totals.usageNanos);
  });
});

describe("a key's request rate limit", () => {
  it("holds across a restart of the account's object (an idle object is evicted)", async () => {
    const { accountId, keyHash } = await newAccount(1 * USD, { rateLimit: { requests: 2, interval: "1d" } });
    const stub = () => accountStub(env, accountId);
    expect(await stub().reserve(reserveInput(keyHash))).toMatchObject({ ok: true });
    await restart(accountId);
    expect(await stub().reserve(reserveInput(keyHash))).toMatchObject({ ok: true });
    await restart(accountId);
    // The day's window had started over at each restart: the third request of the day went through.
    const third = await stub().reserve(reserveInput(keyHash));
    expect(third).toMatchObject({ ok: false, status: 429 });
  });
});

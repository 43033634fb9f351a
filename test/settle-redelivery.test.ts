import { createExecutionContext, createScheduledController, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { accountStub, reserve, SETTLE_DELIVERY_MS, settle } from "../src/billing/client";
import type { SettleInput } from "../src/billing/contract";
import { DEAD_LETTER_PREFIX, type DeadLetter, keepUndelivered } from "../src/billing/dead-letters";
import { RESUME_KEY, redeliverSettlements } from "../src/billing/redelivery";
import type { Env } from "../src/env";
import worker from "../src/index";
import { audit, env, generationRecord, reserveInput } from "./billing-support";
import { BASE, fundedAccount } from "./support/gateway";

/**
 * Settlements an Account object could not take within their delivery window are kept in KV (a
 * dead letter) and sent again by the cron until the object takes them, never charged twice.
 */

const COST = 2_000_000;

/**
 * The Account objects as the gateway sees them during an outage: every settlement call fails (what
 * the runtime throws when an object resets or its connection drops), or with `hang` never answers.
 */
function unreachableAccounts(hang = false): Env {
  const real = env.ACCOUNTS;
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: () => ({
      settleMany: () =>
        hang
          ? new Promise<never>(() => {})
          : Promise.reject(Object.assign(new Error("Network connection lost."), { retryable: true })),
    }),
  };
  return { ...env, ACCOUNTS: namespace as unknown as Env["ACCOUNTS"] };
}

/** The dead letters kept for an account. */
async function lettersOf(accountId: string): Promise<DeadLetter[]> {
  const { keys } = await env.KEYS.list({ prefix: `${DEAD_LETTER_PREFIX}${accountId}:` });
  return Promise.all(keys.map(async ({ name }) => JSON.parse((await env.KEYS.get(name)) ?? "null") as DeadLetter));
}

/**
 * Runs the Worker's scheduled handler as its cron trigger would, waiting for its work (waitUntil)
 * to end. Called in the test's isolate: the pool's SELF cannot dispatch a scheduled event (reading
 * `SELF.scheduled` fails to serialise the loopback stub).
 */
async function cronRuns() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** A generation's record the object cannot write (a NOT NULL column empty): it answers `{failed}`. */
const unwritable = (id: string, keyHash: string, cost: number) => ({
  ...generationRecord(id, keyHash, cost),
  model: null as unknown as string,
});

/**
 * An account with a key and one hold on it, and the settlement that charges COST for it (with
 * `refused`, one whose record the object cannot write).
 */
async function heldGeneration({ refused = false } = {}) {
  const account = await fundedAccount("1");
  const input = reserveInput(account.hash);
  expect((await accountStub(env, account.accountId).reserve(input)).ok).toBe(true);
  const settlement: SettleInput = {
    keyHash: account.hash,
    generationId: input.generationId,
    record: (refused ? unwritable : generationRecord)(input.generationId, account.hash, COST),
  };
  return { ...account, settlement };
}

/**
 * Settles through the gateway's client while the object cannot be reached, until the client gives
 * up (its delivery window passes on fake timers: the retries back off for 20 s of real time).
 */
async function settleDuringOutage(accountId: string, settlement: SettleInput, hang = false) {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  try {
    const sent = settle(unreachableAccounts(hang), accountId, settlement);
    await vi.advanceTimersByTimeAsync(SETTLE_DELIVERY_MS + 5_000);
    vi.useRealTimers();
    await sent;
  } finally {
    vi.useRealTimers();
  }
}

async function api(key: string, path: string) {
  const response = await SELF.fetch(new Request(`${BASE}${path}`, { headers: { authorization: `Bearer ${key}` } }));
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: Record<string, unknown> }).data;
}

/** What the code under test logs as errors (kept out of the test output, read by the tests). */
let errors: MockInstance<typeof console.error>;
const errorLines = () => errors.mock.calls.map(([line]) => String(line)).join("\n");

beforeEach(() => {
  errors = vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "log").mockImplementation(() => {});
});

afterEach(async () => {
  vi.restoreAllMocks();
  // Letters a test leaves behind (kept on purpose) must not take a later test's runs.
  const { keys } = await env.KEYS.list({ prefix: DEAD_LETTER_PREFIX });
  await Promise.all([...keys.map(({ name }) => env.KEYS.delete(name)), env.KEYS.delete(RESUME_KEY)]);
});

describe("settlements the Account object could not take", () => {
  it("are kept in KV when their delivery is given up, and charged by the next cron run", async () => {
    const { accountId, key, settlement } = await heldGeneration();
    await settleDuringOutage(accountId, settlement);
    const logged = errorLines();

    const letters = await lettersOf(accountId);
    expect(letters).toEqual([{ accountId, writtenAt: expect.any(Number), settles: [settlement] }]);
    // Nothing reached the object: the hold is still there, nothing charged.
    const before = await audit(accountId);
    expect({ usage: before.totals.usageNanos, holds: before.reservationCount }).toEqual({ usage: 0, holds: 1 });
    // The log names the letter, never a key (nor the settlements' records: the letter has them).
    expect(logged).toContain('"msg":"settlements kept for redelivery"');
    expect(logged).not.toContain(key);

    await cronRuns();
    expect(await lettersOf(accountId)).toEqual([]);
    const books = await audit(accountId);
    expect(books.totals).toMatchObject({ usageNanos: COST, reservedNanos: 0 });
    expect(books.generationCostSum).toBe(COST);
    expect(await api(key, `/generation?id=${settlement.generationId}`)).toMatchObject({
      id: settlement.generationId,
      total_cost: COST / 1e9,
    });
    expect(await api(key, "/key")).toMatchObject({ usage: COST / 1e9 });
  });

  it("are kept in KV too when the object takes the call and never answers", async () => {
    const { accountId, settlement } = await heldGeneration();
    await settleDuringOutage(accountId, settlement, true);
    expect(await lettersOf(accountId)).toEqual([{ accountId, writtenAt: expect.any(Number), settles: [settlement] }]);
    await cronRuns();
    expect((await audit(accountId)).totals.usageNanos).toBe(COST);
  });

  it("are charged once however many times they are sent again", async () => {
    const { accountId, settlement } = await heldGeneration();
    await keepUndelivered(env.KEYS, accountId, [settlement]);
    await cronRuns();
    await cronRuns();
    expect((await audit(accountId)).totals.usageNanos).toBe(COST);

    // A letter for a generation the object has settled since (the first try was applied, its reply lost).
    await keepUndelivered(env.KEYS, accountId, [settlement]);
    await cronRuns();
    expect(await lettersOf(accountId)).toEqual([]);
    const books = await audit(accountId);
    expect(books.totals.usageNanos).toBe(COST);
    expect(books.generationCostSum).toBe(COST);
  });

  it("a letter delivered whose delete failed is sent again next run, and changes nothing", async () => {
    const { accountId, settlement } = await heldGeneration();
    await keepUndelivered(env.KEYS, accountId, [settlement]);
    const kv = env.KEYS;
    const undeletable = Object.assign(Object.create(kv) as KVNamespace, {
      get: kv.get.bind(kv),
      list: kv.list.bind(kv),
      put: kv.put.bind(kv),
      delete: () => Promise.reject(new Error("KV is down")),
    });
    expect(await redeliverSettlements({ ...env, KEYS: undeletable })).toEqual({ delivered: 0, kept: 1 });
    expect(await lettersOf(accountId)).toHaveLength(1);
    expect((await audit(accountId)).totals.usageNanos).toBe(COST);

    await cronRuns();
    expect(await lettersOf(accountId)).toEqual([]);
    expect((await audit(accountId)).totals.usageNanos).toBe(COST);
  });

  it("a letter stays while its object cannot be reached, and is delivered once it can", async () => {
    const { accountId, settlement } = await heldGeneration();
    await keepUndelivered(env.KEYS, accountId, [settlement]);
    expect(await redeliverSettlements(unreachableAccounts())).toEqual({ delivered: 0, kept: 1 });
    expect(await lettersOf(accountId)).toHaveLength(1);
    expect((await audit(accountId)).totals.usageNanos).toBe(0);

    await cronRuns();
    expect(await lettersOf(accountId)).toEqual([]);
    expect((await audit(accountId)).totals.usageNanos).toBe(COST);
  });

  it("a letter stays while its object refuses a settlement in it, and the rest is charged once", async () => {
    const { accountId, hash, settlement } = await heldGeneration();
    const second = reserveInput(hash);
    expect((await accountStub(env, accountId).reserve(second)).ok).toBe(true);
    const refused: SettleInput = {
      keyHash: hash,
      generationId: second.generationId,
      record: unwritable(second.generationId, hash, COST),
    };
    await keepUndelivered(env.KEYS, accountId, [settlement, refused]);
    await cronRuns();
    await cronRuns();
    expect(errorLines()).toContain('"msg":"dead letter kept"');
    expect(await lettersOf(accountId)).toEqual([
      { accountId, writtenAt: expect.any(Number), settles: [settlement, refused] },
    ]);
    const books = await audit(accountId);
    // The first settlement once (the second run found it settled); the refused one's hold stays.
    expect({ usage: books.totals.usageNanos, holds: books.reservationCount }).toEqual({ usage: COST, holds: 1 });
    expect(books.generationCostSum).toBe(COST);
  });
});

describe("settlements the Account object refused", () => {
  it("are kept in KV as the object answers, sent by themselves", async () => {
    const { accountId, settlement } = await heldGeneration({ refused: true });
    await settle(env, accountId, settlement);
    expect(errorLines()).toContain('"msg":"settle failed"');
    expect(await lettersOf(accountId)).toEqual([{ accountId, writtenAt: expect.any(Number), settles: [settlement] }]);
  });

  it("are kept in KV as the object answers, carried by a reservation", async () => {
    const { accountId, hash, settlement } = await heldGeneration({ refused: true });
    // Queued for the gathering window, then carried by the next reservation of the account.
    const queued = settle(env, accountId, settlement);
    const kept: Promise<unknown>[] = [];
    const reserved = await reserve(env, accountId, reserveInput(hash), (work) => kept.push(work));
    expect(reserved.ok).toBe(true);
    // The reservation carried it (its keeping is the reservation's), not the window sent alone.
    expect(kept).toHaveLength(1);
    await Promise.all([queued, ...kept]);
    expect(await lettersOf(accountId)).toEqual([{ accountId, writtenAt: expect.any(Number), settles: [settlement] }]);
  });
});

describe("a cron run's bound", () => {
  it("takes at most its bound of letters, and the next run goes on from where it stopped", async () => {
    const held = await heldGeneration();
    // Two letters that sort first and that the object always refuses (their records cannot be
    // written): runs that each started from the first letter would never reach the third.
    const broken = (n: number): DeadLetter => ({
      accountId: held.accountId,
      writtenAt: Date.now(),
      settles: [
        {
          keyHash: held.hash,
          generationId: `gen-broken-${n}`,
          record: unwritable(`gen-broken-${n}`, held.hash, 1),
        },
      ],
    });
    await env.KEYS.put(`${DEAD_LETTER_PREFIX}0-broken-1`, JSON.stringify(broken(1)));
    await env.KEYS.put(`${DEAD_LETTER_PREFIX}0-broken-2`, JSON.stringify(broken(2)));
    await keepUndelivered(env.KEYS, held.accountId, [held.settlement]);

    expect(await redeliverSettlements(env, 2)).toEqual({ delivered: 0, kept: 2 });
    expect((await audit(held.accountId)).totals.usageNanos).toBe(0);
    expect(await redeliverSettlements(env, 2)).toEqual({ delivered: 1, kept: 0 });
    expect((await audit(held.accountId)).totals.usageNanos).toBe(COST);
    // The listing came to its end: the next run starts from the first letter again.
    expect(await env.KEYS.get(RESUME_KEY)).toBeNull();
    expect(await redeliverSettlements(env, 2)).toEqual({ delivered: 0, kept: 2 });
  });
});

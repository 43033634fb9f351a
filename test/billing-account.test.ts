import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AccountDurableObject } from "../src/billing/account-do";
import { type accountStub, MAX_GATHERED, reserve, SETTLE_DELIVERY_MS, settle } from "../src/billing/client";
import type { GenerationRecord, ReserveInput, ReserveResult, SettleInput } from "../src/billing/contract";
import { GENERATION_COLUMNS, generationValues, insertGenerationRow } from "../src/billing/generations";
import { readKey } from "../src/billing/key-store";
import { readAccount } from "../src/billing/ledger";
import { MAX_LEASE_MS, RESERVATION_TTL_MS, settleAll } from "../src/billing/reservations";
import type { RowCache } from "../src/billing/row-cache";
import { env, generationRecord, genId, newAccount, reserveInput, USD } from "./billing-support";

/**
 * Rewrites stored rows the way time passing would (windows rolling over). The object keeps the
 * rows it last wrote in memory, so, like a restart, the edit also drops that cache.
 */
async function editBehindTheObject(stub: ReturnType<typeof accountStub>, query: string, ...args: string[]) {
  await runInDurableObject(stub, (instance, state) => {
    state.storage.sql.exec(query, ...args);
    (instance as unknown as { rows: { clear(): void } }).rows.clear();
  });
}

/** A generation's every optional count, flag and name set (none 0 or NULL). */
const EVERY_FIELD_SET: Partial<GenerationRecord> = {
  streamed: true,
  cancelled: true,
  nativeTokensReasoning: 17,
  nativeTokensCached: 5,
  nativeTokensCompletionImages: 129,
  numMediaCompletion: 1,
  usageEstimated: true,
  user: "user-1",
  presetId: "preset-1",
  sessionId: "session-1",
  requestId: "request-1",
};

/** Every total the object keeps must equal the sum of its detail rows, to the nano-dollar. */
async function expectConsistent(stub: Awaited<ReturnType<typeof newAccount>>["stub"]) {
  const audit = await stub.audit();
  if (!audit) throw new Error("no account");
  expect(audit.generationCostSum).toBe(audit.totals.usageNanos);
  expect(audit.keyUsageSum).toBe(audit.totals.usageNanos);
  expect(audit.reservationSum).toBe(audit.totals.reservedNanos);
  expect(audit.keyReservedSum).toBe(audit.totals.reservedNanos);
  expect(audit.totals.creditsNanos - audit.totals.usageNanos - audit.totals.reservedNanos).toBeGreaterThanOrEqual(0);
  return audit;
}

describe("reserve and settle", () => {
  it("holds the worst case, charges the real cost and frees the rest", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    // The answer also says what the key could still hold: the room for head starts.
    expect(await reserve(env, accountId, input)).toEqual({ ok: true, headStartNanos: USD - input.worstCaseNanos });
    let audit = await expectConsistent(stub);
    expect(audit.totals.reservedNanos).toBe(input.worstCaseNanos);

    await settle(env, accountId, {
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, 2_000_000),
    });
    audit = await expectConsistent(stub);
    expect(audit.totals.reservedNanos).toBe(0);
    expect(audit.totals.usageNanos).toBe(2_000_000);
    expect(audit.totals.balanceNanos).toBe(USD - 2_000_000);
  });

  it("charges nothing for a request that got no answer (record null)", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    await reserve(env, accountId, input);
    await settle(env, accountId, { keyHash, generationId: input.generationId, record: null });
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(0);
    expect(audit.totals.reservedNanos).toBe(0);
    expect(audit.reservationCount).toBe(0);
  });

  it("never charges a generation twice", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    await reserve(env, accountId, input);
    const settleInput = {
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, 3_000_000),
    };
    const first = await stub.settle(settleInput);
    const second = await stub.settle(settleInput);
    expect(first).toMatchObject({ chargedNanos: 3_000_000, duplicate: false });
    expect(second).toMatchObject({ chargedNanos: 0, duplicate: true });
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(3_000_000);
  });

  it("keeps one hold when the same reservation is retried", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    await reserve(env, accountId, input);
    // What the client sends when an RPC failed in a way that may have reached the object.
    expect(await stub.reserve({ ...input, retried: true })).toEqual({
      ok: true,
      headStartNanos: USD - input.worstCaseNanos,
    });
    // A generation id reused without saying so is a bug: refused, not a second hold. (Called in
    // the object: an error thrown across RPC is also reported as unhandled by the test runner.)
    await runInDurableObject(stub, async (instance) => {
      await expect((instance as AccountDurableObject).reserve(input)).rejects.toThrow(/UNIQUE|constraint/i);
    });
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(1);
    expect(audit.totals.reservedNanos).toBe(input.worstCaseNanos);
  });

  it("refuses a retried reservation that arrives after its generation settled, holding nothing", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    await reserve(env, accountId, input);
    const record = generationRecord(input.generationId, keyHash, 1_000);
    await stub.settle({ keyHash, generationId: input.generationId, record });
    await runInDurableObject(stub, async (instance) => {
      await expect((instance as AccountDurableObject).reserve({ ...input, retried: true })).rejects.toThrow(
        /already settled/,
      );
    });
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(0);
    expect(audit.totals.usageNanos).toBe(1_000);
  });

  it("settles a hold the object no longer has in memory (after another write, or a restart) from its row", async () => {
    const worst = 5_000_000;
    const { accountId, stub, keyHash, addKey } = await newAccount(worst);
    const input = reserveInput(keyHash, { worstCaseNanos: worst, promptCostNanos: 1_000_000 });
    expect((await reserve(env, accountId, input)).ok).toBe(true);
    await addKey(); // any write outside the request path starts the object's cache over
    // The hold is the whole balance: only a settlement that knows it releases the hold can charge it.
    const outcome = await stub.settle({
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, worst),
    });
    expect(outcome).toMatchObject({ chargedNanos: worst, clamped: false, duplicate: false });
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(0);
    expect(audit.totals.usageNanos).toBe(worst);
  });

  it("charges a cost above its hold in full when the balance covers it", async () => {
    const worst = 5_000_000;
    const { accountId, stub, keyHash } = await newAccount(10 * worst);
    const input = reserveInput(keyHash, { worstCaseNanos: worst, promptCostNanos: 1_000_000 });
    expect((await reserve(env, accountId, input)).ok).toBe(true);
    const outcome = await stub.settle({
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, worst * 3),
    });
    expect(outcome).toMatchObject({ chargedNanos: worst * 3, clamped: false });
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(worst * 3);
  });

  it("never charges more than the hold plus what is left", async () => {
    const worst = 5_000_000;
    const { accountId, stub, keyHash } = await newAccount(worst);
    const input = reserveInput(keyHash, { worstCaseNanos: worst, promptCostNanos: 1_000_000 });
    expect((await reserve(env, accountId, input)).ok).toBe(true);
    const outcome = await stub.settle({
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, worst * 3),
    });
    expect(outcome).toMatchObject({ chargedNanos: worst, clamped: true });
    const audit = await expectConsistent(stub);
    expect(audit.totals.balanceNanos).toBe(0);
    const generation = await stub.generation(keyHash, input.generationId);
    expect(generation.ok && generation.value.costNanos).toBe(worst);
  });

  it("a settlement SQLite refuses leaves the hold, the totals and the object's own view of them as they were", async () => {
    const worst = 5_000_000;
    const { accountId, stub, keyHash } = await newAccount(worst);
    const first = reserveInput(keyHash, { worstCaseNanos: worst });
    expect(await reserve(env, accountId, first)).toMatchObject({ ok: true });
    // The generations table refuses a record without a model (NOT NULL), after the hold was
    // removed: the removal rolls back with the insert.
    const refused = { ...generationRecord(first.generationId, keyHash, 1_000), model: null as unknown as string };
    const [outcome] = await stub.settleMany([{ keyHash, generationId: first.generationId, record: refused }]);
    expect(outcome).toHaveProperty("failed");
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(1);
    expect(audit.totals.reservedNanos).toBe(worst);
    // The object must not go on as if the hold were gone: the balance is still all held.
    expect(await reserve(env, accountId, reserveInput(keyHash, { worstCaseNanos: worst }))).toMatchObject({
      ok: false,
      status: 402,
    });
    await stub.settle({
      keyHash,
      generationId: first.generationId,
      record: generationRecord(first.generationId, keyHash, 1_000),
    });
    expect((await expectConsistent(stub)).totals.usageNanos).toBe(1_000);
  });

  it("records every field of the generation", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    await reserve(env, accountId, input);
    const record = generationRecord(input.generationId, keyHash, 1234, { ...EVERY_FIELD_SET, finishReason: null });
    await settle(env, accountId, { keyHash, generationId: input.generationId, record });
    const read = await stub.generation(keyHash, input.generationId);
    expect(read).toEqual({ ok: true, value: record });
  });

  it("records every field of gathered generations, zeros and NULLs as well as values", async () => {
    // A batch's rows are written with their zeros and NULLs as literals of the statement (one
    // statement per shape): each shape must still land every value in its own column.
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const inputs = [reserveInput(keyHash), reserveInput(keyHash), reserveInput(keyHash)];
    for (const input of inputs) await reserve(env, accountId, input);
    const [full, empty, mixed] = inputs.map((input) => input.generationId) as [string, string, string];
    const records = [
      generationRecord(full, keyHash, 1_234, EVERY_FIELD_SET),
      generationRecord(empty, keyHash, 0, {
        upstreamId: null,
        finishReason: null,
        nativeFinishReason: null,
        tokensPrompt: 0,
        tokensCompletion: 0,
        nativeTokensPrompt: 0,
        nativeTokensCompletion: 0,
        latencyMs: null,
        generationTimeMs: 0,
        appReferer: null,
        appTitle: null,
      }),
      generationRecord(mixed, keyHash, 77, { tokensPrompt: 0, user: "user-2", nativeTokensCached: 3, appTitle: null }),
    ];
    await stub.settleMany(records.map((record) => ({ keyHash, generationId: record.id, record })));
    for (const record of records) {
      expect(await stub.generation(keyHash, record.id), record.id).toEqual({ ok: true, value: record });
    }
    expect((await expectConsistent(stub)).totals.usageNanos).toBe(1_234 + 77);
  });

  it("writes each value of a row to its own column, whichever of them are 0 or NULL", async () => {
    // Read back raw (no fallback: a batch whose statement SQLite refuses is settled again one by
    // one, which would hide a wrong statement from the test above).
    const { stub, keyHash } = await newAccount(1 * USD);
    const shapes = [
      generationRecord(genId(), keyHash, 5, { user: "u", nativeTokensCached: 2, sessionId: "s", requestId: "r" }),
      generationRecord(genId(), keyHash, 0, { upstreamId: null, tokensPrompt: 0, appReferer: null, appTitle: null }),
      generationRecord(genId(), keyHash, 9, { streamed: true, finishReason: null, latencyMs: null, presetId: "p" }),
    ].map(generationValues);
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      for (const values of shapes) {
        insertGenerationRow(sql, values);
        const row = sql.exec(`SELECT ${GENERATION_COLUMNS.join(", ")} FROM generations WHERE id = ?`, values[0]).raw();
        expect([...row]).toEqual([values]);
      }
    });
  });
});

describe("settlement gathering", () => {
  /** Reserves `count` generations of one account and returns their settlements (each costing `cost`). */
  async function heldGenerations(count: number, cost: number) {
    const account = await newAccount(10 * USD);
    const inputs = Array.from({ length: count }, () => reserveInput(account.keyHash));
    for (const input of inputs) expect(await reserve(env, account.accountId, input)).toMatchObject({ ok: true });
    const settlements = inputs.map((input) => ({
      keyHash: account.keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, account.keyHash, cost),
    }));
    return { ...account, settlements };
  }

  /**
   * The env with the Account objects' calls recorded by method name and batch size: which path a
   * settlement took shows in the calls, not in how long it took (a busy host can be slower than
   * the window, so elapsed time proves nothing).
   */
  function recordingAccounts() {
    const calls: { method: string; settles: number }[] = [];
    const real = env.ACCOUNTS;
    const namespace = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = real.get(id);
        return {
          reserve: (input: ReserveInput) => {
            calls.push({ method: "reserve", settles: 0 });
            return stub.reserve(input);
          },
          reserveAfter: (settles: SettleInput[], input: ReserveInput) => {
            calls.push({ method: "reserveAfter", settles: settles.length });
            return stub.reserveAfter(settles, input);
          },
          settleMany: (settles: SettleInput[]) => {
            calls.push({ method: "settleMany", settles: settles.length });
            return stub.settleMany(settles);
          },
        };
      },
    };
    return { calls, env: { ...env, ACCOUNTS: namespace } as unknown as typeof env };
  }

  /** Whether `promise` has settled, read after the microtasks queued so far have run. */
  function watch(promise: Promise<unknown>) {
    const state = { done: false };
    void promise.then(() => {
      state.done = true;
    });
    return state;
  }

  it("a settlement made while the account's window is open returns at once and is sent with the window's", async () => {
    const { accountId, stub, settlements } = await heldGenerations(2, 1_000);
    const recorded = recordingAccounts();
    const [first, second] = settlements as [SettleInput, SettleInput];
    const closing = settle(recorded.env, accountId, first);
    const windowClosed = watch(closing);
    await settle(recorded.env, accountId, second);
    // The second returned while the first still held the window open, and nothing was sent yet.
    expect(windowClosed.done).toBe(false);
    expect(recorded.calls).toEqual([]);

    await closing;
    expect(recorded.calls).toEqual([{ method: "settleMany", settles: 2 }]); // both in one call
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(0);
    expect(audit.totals.usageNanos).toBe(2_000);
  });

  it("a reservation carries the queued settlements before the window closes", async () => {
    const { accountId, stub, keyHash, settlements } = await heldGenerations(1, 5_000);
    const recorded = recordingAccounts();
    const windowClosed = settle(recorded.env, accountId, settlements[0] as SettleInput);
    expect(await reserve(recorded.env, accountId, reserveInput(keyHash))).toMatchObject({ ok: true });
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(5_000);
    expect(audit.reservationCount).toBe(1); // the new hold only
    await windowClosed;
    // The reservation took the queue, so the window closed with nothing left to send.
    expect(recorded.calls).toEqual([{ method: "reserveAfter", settles: 1 }]);
  });

  it("a full queue is sent at once by the settlement that fills it", async () => {
    const { accountId, stub, settlements } = await heldGenerations(MAX_GATHERED, 100);
    const pending = settlements.map((input) => settle(env, accountId, input));
    // The filler resolves once it has sent the batch (a settlement joining an open window would
    // resolve at once, its hold still there until the window closes). Not timed against the
    // window: writing 64 settlements takes about as long as the window on a slow host.
    await pending[pending.length - 1];
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(0);
    expect(audit.totals.usageNanos).toBe(MAX_GATHERED * 100);
    await Promise.all(pending);
  });
});

describe("settlement delivery", () => {
  /** The Account objects as settlements reach them, failing the first `failures` calls. */
  function flakyAccounts(failures: number) {
    let left = failures;
    const real = env.ACCOUNTS;
    const namespace = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => ({
        settleMany: (inputs: SettleInput[]) => {
          if (left-- > 0) {
            // What the runtime throws when an object resets or its connection drops.
            return Promise.reject(Object.assign(new Error("Network connection lost."), { retryable: true }));
          }
          return real.get(id).settleMany(inputs);
        },
      }),
    };
    return { ...env, ACCOUNTS: namespace } as unknown as typeof env;
  }

  it("a settlement that meets a short outage of its object is sent again until the object takes it", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    expect((await stub.reserve(input)).ok).toBe(true);
    // Five failed calls in a row: past the ~60 ms that two quick retries covered.
    await settle(flakyAccounts(5), accountId, {
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, 2_000_000),
    });
    const audit = await expectConsistent(stub);
    expect({ usage: audit.totals.usageNanos, holds: audit.reservationCount }).toEqual({ usage: 2_000_000, holds: 0 });
  });
});

describe("a reservation whose answer is lost", () => {
  /**
   * The Account objects as reservations reach them: each call is applied by the real object, then
   * `lost(call)` decides whether its answer is lost on the way back (what the runtime throws when an
   * object resets or its connection drops after the object did the work). Settlements go through.
   */
  function answersLost(lost: (call: number) => boolean, between: () => Promise<unknown> = async () => {}) {
    let calls = 0;
    const real = env.ACCOUNTS;
    const namespace = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => ({
        reserve: async (input: ReserveInput) => {
          const answer = await real.get(id).reserve(input);
          if (lost(++calls)) {
            await between();
            throw Object.assign(new Error("Network connection lost."), { retryable: true });
          }
          return answer;
        },
        settleMany: (inputs: SettleInput[]) => real.get(id).settleMany(inputs),
      }),
    };
    return { ...env, ACCOUNTS: namespace } as unknown as typeof env;
  }

  async function keptWork(run: (keepAlive: (work: Promise<unknown>) => void) => Promise<unknown>) {
    const kept: Array<Promise<unknown>> = [];
    const outcome = await run((work) => kept.push(work)).catch((error: unknown) => error);
    for (let i = 0; i < kept.length; i++) await kept[i];
    return outcome;
  }

  it("every time: what its tries held, the lease it asked for too, is released, not left to expire", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash, {
      lease: { id: `lease-${crypto.randomUUID()}`, nanos: 4 * reserveInput(keyHash).worstCaseNanos, ms: 2_000 },
    });
    const outcome = await keptWork((keepAlive) =>
      reserve(
        answersLost(() => true),
        accountId,
        input,
        keepAlive,
      ),
    );
    expect(outcome).toBeInstanceOf(Error);
    const audit = await expectConsistent(stub);
    expect({ holds: audit.reservationCount, held: audit.totals.reservedNanos }).toEqual({ holds: 0, held: 0 });
  });

  it("then refused on the retry (the key disabled meanwhile): the first try's hold is released", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    const disable = () => stub.adminUpdateKey(keyHash, { disabled: true });
    const outcome = await keptWork((keepAlive) =>
      reserve(
        answersLost((call) => call === 1, disable),
        accountId,
        input,
        keepAlive,
      ),
    );
    expect(outcome).toMatchObject({ ok: false, status: 401 });
    const audit = await expectConsistent(stub);
    expect({ holds: audit.reservationCount, held: audit.totals.reservedNanos }).toEqual({ holds: 0, held: 0 });
  });

  it("and then answered on the retry: the one hold stays the generation's", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    const outcome = await keptWork((keepAlive) =>
      reserve(
        answersLost((call) => call === 1),
        accountId,
        input,
        keepAlive,
      ),
    );
    expect(outcome).toMatchObject({ ok: true });
    const audit = await expectConsistent(stub);
    expect({ holds: audit.reservationCount, held: audit.totals.reservedNanos }).toEqual({
      holds: 1,
      held: input.worstCaseNanos,
    });
  });
});

describe("a gathered batch's generation records", () => {
  /** The generations rows of an account, by id, as SQLite holds them (types included). */
  async function storedGenerations(stub: ReturnType<typeof accountStub>) {
    return runInDurableObject(stub, (_instance, state) =>
      Object.fromEntries(
        state.storage.sql
          .exec("SELECT * FROM generations")
          .toArray()
          .map((row) => [
            String(row.id),
            { ...row, typeOf: Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v])) },
          ]),
      ),
    );
  }

  it("are stored as one settlement alone stores each: text, numbers and nulls alike", async () => {
    // Values a JSON round trip could change: quotes, escapes, non-ASCII text, nulls, big integers.
    const extras: Array<Partial<GenerationRecord>> = [
      { user: 'a "quoted" \\ back\nslash', appTitle: "Café ☕ 漢字 😀", upstreamId: null, latencyMs: null },
      { finishReason: null, nativeFinishReason: "length", sessionId: "s-1", requestId: "r-1", presetId: "p" },
      { tokensPrompt: 2 ** 40, streamed: true, cancelled: true, usageEstimated: true, appReferer: null },
    ];
    const stores: Array<Record<string, unknown>> = [];
    for (const gathered of [true, false]) {
      const { stub, keyHash } = await newAccount(1000 * USD);
      const settles: SettleInput[] = [];
      for (const [i, extra] of extras.entries()) {
        const hold = reserveInput(keyHash);
        expect((await stub.reserve(hold)).ok).toBe(true);
        const id = `gen-batch-${i}`;
        settles.push({
          keyHash,
          generationId: hold.generationId,
          record: generationRecord(id, keyHash, 1000 + i, extra),
        });
      }
      if (gathered) await stub.settleMany(settles);
      else for (const one of settles) await stub.settle(one);
      stores.push(await storedGenerations(stub));
      await expectConsistent(stub);
    }
    const [batch, alone] = stores;
    expect(Object.keys(batch ?? {})).toHaveLength(extras.length);
    // Matched by cost (each settlement's own); ids, keys and creation times differ between the two
    // accounts: the rest must match value for value, type for type.
    const comparable = (rows: Record<string, unknown> = {}) =>
      Object.fromEntries(
        Object.values(rows).map((row) => {
          const fields = row as Record<string, unknown>;
          return [String(fields.cost_nanos), { ...fields, id: "", created_at: 0, key_hash: "" }];
        }),
      );
    expect(comparable(batch)).toEqual(comparable(alone));
  });
});

describe("the row cache at its bound", () => {
  /**
   * An account whose object caches as many keys as it keeps (the limited key among them), with a
   * hold on the limited key for each of `holds`, and one on another key the cache does not hold.
   */
  async function fullCache(limitNanos: number) {
    const account = await newAccount(1000 * USD, { limitNanos, limitReset: "daily" });
    const other = await account.addKey();
    const otherHold = reserveInput(other);
    expect((await account.stub.reserve(otherHold)).ok).toBe(true);
    const first = reserveInput(account.keyHash);
    const second = reserveInput(account.keyHash);
    expect((await account.stub.reserve(first)).ok).toBe(true);
    expect((await account.stub.reserve(second)).ok).toBe(true);
    const fillers: string[] = [];
    for (let i = 0; i < 1023; i++) fillers.push(await account.addKey());
    await runInDurableObject(account.stub, (instance: AccountDurableObject) => {
      const rows = (instance as unknown as { rows: RowCache }).rows;
      rows.clear();
      rows.key(account.keyHash);
      for (const hash of fillers) rows.key(hash);
    });
    const settlement = (keyHash: string, generationId: string, cost: number): SettleInput => ({
      keyHash,
      generationId,
      record: generationRecord(generationId, keyHash, cost),
    });
    // One gathered batch: the limited key, then the uncached key (the cache is full), then the limited key again.
    const batch = (cost: number) => [
      settlement(account.keyHash, first.generationId, cost),
      settlement(other, otherHold.generationId, cost),
      settlement(account.keyHash, second.generationId, cost),
    ];
    return { ...account, batch, worstCase: first.worstCaseNanos };
  }

  it("a gathered batch that meets the bound keeps every charge in the key's windows", async () => {
    const { stub, keyHash, batch } = await fullCache(100_000_000);
    const cost = 2_000_000;
    const results = await stub.settleMany(batch(cost));
    expect(results.every((r) => "chargedNanos" in r && r.chargedNanos === cost)).toBe(true);
    const row = await runInDurableObject(stub, (_instance, state) => readKey(state.storage.sql, keyHash));
    expect({ usage: row?.usage_nanos, daily: row?.daily_usage_nanos, monthly: row?.monthly_usage_nanos }).toEqual({
      usage: 2 * cost,
      daily: 2 * cost,
      monthly: 2 * cost,
    });
    await expectConsistent(stub);
  });

  it("after such a batch the key still cannot spend past its daily limit", async () => {
    const limit = 100_000_000;
    const { stub, keyHash, batch, worstCase } = await fullCache(limit);
    await stub.settleMany(batch(worstCase));
    // What SQLite holds decides from here (as after a restart, or any write that starts the cache over).
    await runInDurableObject(stub, (instance: AccountDurableObject) => {
      (instance as unknown as { rows: RowCache }).rows.clear();
    });
    // Today the key has spent two worst cases: one nano-dollar past what is left is refused.
    const left = limit - 2 * worstCase;
    const over = reserveInput(keyHash, { promptCostNanos: left + 1, maxOutputTokens: 0, worstCaseNanos: left + 1 });
    expect((await stub.reserve(over)).ok).toBe(false);
    const within = reserveInput(keyHash, { promptCostNanos: left, maxOutputTokens: 0, worstCaseNanos: left });
    expect((await stub.reserve(within)).ok).toBe(true);
  });
});

describe("refusals", () => {
  it("402s with how many tokens the balance affords, as OpenRouter words it", async () => {
    // 1000 prompt tokens cost 1_000_000 nanos; each output token 4000 nanos. 0.005 USD affords 1000.
    const { accountId, keyHash } = await newAccount(5_000_000);
    const result = await reserve(env, accountId, reserveInput(keyHash, { maxOutputTokens: 16384 }));
    expect(result).toMatchObject({ ok: false, status: 402 });
    const message = (result as Extract<ReserveResult, { ok: false }>).message;
    expect(message).toContain("This request requires more credits, or fewer max_tokens.");
    expect(message).toContain("You requested up to 16384 tokens, but can only afford 1000.");
    expect((result as any).metadata).toMatchObject({ requested_tokens: 16384, affordable_tokens: 1000 });
    // Exactly the affordable cap goes through.
    expect(await reserve(env, accountId, reserveInput(keyHash, { maxOutputTokens: 1000 }))).toMatchObject({ ok: true });
  });

  it("says when the default output cap was assumed", async () => {
    const { accountId, keyHash } = await newAccount(5_000_000);
    const result = await reserve(
      env,
      accountId,
      reserveInput(keyHash, { maxOutputTokens: 8192, maxTokensRequested: false }),
    );
    expect((result as any).message).toContain("the model's default output cap");
  });

  it("402s an empty account outright", async () => {
    const { accountId, keyHash } = await newAccount(0);
    const result = await reserve(env, accountId, reserveInput(keyHash));
    expect(result).toMatchObject({ ok: false, status: 402 });
    expect((result as any).message).toMatch(/^Insufficient credits/);
  });

  it("lets a free request through an empty account", async () => {
    const { accountId, keyHash } = await newAccount(0);
    const input = reserveInput(keyHash, { worstCaseNanos: 0, promptCostNanos: 0, completionPriceAtto: "0" });
    expect(await reserve(env, accountId, input)).toMatchObject({ ok: true });
  });

  it("403s a key over its limit, naming the window", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD, { limitNanos: 2_000_000, limitReset: "daily" });
    const input = reserveInput(keyHash, { worstCaseNanos: 2_000_000 });
    // The key's limit binds, and this hold takes all of it: no room left for a head start.
    expect(await reserve(env, accountId, input)).toEqual({ ok: true, headStartNanos: 0 });
    await settle(env, accountId, {
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, 2_000_000),
    });
    const result = await reserve(env, accountId, reserveInput(keyHash, { worstCaseNanos: 1 }));
    expect(result).toMatchObject({ ok: false, status: 403 });
    expect((result as any).message).toMatch(/^Key limit exceeded \(daily limit\)/);
    // The next UTC day the window starts over.
    await editBehindTheObject(stub, "UPDATE keys SET daily_start = daily_start - 86400000 WHERE hash = ?", keyHash);
    expect(await reserve(env, accountId, reserveInput(keyHash, { worstCaseNanos: 1 }))).toMatchObject({ ok: true });
  });

  it("402s with the key's remaining limit when that is what binds", async () => {
    const { accountId, keyHash } = await newAccount(1 * USD, { limitNanos: 5_000_000 });
    const result = await reserve(env, accountId, reserveInput(keyHash, { maxOutputTokens: 16384 }));
    expect(result).toMatchObject({ ok: false, status: 402 });
    expect((result as any).message).toContain("can only afford 1000");
    expect((result as any).message).toContain("raise this key's limit");
  });

  it("429s past the key's rate limit with retry-after", async () => {
    const { accountId, keyHash } = await newAccount(1 * USD, { rateLimit: { requests: 3, interval: "1h" } });
    // A rate-limited key gets no room for head starts: its next request may be the one over.
    for (let i = 0; i < 3; i++) {
      expect(await reserve(env, accountId, reserveInput(keyHash))).toEqual({ ok: true, headStartNanos: 0 });
    }
    const result = await reserve(env, accountId, reserveInput(keyHash));
    expect(result).toMatchObject({ ok: false, status: 429 });
    expect((result as any).retryAfterSeconds).toBeGreaterThan(0);
    expect((result as any).retryAfterSeconds).toBeLessThanOrEqual(3600);
  });

  it("401s a disabled, deleted, expired or unknown key", async () => {
    const { accountId, stub, keyHash, addKey } = await newAccount(1 * USD);
    expect(await stub.adminUpdateKey(keyHash, { disabled: true })).toMatchObject({ ok: true });
    expect(await reserve(env, accountId, reserveInput(keyHash))).toMatchObject({ ok: false, status: 401 });
    const other = await addKey();
    await stub.adminDeleteKey(other);
    expect(await reserve(env, accountId, reserveInput(other))).toMatchObject({ ok: false, status: 401 });
    const expired = await addKey({ expiresAt: Date.now() - 1000 });
    expect(await reserve(env, accountId, reserveInput(expired))).toMatchObject({ ok: false, status: 401 });
    expect(await reserve(env, accountId, reserveInput("0".repeat(64)))).toMatchObject({ ok: false, status: 401 });
  });

  it("applies key and credit changes made after a key was used to its very next reservation", async () => {
    // Each reservation here follows one that had the object read (and keep) the key and account.
    const { accountId, stub, keyHash } = await newAccount(6_000_000); // a worst case is 5_000_000
    expect((await reserve(env, accountId, reserveInput(keyHash))).ok).toBe(true);
    expect(await reserve(env, accountId, reserveInput(keyHash))).toMatchObject({ ok: false, status: 402 });
    expect(await stub.adminGrant({ idempotencyId: "top-up", amountNanos: 10_000_000, reason: "test" })).toMatchObject({
      ok: true,
    });
    expect((await reserve(env, accountId, reserveInput(keyHash))).ok).toBe(true);

    // Two holds of 5_000_000 leave 2_000_000 of a 12_000_000 limit: this key cannot afford a third.
    expect(await stub.adminUpdateKey(keyHash, { limitNanos: 12_000_000 })).toMatchObject({ ok: true });
    expect(await reserve(env, accountId, reserveInput(keyHash))).toMatchObject({
      ok: false,
      status: 402,
      message: expect.stringContaining("raise this key's limit"),
    });
    expect(await stub.adminUpdateKey(keyHash, { limitNanos: null })).toMatchObject({ ok: true });
    expect((await reserve(env, accountId, reserveInput(keyHash, { maxOutputTokens: 10 }))).ok).toBe(true);

    expect(await stub.adminUpdateKey(keyHash, { disabled: true })).toMatchObject({ ok: true });
    expect(await reserve(env, accountId, reserveInput(keyHash))).toMatchObject({ ok: false, status: 401 });
    await expectConsistent(stub);
  });

  it("403s inference with a provisioning key", async () => {
    const { accountId, addKey } = await newAccount(1 * USD);
    const provisioning = await addKey({ isProvisioning: true });
    expect(await reserve(env, accountId, reserveInput(provisioning))).toMatchObject({ ok: false, status: 403 });
  });
});

describe("concurrency", () => {
  it("reservations that arrive while a commit is in flight wait for it, then share the next, in order of arrival", async () => {
    const worst = 1_000_000;
    const { stub, keyHash } = await newAccount(2 * worst);
    await runInDurableObject(stub, async (instance, state) => {
      const object = instance as AccountDurableObject;
      const holds = () => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM reservations").one().n;
      // Called back to back, as RPCs arriving while the first one's write is being committed.
      const replies = [1, 2, 3].map(() => object.reserve(reserveInput(keyHash, { worstCaseNanos: worst })));
      expect(holds()).toBe(1); // the first ran at once; the others wait for its commit
      const results = await Promise.all(replies);
      expect(results.map((result) => result.ok)).toEqual([true, true, false]);
      expect(results[2]).toMatchObject({ status: 402 });
      expect(holds()).toBe(2);
    });
    await expectConsistent(stub);
  });

  it("a reservation that fails among those sharing a commit fails alone", async () => {
    const { stub, keyHash } = await newAccount(USD);
    await runInDurableObject(stub, async (instance) => {
      const object = instance as AccountDurableObject;
      const first = reserveInput(keyHash);
      const results = await Promise.allSettled([
        object.reserve(first),
        object.reserve(reserveInput(keyHash)),
        object.reserve(first), // its generation id again, not marked as a retry: a bug, refused by SQLite
        object.reserve(reserveInput(keyHash)),
      ]);
      expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    });
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(3);
  });

  const WORST = 5_000_000; // 0.005 USD per request

  it("200 concurrent requests on a balance that covers exactly 50: 50 pass, 150 get 402, balance ends at 0", async () => {
    const { accountId, stub, keyHash } = await newAccount(50 * WORST);
    const inputs = Array.from({ length: 200 }, () => reserveInput(keyHash, { worstCaseNanos: WORST }));
    // Audits interleaved with the requests: the balance is never negative at any point.
    const audits: Promise<unknown>[] = [];
    const results = await Promise.all(
      inputs.map((input, i) => {
        if (i % 20 === 0) audits.push(expectConsistent(stub));
        return reserve(env, accountId, input);
      }),
    );
    await Promise.all(audits);
    const passed = inputs.filter((_, i) => results[i]?.ok);
    expect(passed).toHaveLength(50);
    expect(results.filter((r) => !r.ok && r.status === 402)).toHaveLength(150);
    let audit = await expectConsistent(stub);
    expect(audit.totals.reservedNanos).toBe(50 * WORST);

    // Each one that passed is charged its full worst case; settlements race each other too.
    await Promise.all(
      passed.map((input) =>
        settle(env, accountId, {
          keyHash,
          generationId: input.generationId,
          record: generationRecord(input.generationId, keyHash, WORST),
        }),
      ),
    );
    audit = await expectConsistent(stub);
    expect(audit.totals.balanceNanos).toBe(0);
    expect(audit.totals.reservedNanos).toBe(0);
    expect(audit.generationCostSum).toBe(50 * WORST);
    expect(await reserve(env, accountId, reserveInput(keyHash, { worstCaseNanos: 1 }))).toMatchObject({ status: 402 });
  });

  it("the same for a key limit: exactly 50 pass, the rest are refused, the limit is used exactly", async () => {
    const { accountId, stub, keyHash } = await newAccount(1000 * WORST, {
      limitNanos: 50 * WORST,
      limitReset: "monthly",
    });
    const inputs = Array.from({ length: 200 }, () => reserveInput(keyHash, { worstCaseNanos: WORST }));
    const results = await Promise.all(inputs.map((input) => reserve(env, accountId, input)));
    const passed = inputs.filter((_, i) => results[i]?.ok);
    expect(passed).toHaveLength(50);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(150);
    for (const r of refused) expect([402, 403]).toContain((r as any).status);
    await Promise.all(
      passed.map((input) =>
        settle(env, accountId, {
          keyHash,
          generationId: input.generationId,
          record: generationRecord(input.generationId, keyHash, WORST),
        }),
      ),
    );
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(50 * WORST);
    const info = await stub.keyInfo(keyHash);
    expect(info.ok && info.value.key.limitRemainingNanos).toBe(0);
    expect(info.ok && info.value.key.usageMonthlyNanos).toBe(50 * WORST);
    expect(await reserve(env, accountId, reserveInput(keyHash, { worstCaseNanos: 1 }))).toMatchObject({ status: 403 });
  });

  it("settlements that free part of their hold let later requests through, never more than the balance", async () => {
    const { accountId, stub, keyHash } = await newAccount(10 * WORST);
    let charged = 0;
    let passes = 0;
    // Waves of concurrent requests, each charged a fifth of its worst case, until the money runs out.
    for (let wave = 0; wave < 20; wave++) {
      const inputs = Array.from({ length: 20 }, () => reserveInput(keyHash, { worstCaseNanos: WORST }));
      const results = await Promise.all(inputs.map((input) => reserve(env, accountId, input)));
      const passed = inputs.filter((_, i) => results[i]?.ok);
      passes += passed.length;
      await Promise.all(
        passed.map((input) =>
          stub
            .settle({
              keyHash,
              generationId: input.generationId,
              record: generationRecord(input.generationId, keyHash, WORST / 5),
            })
            .then((o) => {
              charged += o.chargedNanos;
            }),
        ),
      );
      await expectConsistent(stub);
    }
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(charged);
    expect(charged).toBeLessThanOrEqual(10 * WORST);
    expect(passes).toBeGreaterThan(10);
  });
});

describe("leases (the object's side; billing/leases.ts)", () => {
  const WORST = 5_000_000; // reserveInput's worst case
  const lease = (nanos: number, ms = 1000) => ({ id: `lease-${crypto.randomUUID()}`, nanos, ms });

  it("grants whole worst cases, at most a sixteenth of what the key could still hold", async () => {
    const { stub, keyHash } = await newAccount(1 * USD);
    // Asked for 8 worst cases, with room for 12 in a sixteenth of the rest: 8.
    const small = lease(8 * WORST);
    expect(await stub.reserve(reserveInput(keyHash, { lease: small }))).toEqual({
      ok: true,
      headStartNanos: USD - WORST - 8 * WORST,
      lease: { nanos: 8 * WORST, ms: 1000 },
    });
    // Asked for 64: a sixteenth of what is left (USD is 200 worst cases; 190 left) is 11.9: 11.
    const big = lease(64 * WORST);
    const granted = await stub.reserve(reserveInput(keyHash, { lease: big }));
    expect(granted).toMatchObject({ ok: true, lease: { nanos: 11 * WORST } });
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(4);
    expect(audit.totals.reservedNanos).toBe(2 * WORST + 8 * WORST + 11 * WORST);
  });

  it("answers a retried batch's settlements under a lease as duplicates, and applies the new ones after them", async () => {
    // The object does not look for an earlier record first: the second insert of a generation
    // fails on its id, SQLite undoes that whole statement, and the object's cached rows start over.
    const { stub, keyHash } = await newAccount(1 * USD);
    const granted = lease(8 * WORST);
    await stub.reserve(reserveInput(keyHash, { lease: granted }));
    const settleOf = (id: string, cost: number): SettleInput => ({
      keyHash,
      generationId: id,
      record: generationRecord(id, keyHash, cost),
      leaseId: granted.id,
    });
    const [first, second, third] = [genId(), genId(), genId()];
    await stub.settleMany([settleOf(first, 1_000_000), settleOf(second, 2_000_000)]);
    // The first call's reply was lost: the same two come again, with one settlement queued since.
    const again = await stub.settleMany([
      settleOf(first, 1_000_000),
      settleOf(second, 2_000_000),
      settleOf(third, 4_000_000),
    ]);
    expect(again).toEqual([
      { chargedNanos: 0, duplicate: true, clamped: false },
      { chargedNanos: 0, duplicate: true, clamped: false },
      { chargedNanos: 4_000_000, duplicate: false, clamped: false },
    ]);
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(7_000_000);
    expect(audit.totals.reservedNanos).toBe(WORST + 8 * WORST - 7_000_000); // the lease shrank by each charge once
    expect(await stub.generation(keyHash, second)).toMatchObject({ ok: true, value: { costNanos: 2_000_000 } });
    // And the object decides on what it stores: past what is left it refuses with a 402 (had it
    // kept the duplicates' shrinking of the lease in its cache, it would think 3M more free).
    const left = audit.totals.creditsNanos - audit.totals.usageNanos - audit.totals.reservedNanos;
    expect(await stub.reserve(reserveInput(keyHash, { worstCaseNanos: left + 1 }))).toMatchObject({
      ok: false,
      status: 402,
    });
    expect(await stub.reserve(reserveInput(keyHash, { worstCaseNanos: left }))).toMatchObject({ ok: true });
    await expectConsistent(stub);
  });

  it("settles a gathered batch together exactly as one settlement at a time would", async () => {
    // A gathered batch is written together (one row per generation, each total moved once): the
    // same settlements on two accounts, one batched and one settled one by one, leave the same books.
    const ids = {
      own: genId(),
      limited: genId(),
      leaseHolder: genId(),
      underLease: [genId(), genId(), genId()],
      unknown: genId(),
    };
    const leaseId = `lease-${ids.leaseHolder}`;
    const setUp = async () => {
      const account = await newAccount(1 * USD);
      const limitedKey = await account.addKey({ limitNanos: 10_000_000 });
      const { stub, keyHash } = account;
      for (const [key, generationId, extra] of [
        [keyHash, ids.own, {}],
        [limitedKey, ids.limited, {}],
        [keyHash, ids.leaseHolder, { lease: { id: leaseId, nanos: 8 * WORST, ms: 1000 } }],
      ] as const) {
        expect(await stub.reserve(reserveInput(key, { generationId, ...extra }))).toMatchObject({ ok: true });
      }
      const record = (id: string, key: string, cost: number, extra: Partial<GenerationRecord> = {}) => ({
        keyHash: key,
        generationId: id,
        record: generationRecord(id, key, cost, extra),
      });
      const [first, second, late] = ids.underLease as [string, string, string];
      const batch: SettleInput[] = [
        record(ids.own, keyHash, 2_000_000),
        { ...record(first, keyHash, 1_000_000, { apiType: "embeddings" }), leaseId },
        // Above its hold and past its key's limit: clamped to the limit.
        record(ids.limited, limitedKey, 12_000_000),
        { ...record(second, keyHash, 3_000_000), leaseId },
        { keyHash, generationId: leaseId, record: null },
        { keyHash, generationId: ids.leaseHolder, record: null },
        // After its lease was released: charged from the balance.
        { ...record(late, keyHash, 500_000), leaseId },
        { keyHash, generationId: ids.unknown, record: null },
        // A hold the batch already freed: nothing more.
        { keyHash, generationId: ids.own, record: null },
      ];
      return { stub, keys: [keyHash, limitedKey], batch };
    };
    const batched = await setUp();
    const oneByOne = await setUp();
    // settleAll itself (settleMany falls back to one by one should it throw).
    const outcomes = await runInDurableObject(batched.stub, (instance, state) =>
      state.storage.transactionSync(() =>
        settleAll(state.storage.sql, (instance as unknown as { rows: RowCache }).rows, batched.batch, Date.now()),
      ),
    );
    const expected = [];
    for (const input of oneByOne.batch) expected.push(await oneByOne.stub.settle(input));
    expect(outcomes).toEqual(expected);
    expect(outcomes[2]).toEqual({ chargedNanos: 10_000_000, duplicate: false, clamped: true });
    // The object's cached rows, which its next reservations decide on, are what SQLite holds.
    await runInDurableObject(batched.stub, (instance, state) => {
      const rows = (instance as unknown as { rows: RowCache }).rows;
      const cached = { account: rows.account(), keys: batched.keys.map((hash) => rows.key(hash)) };
      expect(cached).toEqual({
        account: readAccount(state.storage.sql),
        keys: batched.keys.map((hash) => readKey(state.storage.sql, hash)),
      });
      expect(rows.hold(leaseId)).toBeNull();
    });

    const books = async ({ stub, keys }: typeof batched) => {
      const audit = await expectConsistent(stub);
      const generations = [ids.own, ids.limited, ...ids.underLease].map((id, i) =>
        stub.generation(i === 1 ? (keys[1] as string) : (keys[0] as string), id),
      );
      return {
        totals: audit.totals,
        reservations: audit.reservationCount,
        keys: await Promise.all(keys.map((hash) => stub.keyInfo(hash))),
        generations: await Promise.all(generations),
      };
    };
    // The two accounts differ in their ids and creation times only.
    const money = (value: unknown) =>
      JSON.parse(JSON.stringify(value), (field, v) =>
        ["accountId", "hash", "keyHash", "createdAt"].includes(field) ? undefined : v,
      );
    const after = await books(batched);
    expect(money(after)).toEqual(money(await books(oneByOne)));
    // Each record keeps the kind of API call it was, in a batch as alone.
    expect(after.generations.map((g) => (g.ok ? g.value.apiType : g.status))).toEqual([
      "completions",
      "completions",
      "embeddings",
      "completions",
      "completions",
    ]);
    expect(after.reservations).toBe(0);
    expect(after.totals.usageNanos).toBe(2_000_000 + 1_000_000 + 10_000_000 + 3_000_000 + 500_000);
  });

  it("writes a gathered batch under a lease in well under half the rows of one at a time", async () => {
    // settleMany's batch path (settleAll) against settling each alone, whose trigger moves the
    // lease's hold, both held totals and both usage totals for every generation.
    const { stub, keyHash } = await newAccount(1 * USD);
    const granted = lease(8 * WORST);
    await stub.reserve(reserveInput(keyHash, { lease: granted }));
    const batchOf = (size: number): SettleInput[] =>
      Array.from({ length: size }, () => {
        const id = genId();
        return { keyHash, generationId: id, record: generationRecord(id, keyHash, 100_000), leaseId: granted.id };
      });
    const [gathered, alone] = [batchOf(16), batchOf(16)];
    const counted = await runInDurableObject(stub, (instance, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      let written = 0;
      // The object's own SqlStorage, counting the rows each statement (and its triggers) writes.
      sql.exec = ((...args: Parameters<typeof exec>) => {
        const cursor = exec(...args);
        cursor.toArray();
        written += cursor.rowsWritten;
        return cursor;
      }) as typeof sql.exec;
      const rowsWrittenBy = <T>(work: () => T) => {
        written = 0;
        return { result: work(), rows: written };
      };
      try {
        return {
          gathered: rowsWrittenBy(() => instance.settleMany(gathered)),
          alone: rowsWrittenBy(() => alone.map((input) => instance.settle(input))),
        };
      } finally {
        sql.exec = exec;
      }
    });
    const charged = { chargedNanos: 100_000, duplicate: false, clamped: false };
    expect(counted.gathered.result).toEqual(gathered.map(() => charged));
    expect(counted.alone.result).toEqual(alone.map(() => charged));
    expect(counted.gathered.rows).toBeLessThan(counted.alone.rows / 2);
    const audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(32 * 100_000);
  });

  it("charges a generation run under a lease out of the lease's hold, once, and releases the rest", async () => {
    const { stub, keyHash } = await newAccount(1 * USD);
    const granted = lease(8 * WORST);
    const first = reserveInput(keyHash, { lease: granted });
    await stub.reserve(first);
    const underLease = genId();
    const record = generationRecord(underLease, keyHash, 2_000_000);
    const charged = await stub.settle({ keyHash, generationId: underLease, record, leaseId: granted.id });
    expect(charged).toEqual({ chargedNanos: 2_000_000, duplicate: false, clamped: false });
    let audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(2_000_000);
    expect(audit.totals.reservedNanos).toBe(WORST + 8 * WORST - 2_000_000); // the lease shrank by the charge
    // Sent again (a retried batch), it changes nothing.
    expect(await stub.settle({ keyHash, generationId: underLease, record, leaseId: granted.id })).toMatchObject({
      duplicate: true,
      chargedNanos: 0,
    });
    expect(await stub.generation(keyHash, underLease)).toMatchObject({ ok: true, value: { costNanos: 2_000_000 } });

    // The lease's rest is released by settling its id with no record.
    await stub.settle({ keyHash, generationId: granted.id, record: null });
    await stub.settle({ keyHash, generationId: first.generationId, record: null });
    audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(0);
    expect(audit.totals.reservedNanos).toBe(0);
    expect(audit.totals.balanceNanos).toBe(USD - 2_000_000);

    // A generation of that lease settling after the release is still charged, from the balance.
    const late = genId();
    await stub.settle({
      keyHash,
      generationId: late,
      record: generationRecord(late, keyHash, 1_000_000),
      leaseId: granted.id,
    });
    audit = await expectConsistent(stub);
    expect(audit.totals.usageNanos).toBe(3_000_000);
  });

  it("grants none to a key with a request rate limit, or with too little room to spare", async () => {
    const limited = await newAccount(1 * USD, { rateLimit: { requests: 100, interval: "1h" } });
    expect(await limited.stub.reserve(reserveInput(limited.keyHash, { lease: lease(8 * WORST) }))).not.toHaveProperty(
      "lease",
    );
    // Room for 16 worst cases: a sixteenth of the 15 left after the hold is not one.
    const poor = await newAccount(16 * WORST);
    const reply = await poor.stub.reserve(reserveInput(poor.keyHash, { lease: lease(8 * WORST) }));
    expect(reply).toEqual({ ok: true, headStartNanos: 15 * WORST });
    expect((await poor.stub.audit())?.reservationCount).toBe(1);
    // Nor to a free request (its worst case is 0: there is nothing to lease).
    const free = reserveInput(poor.keyHash, { worstCaseNanos: 0, promptCostNanos: 0, lease: lease(0) });
    expect(await poor.stub.reserve(free)).not.toHaveProperty("lease");
  });

  it("never lets a lease outlive the key, nor run longer than the longest lease", async () => {
    const expiring = await newAccount(1 * USD, { expiresAt: Date.now() + 300 });
    const soon = await expiring.stub.reserve(reserveInput(expiring.keyHash, { lease: lease(8 * WORST, 5000) }));
    expect(soon.ok && soon.lease ? soon.lease.ms : null).toBeLessThanOrEqual(300);
    const { stub, keyHash } = await newAccount(1 * USD);
    expect(await stub.reserve(reserveInput(keyHash, { lease: lease(8 * WORST, 3_600_000) }))).toMatchObject({
      lease: { ms: MAX_LEASE_MS },
    });
    // The longest lease, then its release's delivery, end within the 30 s waitUntil has after the
    // response, with room for keeping an undelivered release in KV.
    expect(MAX_LEASE_MS + SETTLE_DELIVERY_MS).toBeLessThanOrEqual(25_000);
  });

  it("a retried reservation keeps its one lease", async () => {
    const { stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash, { lease: lease(8 * WORST) });
    const first = await stub.reserve(input);
    expect(await stub.reserve({ ...input, retried: true })).toEqual(first);
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(2);
    expect(audit.totals.reservedNanos).toBe(9 * WORST);
  });

  it("answers a change that restricts a key once the key's leases can start no more requests; a rename at once", async () => {
    const { stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash, { lease: lease(8 * WORST, 400) });
    await stub.reserve(input);
    const timed = async (call: () => PromiseLike<unknown>) => {
      const started = Date.now();
      await call();
      return Date.now() - started;
    };
    expect(await timed(() => stub.adminUpdateKey(keyHash, { name: "renamed" }))).toBeLessThan(300);
    expect(await timed(() => stub.adminUpdateKey(keyHash, { limitNanos: USD }))).toBeGreaterThanOrEqual(300);
    // Released (no row): nothing left to wait for.
    await stub.settle({ keyHash, generationId: input.lease!.id, record: null });
    expect(await timed(() => stub.adminUpdateKey(keyHash, { disabled: true }))).toBeLessThan(300);

    // A deletion waits too.
    const other = await newAccount(1 * USD);
    await other.stub.reserve(reserveInput(other.keyHash, { lease: lease(8 * WORST, 400) }));
    expect(await timed(() => other.stub.adminDeleteKey(other.keyHash))).toBeGreaterThanOrEqual(300);
  });

  it("releases a lease its isolate abandoned when the hold's deadline passes", async () => {
    const { stub, keyHash } = await newAccount(1 * USD);
    const abandoned = lease(8 * WORST);
    const input = reserveInput(keyHash, { lease: abandoned });
    await stub.reserve(input);
    await stub.settle({ keyHash, generationId: input.generationId, record: null });
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = 0 WHERE id = ?", abandoned.id);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(0);
    expect(audit.totals.reservedNanos).toBe(0);
  });
});

describe("reservation expiry", () => {
  it("a request whose worker died after reserving releases its hold when the alarm fires", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const dead = reserveInput(keyHash);
    const alive = reserveInput(keyHash);
    await reserve(env, accountId, dead);
    await reserve(env, accountId, alive);
    expect((await expectConsistent(stub)).totals.reservedNanos).toBe(dead.worstCaseNanos + alive.worstCaseNanos);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeGreaterThan(Date.now() + RESERVATION_TTL_MS - 60_000);

    // Time passes for the dead request only: its deadline is now in the past.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = 0 WHERE id = ?", dead.generationId);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const audit = await expectConsistent(stub);
    expect(audit.reservationCount).toBe(1);
    expect(audit.totals.reservedNanos).toBe(alive.worstCaseNanos);
    expect(audit.totals.usageNanos).toBe(0);
    // The live hold keeps an alarm scheduled.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();

    // A late settlement of the expired request is still charged (within the balance), once.
    await settle(env, accountId, {
      keyHash,
      generationId: dead.generationId,
      record: generationRecord(dead.generationId, keyHash, 777),
    });
    await settle(env, accountId, {
      keyHash,
      generationId: dead.generationId,
      record: generationRecord(dead.generationId, keyHash, 777),
    });
    expect((await expectConsistent(stub)).totals.usageNanos).toBe(777);
  });
});

describe("usage windows", () => {
  it("reports daily, weekly and monthly usage in UTC windows and all-time usage", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash);
    await reserve(env, accountId, input);
    await settle(env, accountId, {
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, 4242),
    });
    let info = await stub.keyInfo(keyHash);
    expect(info.ok && info.value.key).toMatchObject({
      usageNanos: 4242,
      usageDailyNanos: 4242,
      usageWeeklyNanos: 4242,
      usageMonthlyNanos: 4242,
    });
    // Move the windows back in time: the counters belong to past windows now.
    await editBehindTheObject(
      stub,
      "UPDATE keys SET daily_start = 0, weekly_start = 0, monthly_start = 0 WHERE hash = ?",
      keyHash,
    );
    info = await stub.keyInfo(keyHash);
    expect(info.ok && info.value.key).toMatchObject({
      usageNanos: 4242,
      usageDailyNanos: 0,
      usageWeeklyNanos: 0,
      usageMonthlyNanos: 0,
    });
  });
});

describe("credits ledger", () => {
  it("applies a grant once per idempotency id", async () => {
    const { stub } = await newAccount(0);
    const first = await stub.adminGrant({ idempotencyId: "topup-1", amountNanos: 3 * USD, reason: "invoice 1" });
    const again = await stub.adminGrant({ idempotencyId: "topup-1", amountNanos: 3 * USD, reason: "invoice 1" });
    expect(first).toMatchObject({ ok: true, value: { duplicate: false } });
    expect(again).toMatchObject({ ok: true, value: { duplicate: true } });
    expect((await expectConsistent(stub)).totals.creditsNanos).toBe(3 * USD);
    expect(await stub.adminGrant({ idempotencyId: "topup-1", amountNanos: 5 * USD, reason: "x" })).toMatchObject({
      ok: false,
      status: 409,
    });
  });

  it("removes credits, but not below what is spent or held", async () => {
    const { accountId, stub, keyHash } = await newAccount(1 * USD);
    const input = reserveInput(keyHash, { worstCaseNanos: USD / 2 });
    await reserve(env, accountId, input);
    expect(await stub.adminGrant({ idempotencyId: "too-much", amountNanos: -USD, reason: "refund" })).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(await stub.adminGrant({ idempotencyId: "half", amountNanos: -USD / 2, reason: "refund" })).toMatchObject({
      ok: true,
    });
    expect(await reserve(env, accountId, reserveInput(keyHash, { worstCaseNanos: 1 }))).toMatchObject({ status: 402 });
    await expectConsistent(stub);
  });
});

describe("generation ids", () => {
  it("are per account", async () => {
    const a = await newAccount(1 * USD);
    const b = await newAccount(1 * USD);
    const id = genId();
    await reserve(env, a.accountId, reserveInput(a.keyHash, { generationId: id }));
    await settle(env, a.accountId, {
      keyHash: a.keyHash,
      generationId: id,
      record: generationRecord(id, a.keyHash, 10),
    });
    expect(await a.stub.generation(a.keyHash, id)).toMatchObject({ ok: true });
    expect(await b.stub.generation(b.keyHash, id)).toMatchObject({ ok: false, status: 404 });
  });
});

import { describe, expect, it } from "vitest";
import type { GenerationRecord, SettleInput } from "../src/billing/contract";
import type { Lease } from "../src/billing/leases";
import type { Env } from "../src/env";
import { type Generation, settleGeneration } from "../src/generation/lifecycle";
import { holdStarted } from "../src/generation/solo";

/**
 * The last generation of a closed lease settles its charge and releases the lease's rest. Sent in
 * two calls, a charge retried after a failure could reach the Account object after the release:
 * no longer out of the lease, it would be clamped to what the account had left by then. Here the
 * object is a stand-in that records each call and fails the first, as an unreachable object does.
 */
describe("a lease's last charge and its release", () => {
  it("go to the object in one call, charge first, and are retried together", async () => {
    const calls: string[][] = [];
    const account = {
      settleMany: async (inputs: SettleInput[]) => {
        calls.push(inputs.map((input) => input.generationId));
        if (calls.length === 1) throw new Error("object unreachable (transient)");
        return inputs.map(() => ({ chargedNanos: 1, clamped: false, duplicate: false }));
      },
    };
    const accountId = `acct-${crypto.randomUUID()}`;
    const env = { ACCOUNTS: { idFromName: (name: string) => name, get: () => account } } as unknown as Env;
    const keyHash = "ab".repeat(32);
    const lease: Lease = {
      id: `lease-${crypto.randomUUID()}`,
      accountId,
      keyHash,
      room: 0,
      until: Date.now() - 1, // its time is up: its last generation releases it
      inFlight: 1,
      closed: true,
      released: false,
    };
    const kept: Array<Promise<unknown>> = [];
    const vars: Record<string, unknown> = { auth: { accountId, keyHash }, requestId: "req-1" };
    const c = {
      env,
      get: (name: string) => vars[name],
      set: () => {},
      executionCtx: { waitUntil: (work: Promise<unknown>) => kept.push(work) },
    };
    const gen = {
      c,
      id: "gen-last",
      apiType: "completions",
      requestedModel: "openai/gpt-4o-mini",
      stream: false,
      user: null,
      receivedAt: Date.now(),
      promptTokens: 10,
      reservedNanos: 1_000,
      lease,
      // It ran alone in the isolate, so its settlement is sent at once rather than gathered.
      solo: holdStarted(),
      settled: false,
      handedOff: (work: Promise<void>) => kept.push(work),
      timings: {},
      calledAt: 0,
      reports: [],
    } as unknown as Generation;
    const record = {
      id: gen.id,
      keyHash,
      model: "openai/gpt-4o-mini",
      providerName: "OpenAI",
      finishReason: "stop",
      streamed: false,
      cancelled: false,
      latencyMs: 5,
      tokensPrompt: 10,
      tokensCompletion: 5,
      costNanos: 400,
    } as GenerationRecord;

    settleGeneration(gen, record);
    for (let i = 0; i < kept.length; i++) await kept[i];

    expect(calls.length).toBeGreaterThanOrEqual(2); // the first failed, and was tried again
    for (const call of calls) {
      // No call carries the release without the charge before it.
      const release = call.indexOf(lease.id);
      if (release !== -1) expect(call.indexOf(gen.id)).toBeGreaterThanOrEqual(0);
      if (release !== -1) expect(call.indexOf(gen.id)).toBeLessThan(release);
    }
    expect(calls.at(-1)).toEqual([gen.id, lease.id]);
  });
});

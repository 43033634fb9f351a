import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { holdEnded, holdStarted } from "../src/generation/solo";
import worker from "../src/index";
import { audit } from "./billing-support";
import { ADMIN_TOKEN, admin, BASE, chat, fundedAccount, gatewayFetch, sleep } from "./support/gateway";

/**
 * A generation that ran alone in the isolate (generation/solo.ts) writes its log line and queues
 * its settlement just after its reply goes out. The settlement is gathered like any other (sent
 * when its 20 ms window closes), but a read of the account through the same isolate sends it
 * first (billing/client.ts, settledAccount). What a client sees: on an otherwise idle gateway, a
 * completion's stats and spend are readable as soon as its reply is, with no polling.
 */

const ask = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hi [[emulate tokens=3]]" }] };

async function readJson<T>(path: string, bearer: string): Promise<T> {
  const response = await gatewayFetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe("settling a generation that ran alone", () => {
  it("its stats and its spend are readable as soon as its reply is, under its own hold or its key's lease", async () => {
    const { key, accountId } = await fundedAccount();
    let spent = 0;
    const heldBy = new Set<string>();
    // A lease is asked for only within BUSY_GAP_MS (50 ms) of the key's last request, which a
    // loaded host outlasts while a turn reads its stats and the books: so each turn's request
    // follows a primer sent just before it (done, and settled here, before it starts: it still
    // runs alone). The first turn's asks for the lease and reserves; later ones run under it while
    // it lasts. A few more turns on a host slow enough to let it lapse.
    for (let i = 0; i < 12 && (i < 4 || heldBy.size < 2); i++) {
      const primer = await chat(key, ask);
      expect(primer.status).toBe(200);
      spent += ((await primer.json()) as { usage: { cost: number } }).usage.cost;
      const response = await chat(key, ask);
      expect(response.status).toBe(200);
      const timing = response.headers.get("server-timing") ?? "";
      heldBy.add(/(^|, )lease;/.test(timing) ? "lease" : "reserve");
      const reply = (await response.json()) as { id: string; usage: { cost: number } };
      spent += reply.usage.cost;
      // No poll: a millisecond after the reply, well inside the 20 ms gathering window (the test
      // shares the gateway's isolate, and this timer fires after the zero one the settlement is
      // queued on, to let the reply go first). The key's usage first, then the stats, each read
      // sending what is queued.
      await sleep(1);
      expect((await readJson<{ data: { usage: number } }>("/key", key)).data.usage).toBeCloseTo(spent, 9);
      const stats = await readJson<{ data: { total_cost: number } }>(`/generation?id=${reply.id}`, key);
      expect(stats.data.total_cost).toBe(reply.usage.cost);
      const books = await audit(accountId);
      expect(books.totals.usageNanos / 1e9).toBeCloseTo(spent, 9);
    }
    expect([...heldBy].sort()).toEqual(["lease", "reserve"]);
  });

  /** What a reader of the account has in hand: the key that spent, its account's provisioning key, the reply. */
  interface Spent {
    key: string;
    hash: string;
    accountId: string;
    ops: string;
    id: string;
  }
  /** Each read of the account that reports spend, and what it says the reply cost. */
  const reads: Record<string, (spent: Spent) => Promise<number>> = {
    "GET /credits": async ({ key }) =>
      (await readJson<{ data: { total_usage: number } }>("/credits", key)).data.total_usage,
    "GET /key": async ({ key }) => (await readJson<{ data: { usage: number } }>("/key", key)).data.usage,
    "GET /keys": async ({ ops, hash }) => {
      const listed = await readJson<{ data: Array<{ hash: string; usage: number }> }>("/keys", ops);
      return listed.data.find((entry) => entry.hash === hash)?.usage ?? Number.NaN;
    },
    "GET /keys/:hash": async ({ ops, hash }) =>
      (await readJson<{ data: { usage: number } }>(`/keys/${hash}`, ops)).data.usage,
    "GET /generation": async ({ key, id }) =>
      (await readJson<{ data: { total_cost: number } }>(`/generation?id=${id}`, key)).data.total_cost,
    "the admin account summary": async ({ accountId }) =>
      (await readJson<{ total_usage: number }>(`/admin/accounts/${accountId}`, ADMIN_TOKEN)).total_usage,
  };
  for (const [read, costOf] of Object.entries(reads)) {
    it(`is in ${read} as soon as its reply is`, async () => {
      const { key, hash, accountId } = await fundedAccount();
      const ops = (await admin<{ key: string }>(`/accounts/${accountId}/keys`, { name: "ops", provisioning: true }))
        .key;
      const response = await chat(key, ask);
      expect(response.status).toBe(200);
      const reply = (await response.json()) as { id: string; usage: { cost: number } };
      expect(reply.usage.cost).toBeGreaterThan(0);
      // Inside the 20 ms gathering window: only the read's sending the settlement shows it.
      await sleep(1);
      expect(await costOf({ key, hash, accountId, ops, id: reply.id })).toBeCloseTo(reply.usage.cost, 9);
    });
  }

  it("writes its log line after its reply is handed back, not before", async () => {
    const { key } = await fundedAccount();
    const lines: Array<{ msg?: string }> = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      lines.push(JSON.parse(String(line)));
    });
    try {
      // Straight through the Worker's fetch: the reply is in hand as the handler returns it.
      const ctx = createExecutionContext();
      const request = new Request(`${BASE}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(ask),
      });
      const response = await worker.fetch(request, env, ctx);
      expect(response.status).toBe(200);
      expect(lines.filter((l) => l.msg === "generation")).toHaveLength(0);
      await waitOnExecutionContext(ctx);
      expect(lines.filter((l) => l.msg === "generation")).toHaveLength(1);
    } finally {
      log.mockRestore();
    }
  });
});

describe("whether a generation ran alone (solo.ts)", () => {
  it("is true only when no other generation held money from its hold to its settlement", () => {
    const lone = holdStarted();
    expect(holdEnded(lone)).toBe(true);

    // Another one already running when it started.
    const first = holdStarted();
    const second = holdStarted();
    expect(holdEnded(second)).toBe(false);
    // Another one started while it ran (and is over by now).
    expect(holdEnded(first)).toBe(false);

    // Once they are all over, the next one alone is alone again.
    const next = holdStarted();
    expect(holdEnded(next)).toBe(true);
  });
});

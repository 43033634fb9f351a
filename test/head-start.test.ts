import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { sleep } from "../src/sleep";
import { env, settled } from "./billing-support";
import {
  admin,
  BASE,
  chat,
  emulatorRequests,
  finishedCall,
  fundedAccount,
  gatewayFetch,
  nonce,
} from "./support/gateway";

/**
 * Head starts (billing/head-start.ts, generation/lifecycle.ts): once a key's reservation left room
 * for the next request's worst case, that request's first upstream call starts while its own
 * reservation is on its way to the Account object. What a client must never see: an answer for a
 * request the object refused, a charge for it, or a call made for a key with no room.
 */

const MODEL = "openai/gpt-4o-mini";
const ask = (text: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: "user", content: text }],
  ...extra,
});

async function disable(accountId: string, hash: string) {
  await admin(`/accounts/${accountId}/keys/${hash}`, { disabled: true }, "PATCH");
}

/**
 * A funded account whose key has made one request: it waited for its reservation, and the
 * object's answer gave the key its room for the next one's head start. `spent`: what it cost.
 */
async function keyWithRoom() {
  const acct = await fundedAccount("1");
  const first = await chat(acct.key, ask("hi [[emulate tokens=2]]"));
  expect(first.status).toBe(200);
  await first.text();
  return { acct, spent: (await settled(acct.accountId)).totals.usageNanos };
}

describe("head start", () => {
  it("starts a key's next call beside its reservation; a refusal still wins, cancels the call and charges nothing", async () => {
    const { acct, spent } = await keyWithRoom();

    // Disabled in the object only: this isolate's key cache and its room for the key still stand.
    await disable(acct.accountId, acct.hash);
    const marker = nonce();
    const started = Date.now();
    const refused = await chat(acct.key, ask(`slow ${marker} [[emulate delay_ms=3000]]`));
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).error.message).toBe("This API key is disabled");
    expect(Date.now() - started).toBeLessThan(2000); // not held for the provider's 3 s answer
    // The call had gone out before the refusal came back (the head start), and was cancelled.
    expect((await finishedCall(marker))?.outcome).toBe("client_closed");

    // The refusal cost the key its room: its next request waits for the object, reaching no provider.
    const after = nonce();
    expect((await chat(acct.key, ask(`hi ${after}`))).status).toBe(401);
    expect(await finishedCall(after)).toBeNull();
    const audit = await settled(acct.accountId);
    expect(audit.totals.usageNanos).toBe(spent);
    expect(audit.totals.reservedNanos).toBe(0);
  });

  for (const stream of [false, true]) {
    it(`answers a refused request with the refusal even when the provider answered first${stream ? " (stream)" : ""}`, async () => {
      const acct = await fundedAccount("1");
      const first = await chat(acct.key, ask("hi [[emulate tokens=2]]", { stream }));
      expect(first.status).toBe(200);
      await first.text();
      await disable(acct.accountId, acct.hash);
      const marker = nonce();
      const refused = await chat(acct.key, ask(`quick ${marker} [[emulate tokens=2]]`, { stream }));
      expect(refused.status).toBe(401);
      expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await refused.text()).not.toContain("chat.completion");
      expect(await finishedCall(marker)).not.toBeNull(); // it did reach the provider
      expect((await settled(acct.accountId)).totals.reservedNanos).toBe(0);
    });
  }

  it("a client that leaves during a head-start call cancels it, is charged nothing, and its hold is released", async () => {
    const { acct, spent } = await keyWithRoom();
    const marker = nonce();
    const client = new AbortController();
    const pending = gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${acct.key}`, "content-type": "application/json" },
      body: JSON.stringify(ask(`slow ${marker} [[emulate delay_ms=3000]]`)),
      signal: client.signal,
    });
    // Once the call is at the provider (its reservation answered meanwhile), the client goes.
    for (let i = 0; i < 100 && (await emulatorRequests(marker)).length === 0; i++) await sleep(20);
    await sleep(50);
    client.abort();
    await expect(pending).rejects.toThrow();
    expect((await finishedCall(marker))?.outcome).toBe("client_closed");
    const audit = await settled(acct.accountId);
    expect(audit.totals.usageNanos).toBe(spent);
    expect(audit.totals.reservedNanos).toBe(0);
  });

  it("gives no head start to a request whose worst case is more than the key's room", async () => {
    // 0.001 USD: a request capped at 10 tokens leaves ~0.001 of room; one that may write 16000 needs 0.0096.
    const acct = await fundedAccount("0.001");
    expect((await chat(acct.key, ask("hi [[emulate tokens=2]]", { max_tokens: 10 }))).status).toBe(200);
    const marker = nonce();
    const refused = await chat(acct.key, ask(`long ${marker}`, { max_tokens: 16000 }));
    expect(refused.status).toBe(402);
    expect(await finishedCall(marker)).toBeNull();
  });

  it("gives no head start to a key with a request rate limit", async () => {
    const { key } = await fundedAccount("1", { rate_limit: { requests: 2, interval: "1h" } });
    for (let i = 0; i < 2; i++) expect((await chat(key, ask("hi [[emulate tokens=2]]"))).status).toBe(200);
    const marker = nonce();
    expect((await chat(key, ask(`third ${marker}`))).status).toBe(429);
    expect(await finishedCall(marker)).toBeNull();
  });

  it("UPSTREAM_HEAD_START=off makes every call wait for its reservation", async () => {
    /** The head-start scenario above, through the Worker's fetch with `vars` over its env. */
    const refusedCallReached = async (vars: Record<string, string>) => {
      const acct = await fundedAccount("1");
      const send = async (text: string) => {
        const ctx = createExecutionContext();
        const response = await worker.fetch(
          new Request(`${BASE}/chat/completions`, {
            method: "POST",
            headers: { authorization: `Bearer ${acct.key}`, "content-type": "application/json" },
            body: JSON.stringify(ask(text)),
          }),
          { ...env, ...vars },
          ctx,
        );
        const status = response.status;
        await response.text();
        await waitOnExecutionContext(ctx);
        return status;
      };
      expect(await send("hi [[emulate tokens=2]]")).toBe(200);
      await disable(acct.accountId, acct.hash);
      const marker = nonce();
      expect(await send(`hi ${marker} [[emulate delay_ms=1000]]`)).toBe(401);
      return (await finishedCall(marker)) !== null;
    };
    expect(await refusedCallReached({})).toBe(true);
    expect(await refusedCallReached({ UPSTREAM_HEAD_START: "off" })).toBe(false);
  });
});

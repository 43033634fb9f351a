import { describe, expect, it } from "vitest";
import { accountStub } from "../src/billing/client";
import { env, generationRecord, genId } from "./billing-support";
import { admin, BASE, chat, fundedAccount, gatewayFetch, openRouterClient } from "./support/gateway";

/**
 * `GET /activity` (the OpenRouter SDK's analytics.getUserActivity): an account's generations of
 * the last 30 completed UTC days summed per day, model and provider, behind a provisioning key.
 */

const DAY_MS = 86_400_000;
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const sdk = (apiKey: string) => openRouterClient(apiKey);

/** An account with generations recorded on several days, two keys and two end users. */
async function accountWithHistory() {
  const acct = await fundedAccount("10");
  const other = await admin<{ key: string; data: { hash: string } }>(`/accounts/${acct.accountId}/keys`, {
    name: "other",
  });
  const { key: provisioningKey } = await admin<{ key: string }>(`/accounts/${acct.accountId}/keys`, {
    name: "ops",
    provisioning: true,
  });
  const stub = accountStub(env, acct.accountId);
  const record = async (keyHash: string, createdAt: number, costNanos: number, extra = {}) => {
    const id = genId();
    await stub.settle({
      keyHash,
      generationId: id,
      record: generationRecord(id, keyHash, costNanos, { createdAt, ...extra }),
    });
  };
  const twoDaysAgo = today - 2 * DAY_MS + 3_600_000;
  const threeDaysAgo = today - 3 * DAY_MS + 7_200_000;
  await record(acct.hash, twoDaysAgo, 1_000_000, { nativeTokensReasoning: 5 });
  await record(acct.hash, twoDaysAgo + 60_000, 2_000_000, { user: "alice" });
  await record(acct.hash, twoDaysAgo, 4_000_000, { model: "anthropic/claude-haiku-4.5", providerName: "Anthropic" });
  await record(other.data.hash, threeDaysAgo, 8_000_000, { user: "alice" });
  // Outside the window: today (not a completed day) and 31 days ago.
  await record(acct.hash, Date.now(), 16_000_000);
  await record(acct.hash, today - 31 * DAY_MS, 32_000_000);
  return { ...acct, otherHash: other.data.hash, provisioningKey, twoDaysAgo, threeDaysAgo };
}

describe("GET /activity", () => {
  it("sums the last 30 completed days per day, model and provider, as the SDK parses it", async () => {
    const acct = await accountWithHistory();
    const { data } = await sdk(acct.provisioningKey).analytics.getUserActivity();
    expect(data).toHaveLength(3);
    const mini = data.find((row) => row.model === "openai/gpt-4o-mini" && row.date === isoDay(acct.twoDaysAgo));
    expect(mini).toMatchObject({
      providerName: "OpenAI",
      endpointId: "openai:openai/gpt-4o-mini",
      modelPermaslug: expect.any(String),
      requests: 2,
      promptTokens: 2000,
      completionTokens: 500,
      reasoningTokens: 5,
      usage: 0.003,
      byokUsageInference: 0,
    });
    const claude = data.find((row) => row.model === "anthropic/claude-haiku-4.5");
    expect(claude).toMatchObject({ providerName: "Anthropic", requests: 1, usage: 0.004 });
    const older = data.find((row) => row.date === isoDay(acct.threeDaysAgo));
    expect(older).toMatchObject({ requests: 1, usage: 0.008 });
  });

  it("reads the window out of a long history: every generation in it, none before it", async () => {
    const acct = await fundedAccount("10");
    const { key: provisioningKey } = await admin<{ key: string }>(`/accounts/${acct.accountId}/keys`, {
      name: "ops",
      provisioning: true,
    });
    const stub = accountStub(env, acct.accountId);
    // One generation every 7 hours over 60 days, settled in order (the window starts mid-history).
    const times = Array.from({ length: 206 }, (_, i) => today - 60 * DAY_MS + i * 7 * 3_600_000);
    for (const createdAt of times) {
      const id = genId();
      await stub.settle({
        keyHash: acct.hash,
        generationId: id,
        record: generationRecord(id, acct.hash, 1000, { createdAt }),
      });
    }
    const inWindow = times.filter((t) => t >= today - 30 * DAY_MS && t < today).length;
    const { data } = await sdk(provisioningKey).analytics.getUserActivity();
    expect(data.reduce((sum, row) => sum + row.requests, 0)).toBe(inWindow);
    expect(new Set(data.map((row) => row.date)).size).toBe(30);
  });

  it("filters by day, by key and by end user", async () => {
    const acct = await accountWithHistory();
    const client = sdk(acct.provisioningKey);
    const oneDay = await client.analytics.getUserActivity({ date: isoDay(acct.threeDaysAgo) });
    expect(oneDay.data.map((row) => row.usage)).toEqual([0.008]);
    const oneKey = await client.analytics.getUserActivity({ apiKeyHash: acct.otherHash });
    expect(oneKey.data.map((row) => row.usage)).toEqual([0.008]);
    const alice = await client.analytics.getUserActivity({ userId: "alice" });
    expect(alice.data.map((row) => row.usage).sort()).toEqual([0.002, 0.008]);
  });

  it("is a provisioning key's: an inference key gets 403; a bad date, a day outside the window and workspaces get a 400 naming them", async () => {
    const acct = await accountWithHistory();
    const status = async (key: string, query = "") => {
      const response = await gatewayFetch(`${BASE}/activity${query}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: response.status, message: ((await response.json()) as any).error?.message as string };
    };
    const inference = await status(acct.key);
    expect(inference.status).toBe(403);
    expect(inference.message).toMatch(/provisioning key/);
    expect(await status(acct.provisioningKey, "?date=yesterday")).toMatchObject({
      status: 400,
      message: expect.stringMatching(/date/),
    });
    expect(await status(acct.provisioningKey, `?date=${isoDay(today)}`)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/last 30 completed UTC days/),
    });
    expect(await status(acct.provisioningKey, "?group_by=workspace")).toMatchObject({
      status: 400,
      message: expect.stringMatching(/workspaces/),
    });
    expect((await status("sk-tg-v1-not-a-key")).status).toBe(401);
  });

  it("counts what requests through the gateway were charged, once their day is over", async () => {
    const acct = await fundedAccount("10");
    const { key: provisioningKey } = await admin<{ key: string }>(`/accounts/${acct.accountId}/keys`, {
      name: "ops",
      provisioning: true,
    });
    const reply = await chat(acct.key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    const { id, usage } = (await reply.json()) as { id: string; usage: { cost: number } };
    // Today's activity is not listed yet: the request is moved to yesterday in the records.
    const stub = accountStub(env, acct.accountId);
    await expect.poll(async () => (await stub.audit())?.reservationCount).toBe(0);
    const { runInDurableObject } = await import("cloudflare:test");
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE generations SET created_at = created_at - ? WHERE id = ?", DAY_MS, id);
    });
    const { data } = await sdk(provisioningKey).analytics.getUserActivity();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ model: "openai/gpt-4o-mini", requests: 1, usage: usage.cost });
  });
});

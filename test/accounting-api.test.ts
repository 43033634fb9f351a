import { createExecutionContext, SELF } from "cloudflare:test";
import { UpdateKeysResponse$inboundSchema } from "@openrouter/sdk/models/operations";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { hashApiKey } from "../src/auth/keys";
import { reserve, settle } from "../src/billing/client";
import { env, generationRecord, genId, reserveInput } from "./billing-support";
import { openRouterClient } from "./support/gateway";

const BASE = "http://gateway.test/api/v1";
const ADMIN = { authorization: "Bearer test-admin-token", "content-type": "application/json" };

function call(
  path: string,
  init: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return SELF.fetch(
    new Request(`${BASE}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
  );
}

async function admin<T = any>(path: string, body?: unknown, method?: string): Promise<{ status: number; json: T }> {
  const response = await SELF.fetch(
    new Request(`${BASE}/admin${path}`, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers: ADMIN,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: response.status, json: (await response.json()) as T };
}

/** The official OpenRouter SDK pointed at the gateway under test. */
function sdk(apiKey: string) {
  return openRouterClient(apiKey);
}

/** An account with credits, an API key and a provisioning key, made through the admin API. */
async function setup(credits = "10") {
  const account = await admin("/accounts", { name: "acme" });
  expect(account.status).toBe(201);
  const id = account.json.id as string;
  const grant = await admin(`/accounts/${id}/credits`, { amount: credits, reason: "setup", idempotency_id: "setup" });
  expect(grant.status).toBe(201);
  const apiKey = await admin(`/accounts/${id}/keys`, { name: "app" });
  const provisioning = await admin(`/accounts/${id}/keys`, { name: "ops", provisioning: true });
  expect(apiKey.status).toBe(201);
  expect(provisioning.status).toBe(201);
  return {
    id,
    key: apiKey.json.key as string,
    keyHash: apiKey.json.data.hash as string,
    provisioningKey: provisioning.json.key as string,
  };
}

describe("admin API", () => {
  it("requires the admin token", async () => {
    const none = await SELF.fetch(new Request(`${BASE}/admin/accounts`, { method: "POST", body: "{}" }));
    expect(none.status).toBe(401);
    const wrong = await SELF.fetch(
      new Request(`${BASE}/admin/accounts`, { method: "POST", headers: { authorization: "Bearer nope" }, body: "{}" }),
    );
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error.code).toBe(401);
  });

  it("is off (404) when ADMIN_TOKEN is not set", async () => {
    const app = buildApp();
    const response = await app.fetch(
      new Request(`${BASE}/admin/accounts`, { method: "POST", headers: ADMIN, body: JSON.stringify({ name: "x" }) }),
      { ...env, ADMIN_TOKEN: undefined },
      createExecutionContext(),
    );
    expect(response.status).toBe(404);
  });

  it("creates an account, grants credits idempotently and issues keys", async () => {
    const id = `acme-${crypto.randomUUID().slice(0, 8)}`;
    const created = await admin("/accounts", { name: "Acme", id });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id, name: "Acme", total_credits: 0, total_usage: 0, balance: 0, keys: [] });
    expect((await admin("/accounts", { name: "Acme", id })).status).toBe(409);

    const grant = { amount: "12.5", reason: "invoice 42", idempotency_id: "inv-42" };
    const first = await admin(`/accounts/${id}/credits`, grant);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ duplicate: false, amount: 12.5, total_credits: 12.5, balance: 12.5 });
    const again = await admin(`/accounts/${id}/credits`, grant);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ duplicate: true, total_credits: 12.5 });
    const removal = await admin(`/accounts/${id}/credits`, { amount: -2.5, reason: "refund", idempotency_id: "r-1" });
    expect(removal.json).toMatchObject({ total_credits: 10, balance: 10 });

    const key = await admin(`/accounts/${id}/keys`, { name: "first", provisioning: true });
    expect(key.status).toBe(201);
    expect(key.json.key).toMatch(/^sk-tg-v1-[0-9a-f]{64}$/);
    expect(key.json.data.hash).toBe(await hashApiKey(key.json.key));
    expect(key.json.data.is_provisioning_key).toBe(true);

    const shown = await admin(`/accounts/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.json.keys).toHaveLength(1);
    expect(shown.json.credits.map((c: any) => c.idempotency_id).sort()).toEqual(["inv-42", "r-1"]);
    expect(JSON.stringify(shown.json)).not.toContain(key.json.key);
  });

  it("answers bad input with a 400 naming the field", async () => {
    const account = await admin("/accounts", { name: "x" });
    const id = account.json.id;
    const bad = await admin(`/accounts/${id}/credits`, { amount: "ten", reason: "x", idempotency_id: "a" });
    expect(bad.status).toBe(400);
    expect((bad.json as any).error.message).toContain("amount");
    const noReason = await admin(`/accounts/${id}/credits`, { amount: 1, idempotency_id: "a" });
    expect((noReason.json as any).error.message).toContain("reason");
    const tooPrecise = await admin(`/accounts/${id}/credits`, {
      amount: "0.0000000001",
      reason: "x",
      idempotency_id: "b",
    });
    expect(tooPrecise.status).toBe(400);
    const noName = await admin("/accounts", {});
    expect(noName.status).toBe(400);
    expect((noName.json as any).error.message).toContain("name");
    expect((await admin("/accounts/not%20valid")).status).toBe(400);
    expect((await admin("/accounts/does-not-exist")).status).toBe(404);
    expect((await admin("/accounts/does-not-exist/keys", { name: "k" })).status).toBe(404);
  });
});

describe("GET /key and /credits", () => {
  it("reports the calling key in OpenRouter's shape (parsed by the official SDK)", async () => {
    const { key } = await setup();
    const { data } = await sdk(key).apiKeys.getCurrentKeyMetadata();
    expect(data.label).toBe(`${key.slice(0, 12)}...${key.slice(-3)}`);
    expect(data).toMatchObject({
      limit: null,
      limitRemaining: null,
      limitReset: null,
      usage: 0,
      usageDaily: 0,
      usageWeekly: 0,
      usageMonthly: 0,
      isFreeTier: false,
      isProvisioningKey: false,
    });
    expect(data.rateLimit.requests).toBe(-1);
    const legacy = await call("/auth/key", { key });
    expect(legacy.status).toBe(200);
    expect(((await legacy.json()) as any).data.label).toBe(data.label);
  });

  it("reports credits and usage for any key of the account", async () => {
    const { key, provisioningKey, id, keyHash } = await setup("10");
    const input = reserveInput(keyHash);
    await reserve(env, id, input);
    await settle(env, id, {
      keyHash,
      generationId: input.generationId,
      record: generationRecord(input.generationId, keyHash, 1_500_000),
    });
    for (const k of [key, provisioningKey]) {
      const { data } = await sdk(k).credits.getCredits();
      expect(data).toEqual({ totalCredits: 10, totalUsage: 0.0015 });
    }
    const { data } = await sdk(key).apiKeys.getCurrentKeyMetadata();
    expect(data.usage).toBe(0.0015);
    expect(data.usageDaily).toBe(0.0015);
  });

  it("401s without a key or with an unknown one", async () => {
    expect((await call("/key")).status).toBe(401);
    expect((await call("/credits", { key: "sk-tg-v1-nope" })).status).toBe(401);
  });
});

describe("GET /generation", () => {
  it("returns one generation of the caller's account, in OpenRouter's shape", async () => {
    const { id, key, keyHash } = await setup();
    const input = reserveInput(keyHash);
    await reserve(env, id, input);
    const record = generationRecord(input.generationId, keyHash, 2_345_678, {
      streamed: true,
      nativeTokensReasoning: 12,
    });
    await settle(env, id, { keyHash, generationId: input.generationId, record });
    const { data } = await sdk(key).generations.getGeneration({ id: input.generationId });
    expect(data).toMatchObject({
      id: input.generationId,
      model: "openai/gpt-4o-mini",
      providerName: "OpenAI",
      totalCost: 0.002345678,
      usage: 0.002345678,
      tokensPrompt: 1000,
      tokensCompletion: 250,
      nativeTokensPrompt: 1000,
      nativeTokensCompletion: 250,
      nativeTokensReasoning: 12,
      latency: 120,
      generationTime: 800,
      finishReason: "stop",
      nativeFinishReason: "stop",
      streamed: true,
      cancelled: false,
      httpReferer: "https://app.example",
      isByok: false,
    });
  });

  it("404s another account's generation and 400s a missing id", async () => {
    const a = await setup();
    const b = await setup();
    const id = genId();
    await reserve(env, a.id, reserveInput(a.keyHash, { generationId: id }));
    await settle(env, a.id, { keyHash: a.keyHash, generationId: id, record: generationRecord(id, a.keyHash, 10) });
    expect((await call(`/generation?id=${id}`, { key: a.key })).status).toBe(200);
    const other = await call(`/generation?id=${id}`, { key: b.key });
    expect(other.status).toBe(404);
    expect(((await other.json()) as any).error.code).toBe(404);
    const missing = await call("/generation", { key: a.key });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.message).toContain("id");
  });
});

describe("key provisioning", () => {
  it("creates, lists, reads, updates and deletes keys through the official SDK", async () => {
    const { provisioningKey } = await setup();
    const client = sdk(provisioningKey);
    const created = await client.apiKeys.create({
      requestBody: { name: "customer 1", limit: 5, limitReset: "monthly" },
    });
    expect(created.key).toMatch(/^sk-tg-v1-/);
    expect(created.data).toMatchObject({
      name: "customer 1",
      limit: 5,
      limitRemaining: 5,
      limitReset: "monthly",
      disabled: false,
      usage: 0,
    });
    const hash = created.data.hash;
    expect(hash).toBe(await hashApiKey(created.key));

    // The new key works, with its limit.
    const me = await sdk(created.key).apiKeys.getCurrentKeyMetadata();
    expect(me.data).toMatchObject({ limit: 5, limitRemaining: 5, limitReset: "monthly" });

    const listed = await client.apiKeys.list();
    expect(listed.data.map((k) => k.hash)).toContain(hash);
    expect((await client.apiKeys.get({ hash })).data.name).toBe("customer 1");

    const updated = await client.apiKeys.update({ hash, requestBody: { name: "renamed", limit: 2, disabled: true } });
    expect(updated.data).toMatchObject({ name: "renamed", limit: 2, disabled: true });
    expect(updated.data.updatedAt).not.toBeNull();
    expect((await client.apiKeys.list()).data.map((k) => k.hash)).not.toContain(hash);
    expect((await client.apiKeys.list({ includeDisabled: true })).data.map((k) => k.hash)).toContain(hash);

    const deleted = await client.apiKeys.delete({ hash });
    expect(deleted).toEqual({ deleted: true });
    expect((await call(`/keys/${hash}`, { key: provisioningKey })).status).toBe(404);
  });

  it("a key whose KV record cannot be written is taken back (503, nothing listed); a failed KV delete does not fail a revocation", async () => {
    const { provisioningKey } = await setup();
    const kv = env.KEYS;
    /** KEYS with one operation failing, as in a KV outage. */
    const failing = (operation: "put" | "delete") =>
      Object.assign(Object.create(kv) as KVNamespace, {
        get: kv.get.bind(kv),
        list: kv.list.bind(kv),
        put: kv.put.bind(kv),
        delete: kv.delete.bind(kv),
        [operation]: () => Promise.reject(new Error("KV is down")),
      });
    const send = (keys: KVNamespace, method: string, path: string, body?: unknown) =>
      buildApp().fetch(
        new Request(`${BASE}${path}`, {
          method,
          headers: { authorization: `Bearer ${provisioningKey}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
        { ...env, KEYS: keys },
        createExecutionContext(),
      );
    const lost = await send(failing("put"), "POST", "/keys", { name: "never stored" });
    expect(lost.status).toBe(503);
    expect(((await lost.json()) as { error: { message: string } }).error.message).toMatch(/try again/);
    const listed = (await (await call("/keys?include_disabled=true", { key: provisioningKey })).json()) as {
      data: Array<{ name: string }>;
    };
    expect(listed.data.map((k) => k.name)).not.toContain("never stored");

    const created = await sdk(provisioningKey).apiKeys.create({ requestBody: { name: "revoked in an outage" } });
    const revoked = await send(failing("delete"), "DELETE", `/keys/${created.data.hash}`);
    expect(revoked.status).toBe(200);
    expect((await call("/key", { key: created.key })).status).toBe(401);
  });

  it("refuses a disabled key at once, though KV still holds it", async () => {
    const { id, provisioningKey } = await setup();
    const created = await sdk(provisioningKey).apiKeys.create({ requestBody: { name: "soon disabled" } });
    expect((await call("/key", { key: created.key })).status).toBe(200);
    await sdk(provisioningKey).apiKeys.update({ hash: created.data.hash, requestBody: { disabled: true } });
    expect(await env.KEYS.get(created.data.hash)).not.toBeNull();
    expect((await call("/key", { key: created.key })).status).toBe(401);
    expect(await reserve(env, id, reserveInput(created.data.hash))).toMatchObject({ ok: false, status: 401 });
    await sdk(provisioningKey).apiKeys.update({ hash: created.data.hash, requestBody: { disabled: false } });
    expect((await call("/key", { key: created.key })).status).toBe(200);
  });

  it("refuses a revoked key on its next request even when KV (or a cache) still holds it", async () => {
    const { id, provisioningKey } = await setup();
    const created = await sdk(provisioningKey).apiKeys.create({ requestBody: { name: "soon revoked" } });
    const hash = created.data.hash;
    expect((await call("/key", { key: created.key })).status).toBe(200);
    const kvRecord = await env.KEYS.get(hash);
    await sdk(provisioningKey).apiKeys.delete({ hash });
    expect(await env.KEYS.get(hash)).toBeNull();
    // A stale replica elsewhere still resolves the key: the Account object refuses it anyway.
    await env.KEYS.put(hash, kvRecord as string);
    for (const path of ["/key", "/credits", "/generation?id=gen-x"]) {
      expect((await call(path, { key: created.key })).status).toBe(401);
    }
    expect(await reserve(env, id, reserveInput(hash))).toMatchObject({ ok: false, status: 401 });
  });

  it("is for provisioning keys only, and only for the caller's own account", async () => {
    const a = await setup();
    const b = await setup();
    const asInference = await call("/keys", { key: a.key });
    expect(asInference.status).toBe(403);
    expect((await call("/keys", { key: a.key, body: { name: "x" } })).status).toBe(403);
    // B's provisioning key cannot see or touch A's keys.
    expect((await call(`/keys/${a.keyHash}`, { key: b.provisioningKey })).status).toBe(404);
    expect((await call(`/keys/${a.keyHash}`, { key: b.provisioningKey, method: "DELETE" })).status).toBe(404);
    expect(
      (await call(`/keys/${a.keyHash}`, { key: b.provisioningKey, method: "PATCH", body: { disabled: true } })).status,
    ).toBe(404);
    expect((await call("/key", { key: a.key })).status).toBe(200);
  });

  it("validates bodies, naming the field", async () => {
    const { provisioningKey, keyHash } = await setup();
    const noName = await call("/keys", { key: provisioningKey, body: { limit: 5 } });
    expect(noName.status).toBe(400);
    expect(((await noName.json()) as any).error.message).toContain("name");
    const badReset = await call("/keys", { key: provisioningKey, body: { name: "x", limit_reset: "hourly" } });
    expect(((await badReset.json()) as any).error.message).toContain("limit_reset");
    const negative = await call(`/keys/${keyHash}`, { key: provisioningKey, method: "PATCH", body: { limit: -1 } });
    expect(negative.status).toBe(400);
    expect(((await negative.json()) as any).error.message).toContain("limit");
    const badRate = await call("/keys", {
      key: provisioningKey,
      body: { name: "x", rate_limit: { requests: 5, interval: "soon" } },
    });
    expect(((await badRate.json()) as any).error.message).toContain("rate_limit.interval");
  });

  it("refuses an expires_at already past with a 400 naming it, and stops a key when its time comes", async () => {
    const { id, provisioningKey } = await setup();
    const past = await call("/keys", {
      key: provisioningKey,
      body: { name: "dead", expires_at: "2001-01-01T00:00:00Z" },
    });
    expect(past.status).toBe(400);
    expect(((await past.json()) as any).error.message).toContain("expires_at");
    const adminPast = await admin(`/accounts/${id}/keys`, { name: "dead", expires_at: "2001-01-01T00:00:00Z" });
    expect(adminPast.status).toBe(400);

    const expiresAt = new Date(Date.now() + 1000);
    const created = await sdk(provisioningKey).apiKeys.create({ requestBody: { name: "brief", expiresAt } });
    expect(created.data.expiresAt?.getTime()).toBe(expiresAt.getTime());
    expect((await call("/key", { key: created.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    const expired = await call("/key", { key: created.key });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as any).error.message).toContain("expired");
  });

  it("changes a key's expires_at with PATCH (sets, clears, refuses a past time) rather than ignoring it", async () => {
    const { provisioningKey, keyHash, key } = await setup();
    const patch = (body: unknown) => call(`/keys/${keyHash}`, { key: provisioningKey, method: "PATCH", body });
    const past = await patch({ expires_at: "2001-01-01T00:00:00Z" });
    expect(past.status).toBe(400);
    expect(((await past.json()) as any).error.message).toContain("expires_at");

    const later = new Date(Date.now() + 3_600_000).toISOString();
    const set = await patch({ expires_at: later });
    expect(set.status).toBe(200);
    const { data } = UpdateKeysResponse$inboundSchema.parse(await set.json());
    expect(data.expiresAt?.toISOString()).toBe(later);
    const cleared = UpdateKeysResponse$inboundSchema.parse(await (await patch({ expires_at: null })).json());
    expect(cleared.data.expiresAt).toBeNull();

    // Shortened to a moment from now, the key stops then.
    const soon = new Date(Date.now() + 1000);
    expect((await patch({ expires_at: soon.toISOString() })).status).toBe(200);
    expect((await call("/key", { key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, soon.getTime() - Date.now() + 50));
    expect((await call("/key", { key })).status).toBe(401);
  });

  it("sets a per-key rate limit, reported by /key", async () => {
    const { provisioningKey } = await setup();
    const created = await call("/keys", {
      key: provisioningKey,
      body: { name: "limited", rate_limit: { requests: 2, interval: "1m" } },
    });
    const { key } = (await created.json()) as any;
    const { data } = await sdk(key).apiKeys.getCurrentKeyMetadata();
    expect(data.rateLimit).toMatchObject({ requests: 2, interval: "1m" });
  });

  it("pages the list 100 at a time", async () => {
    const { id, provisioningKey } = await setup();
    // setup made one inference key; make 104 more.
    for (let i = 0; i < 104; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, 104 - i) }, (_, j) => admin(`/accounts/${id}/keys`, { name: `k${i + j}` })),
      );
    }
    const client = sdk(provisioningKey);
    const first = await client.apiKeys.list();
    const second = await client.apiKeys.list({ offset: 100 });
    expect(first.data).toHaveLength(100);
    expect(second.data).toHaveLength(5);
    const all = new Set([...first.data, ...second.data].map((k) => k.hash));
    expect(all.size).toBe(105);
  });
});

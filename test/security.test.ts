import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { lookupKey } from "../src/auth/middleware";
import type { TollgateRpc } from "../src/rpc";
import {
  ADMIN_TOKEN,
  admin,
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  readSse,
  sleep,
  timeRefusedChat,
} from "./support/gateway";

/**
 * Secrets, tenants and resources: what no caller, with a key or without one, may get out of the
 * gateway or make it spend.
 */

const KEYS = (env as unknown as { KEYS: KVNamespace }).KEYS;
/** What the emulated providers are called with (src/routing/upstream.ts): the "provider secret". */
const PROVIDER_SECRET = "emulator-key";
/** A real-looking OpenAI project key, as an OpenAI-compatible upstream may echo it back. */
const REAL_LOOKING = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});
afterEach(() => vi.restoreAllMocks());

/**
 * Makes the upstream call that carries `marker` answer with `reply` (built from the Authorization
 * header the gateway sent, i.e. the provider secret), as a provider that echoes its credential.
 */
function upstreamEchoingItsKey(marker: string, reply: (authorization: string) => Response) {
  const real = globalThis.fetch;
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const body = typeof init?.body === "string" ? init.body : "";
    if (body.includes(marker)) {
      const headers = new Headers(init?.headers);
      return reply(headers.get("authorization") ?? "");
    }
    return real(input, init);
  });
}

describe("provider secrets in upstream errors", () => {
  it("control: a non-streaming upstream error that echoes the provider key is sanitised", async () => {
    const marker = nonce();
    upstreamEchoingItsKey(marker, (authorization) =>
      Response.json(
        { error: { message: `Incorrect API key provided: ${authorization.slice(7)} (also ${REAL_LOOKING})` } },
        { status: 400 },
      ),
    );
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: marker }],
    });
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).not.toContain(PROVIDER_SECRET);
    expect(text).not.toContain(REAL_LOOKING);
  });

  it("a streamed in-band upstream error that echoes the provider key is sanitised too", async () => {
    const marker = nonce();
    upstreamEchoingItsKey(marker, (authorization) => {
      const chunk = JSON.stringify({
        error: { message: `Incorrect API key provided: ${authorization.slice(7)} (also ${REAL_LOOKING})`, code: "x" },
      });
      return new Response(`data: ${chunk}\n\n`, { headers: { "content-type": "text/event-stream" } });
    });
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      stream: true,
      // One provider only, so the failure is not hidden behind a failover.
      provider: { only: ["openai"] },
      messages: [{ role: "user", content: marker }],
    });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const text = JSON.stringify(data);
    expect(text).toContain("Incorrect API key provided"); // the upstream's error did reach the client
    expect(text).not.toContain(PROVIDER_SECRET);
    expect(text).not.toContain(REAL_LOOKING);
  });
});

describe("the isolate's key-hash cache", () => {
  it("keeps nothing of a bearer token that is not a Tollgate key (unauthenticated memory growth)", async () => {
    // 20 distinct 100 kB tokens, as an unauthenticated client may send in Authorization headers.
    const tokens = Array.from({ length: 20 }, (_, i) => `${i}-${crypto.randomUUID()}-`.padEnd(100_000, "x"));
    const digest = vi.spyOn(crypto.subtle, "digest");
    for (const token of tokens) expect(await lookupKey(KEYS, token, createExecutionContext())).toBeNull();
    const firstPass = digest.mock.calls.length;
    digest.mockClear();
    for (const token of tokens) expect(await lookupKey(KEYS, token, createExecutionContext())).toBeNull();
    const secondPass = digest.mock.calls.length;
    // A second lookup that needs no hashing means the 100 kB token was kept (up to 10,000 of them
    // per isolate: ~1 GB, past a Worker's 128 MB). Nothing about an unknown token should be kept.
    expect(secondPass).toBe(firstPass);
  });

  it("over HTTP: a huge garbage bearer token is a plain 401", async () => {
    const response = await gatewayFetch(`${BASE}/key`, {
      headers: { authorization: `Bearer ${"y".repeat(60_000)}` },
    });
    expect(response.status).toBe(401);
  });
});

describe("request size limit", () => {
  /**
   * A 21 MB JSON body (past MAX_BODY_BYTES, 20 MB) as a stream, which a Worker caller (service
   * binding, RPC's fetch) may label with any content-length it likes. Its model is invalid, so a
   * body read whole is answered by validation (a 400 naming `model`), with no prompt to count.
   */
  function hugeStream(): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    const parts = [
      encoder.encode('{"padding":"'),
      ...Array.from({ length: 21 }, () => encoder.encode("a".repeat(1024 * 1024))),
      encoder.encode('","model":123}'),
    ];
    return new ReadableStream({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
  }
  for (const declared of ["10", "abc"]) {
    it(`a 21 MB body declared as content-length: ${declared} is refused with a 413, never read whole`, async () => {
      const response = await gatewayFetch(`${BASE}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": declared },
        body: hugeStream(),
        // @ts-expect-error workerd's RequestInit takes duplex for stream bodies
        duplex: "half",
      });
      expect(response.status).toBe(413);
    });
  }
});

describe("provisioning keys and tenant isolation", () => {
  async function provisioningKey() {
    const { accountId } = await fundedAccount("5");
    const { key: pk } = await admin<{ key: string }>(`/accounts/${accountId}/keys`, {
      name: "ops",
      provisioning: true,
    });
    return { accountId, pk };
  }

  it("a provisioning key gets 403 for inference on every endpoint, and no provider is called", async () => {
    const { pk } = await provisioningKey();
    const marker = nonce();
    const post = (path: string, body: unknown) =>
      gatewayFetch(`${BASE}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${pk}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const messages = [{ role: "user", content: marker }];
    for (let i = 0; i < 3; i++) {
      // repeated, so a head start or lease (a "busy" key) would have its chance
      expect((await post("/chat/completions", { model: "openai/gpt-4o-mini", messages })).status).toBe(403);
      expect((await post("/chat/completions", { model: "openai/gpt-4o-mini", messages, stream: true })).status).toBe(
        403,
      );
      expect((await post("/completions", { model: "openai/gpt-4o-mini", prompt: marker })).status).toBe(403);
      expect((await post("/embeddings", { model: "openai/text-embedding-3-small", input: marker })).status).toBe(403);
    }
    await sleep(100);
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("over RPC too: a provisioning key cannot chat", async () => {
    const { pk } = await provisioningKey();
    const rpc = (env as unknown as { TOLLGATE_RPC: Service<TollgateRpc> }).TOLLGATE_RPC;
    const thrown: unknown = await rpc
      .chatCompletion(pk, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] })
      .catch((error: unknown) => error);
    expect(String((thrown as Error).message)).toContain('"code":403');
  });

  it("admin API path variants never answer without the token", async () => {
    const { accountId } = await fundedAccount("1");
    const paths = [
      `/api/v1/admin/accounts/${accountId}`,
      `/v1/admin/accounts/${accountId}`,
      `/api/v1//admin/accounts/${accountId}`,
      `/api/v1/admin//accounts/${accountId}`,
      `/api/v1/admin/accounts/${accountId}/`,
      `/api/v1/ADMIN/accounts/${accountId}`,
      `/api/v1/admin/./accounts/${accountId}`,
      `/api/v1/x/../admin/accounts/${accountId}`,
      `/api/v1/admin%2Faccounts%2F${accountId}`,
    ];
    for (const path of paths) {
      for (const authorization of [undefined, "Bearer wrong", `Bearer ${ADMIN_TOKEN}x`, `Basic ${ADMIN_TOKEN}`]) {
        const response = await gatewayFetch(`http://gateway.test${path}`, {
          headers: authorization ? { authorization } : {},
        });
        expect([401, 404], `${path} ${authorization}`).toContain(response.status);
      }
    }
  });
});

describe("CPU cost of a prompt near the context limit (exact tiktoken count)", () => {
  /**
   * ~97k short words (enough that the estimate passes 75% of gpt-4o-mini's 128k context, so the
   * exact o200k tokenizer counts the prompt) plus one run of `run` letters: one BPE piece, whose
   * merge is quadratic in its length. A key with no credits can send it: it is refused (402) only
   * after the count, and charged nothing.
   */
  const timed = (run: number) => timeRefusedChat("openai/gpt-4o-mini", `${"a ".repeat(97_000)}${"b".repeat(run)}`);

  it("a 4 kB one-word run costs about what 4 kB of prose does (the quadratic BPE merge is bounded)", async () => {
    await timed(0); // loads the vocabulary once
    const base = await timed(0);
    // Before runs were cut for the BPE, on a 2-core VM: no run ~0.2 s, a 4 kB run ~2.7 s, a 16 kB run ~65 s.
    const run = await timed(4_000);
    // Linear work would add a few ms for 4 kB more text.
    expect(run.ms - base.ms).toBeLessThan(1_000);
  }, 120_000);

  it("a 12 MiB one-word prompt is a 400 naming the context length, not a 500", async () => {
    const { key } = await fundedAccount("1");
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      max_tokens: 1,
      messages: [{ role: "user", content: "x".repeat(12 * 1024 * 1024) }],
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/context length/i);
  }, 120_000);
});

import { createExecutionContext, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { HealthTracker, health } from "../src/routing/health";
import { groqServingLlamaInForce } from "./support/catalog";
import {
  BASE,
  chat,
  emulatorRequests,
  finishedCall,
  fundedAccount,
  gatewayFetch,
  nonce,
  readSse,
  recordedGeneration,
  sleep,
} from "./support/gateway";

// Groq serving Llama 3.3 (the fastest of its hosts) and Qwen 3: see withGroqServingLlama.
groqServingLlamaInForce();

const LLAMA = "meta-llama/llama-3.3-70b-instruct";
let key: string;
// An account for each test: a settlement of one test's generation that lands after the next test
// read its starting total (a cancelled stream's, say) must not count as that test's charge.
beforeEach(async () => {
  ({ key } = await fundedAccount("10"));
});

const ask = (text: string, provider: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  chat(key, { model: LLAMA, provider, messages: [{ role: "user", content: text }], ...extra });
const upstreams = async (marker: string) => (await emulatorRequests(marker)).map((r) => r.provider);

/** The key's account's total usage in USD (`GET /credits`). */
const totalUsage = async () =>
  ((await (await gatewayFetch(`${BASE}/credits`, { headers: { authorization: `Bearer ${key}` } })).json()) as any).data
    .total_usage as number;

/** The total usage once a settlement moved it from `before` (settlements land shortly after a reply). */
async function usageAfter(before: number): Promise<number> {
  let after = before;
  for (let i = 0; i < 100 && after === before; i++) {
    after = await totalUsage();
    await sleep(20);
  }
  return after;
}

describe("failover semantics", () => {
  // The worker under test shares this module instance: each test starts with every breaker closed.
  beforeEach(() => health.reset());

  it("a 500 on the first provider is answered by the second, with one charge", async () => {
    const marker = nonce();
    const before = await totalUsage();
    const response = await ask(`[[emulate@together status=500]] ${marker}`, { order: ["together", "groq"] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.provider).toBe("Groq");
    expect(response.headers.get("x-tollgate-attempts")).toMatch(
      /^Together;status=500, Together;status=500, Groq;status=200$/,
    );
    // a transient 5xx is retried once on the same endpoint, then the next provider answers
    expect(await upstreams(marker)).toEqual(["together", "together", "groq"]);
    const record = await recordedGeneration(key, body.id);
    expect(record.provider_name).toBe("Groq");
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 12);
    expect((await usageAfter(before)) - before).toBeCloseTo(body.usage.cost, 12);
  });

  it("retries the same endpoint once on a transient 500", async () => {
    const marker = nonce();
    const response = await ask(`[[emulate@together status=500 times=1]] ${marker}`, { order: ["together", "groq"] });
    expect(((await response.json()) as any).provider).toBe("Together");
    expect(await upstreams(marker)).toEqual(["together", "together"]);
  });

  it("allow_fallbacks: false returns the first provider's error", async () => {
    const marker = nonce();
    const response = await ask(`[[emulate@together status=429 retry_after=3]] ${marker}`, {
      order: ["together"],
      allow_fallbacks: false,
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    const body = (await response.json()) as any;
    expect(body.error.metadata.provider_name).toBe("Together");
    expect(await upstreams(marker)).toEqual(["together"]);
  });

  it("allow_fallbacks: false without order tries only the primary provider", async () => {
    const marker = nonce();
    const response = await ask(`[[emulate status=500]] ${marker}`, { sort: "price", allow_fallbacks: false });
    expect(response.status).toBe(502);
    expect(((await response.json()) as any).error.metadata.provider_name).toBe("DeepInfra");
    // The same endpoint retried once (a plain 500), no other provider.
    expect(new Set(await upstreams(marker))).toEqual(new Set(["deepinfra"]));
  });

  it("preferred_max_latency sends requests to the endpoint that meets it, and is no filter", async () => {
    // Catalog latencies for LLAMA: Groq 250 ms, Fireworks 450, Together 500, DeepInfra 600.
    const preference = { preferred_max_latency: { p50: 0.3 } };
    const answeredBy = new Set<string>();
    for (let i = 0; i < 4; i++) {
      answeredBy.add(((await (await ask(`hi ${nonce()}`, preference)).json()) as any).provider);
    }
    expect([...answeredBy]).toEqual(["Groq"]);
    const marker = nonce();
    const failing = await ask(`[[emulate@groq status=500]] ${marker}`, preference);
    expect(failing.status).toBe(200);
    expect(((await failing.json()) as any).provider).not.toBe("Groq");
    expect((await upstreams(marker)).slice(0, 2)).toEqual(["groq", "groq"]);
  });

  it("never launders a content-policy refusal through another provider", async () => {
    const marker = nonce();
    const response = await ask(`[[emulate@together status=400 code=content_policy_violation]] ${marker}`, {
      order: ["together", "groq"],
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as any).error.message).toMatch(/safety/);
    expect(await upstreams(marker)).toEqual(["together"]);
  });

  it("does not retry an invalid request anywhere", async () => {
    const marker = nonce();
    const response = await ask(`[[emulate status=400 code=invalid_value]] ${marker}`, { order: ["together", "groq"] });
    expect(response.status).toBe(400);
    expect(await upstreams(marker)).toEqual(["together"]);
  });

  it("routes a context-length error to a larger-context endpoint only", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: "meta-llama/llama-3.1-405b-instruct",
      provider: { order: ["deepinfra", "together"] },
      messages: [{ role: "user", content: `[[emulate@deepinfra status=400 code=context_length_exceeded]] ${marker}` }],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).provider).toBe("Together");
    expect(await upstreams(marker)).toEqual(["deepinfra", "together"]);
  });

  it("a context-length error with no larger endpoint is a clean 400", async () => {
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: `[[emulate status=400 code=context_length_exceeded]] ${nonce()}` }],
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.message).toMatch(/maximum context length/);
    expect(body.error.metadata.error_type).toBe("context_length_exceeded");
  });

  it("fails over on a connection reset", async () => {
    const marker = nonce();
    const response = await ask(`[[emulate@together reset]] ${marker}`, { order: ["together", "fireworks"] });
    expect(((await response.json()) as any).provider).toBe("Fireworks");
  });

  describe("a provider too slow to answer (UPSTREAM_HEADERS_TIMEOUT_MS at 800 ms)", () => {
    const askWithTimeout = (text: string) =>
      worker.fetch(
        new Request(`${BASE}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({
            model: LLAMA,
            provider: { order: ["together", "fireworks"] },
            messages: [{ role: "user", content: text }],
          }),
        }),
        { ...env, UPSTREAM_HEADERS_TIMEOUT_MS: "800" },
        createExecutionContext(),
      );

    it("no headers in time: the next provider answers", async () => {
      const marker = nonce();
      const response = await askWithTimeout(`[[emulate@together delay_ms=3000]] ${marker}`);
      expect(((await response.json()) as any).provider).toBe("Fireworks");
      expect(response.headers.get("x-tollgate-attempts")).toMatch(/^Together;status=408, Fireworks;status=200$/);
    });

    it("headers in time, then a reply that stalls half-way: the call is given up at the same limit, and the next provider answers", async () => {
      const marker = nonce();
      const started = Date.now();
      const response = await askWithTimeout(`[[emulate@together stall_after=0]] ${marker}`);
      expect(((await response.json()) as any).provider).toBe("Fireworks");
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(response.headers.get("x-tollgate-attempts")).toMatch(/^Together;status=408, Fireworks;status=200$/);
      // The stalled call was cancelled, not left open.
      const [together] = (await emulatorRequests(marker)).filter((r) => r.provider === "together");
      expect(together?.outcome).toBe("stalled");
      await expect
        .poll(async () => (await emulatorRequests(marker)).find((r) => r.provider === "together")?.closedAt)
        .toBeDefined();
    });
  });

  it("the final error names every attempt", async () => {
    const response = await ask(`[[emulate status=503]] ${nonce()}`, { only: ["together", "groq"] });
    expect(response.status).toBe(502);
    const attempts = ((await response.json()) as any).error.metadata.attempts as Array<{
      provider: string;
      status: number;
    }>;
    expect(new Set(attempts.map((a) => a.provider))).toEqual(new Set(["Together", "Groq"]));
    expect(attempts.every((a) => a.status === 503)).toBe(true);
  });

  it("a dead provider is skipped once its breaker opens, and probed again after the cooldown", async () => {
    // Fireworks always fails for this test's requests; each request retries it once (2 failures).
    const dead = `[[emulate@fireworks status=500]]`;
    const send = async () => {
      const marker = nonce();
      const response = await ask(`${dead} ${marker}`, { order: ["fireworks", "deepinfra"] });
      expect(((await response.json()) as any).provider).toBe("DeepInfra");
      return upstreams(marker);
    };
    await send();
    await send(); // 4 consecutive failures: the breaker is open
    expect(await send()).toEqual(["deepinfra"]); // skipped while open
    await sleep(1100); // BREAKER_COOLDOWN_MS is 1000 in tests
    const probed = await send();
    expect(probed[0]).toBe("fireworks"); // one probe after the cooldown
    expect(await send()).toEqual(["deepinfra"]); // the probe failed: open again
  });

  it("a probe whose client left lets the endpoint be probed again", async () => {
    const failing = async () => {
      const response = await ask(`[[emulate@fireworks status=500]] ${nonce()}`, { order: ["fireworks", "deepinfra"] });
      await response.text();
    };
    await failing();
    await failing(); // the breaker is open
    await sleep(1100); // BREAKER_COOLDOWN_MS is 1000 in tests
    // The probe hangs, and its client goes before it answers: the probe has no outcome.
    const marker = nonce();
    const client = new AbortController();
    const pending = gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: LLAMA,
        provider: { order: ["fireworks", "deepinfra"] },
        messages: [{ role: "user", content: `[[emulate@fireworks delay_ms=3000]] ${marker}` }],
      }),
      signal: client.signal,
    });
    for (let i = 0; i < 100 && (await upstreams(marker)).length === 0; i++) await sleep(20);
    expect(await upstreams(marker)).toEqual(["fireworks"]);
    const fireworks = `fireworks:${LLAMA}`;
    expect(health.allow(fireworks)).toBe(false); // its one probe is in flight
    client.abort();
    await expect(pending).rejects.toThrow();
    expect((await finishedCall(marker))?.outcome).toBe("client_closed");
    // The gateway gives the probe up once its attempt loop sees the cut: waited for in the health
    // it keeps (a fixed 50 ms after the cut was too short on a loaded host, twice).
    for (let i = 0; i < 100 && !health.allow(fireworks); i++) await sleep(20);
    expect(health.allow(fireworks)).toBe(true);
    // The next request probes the endpoint (and, as it answers, closes the breaker).
    const next = nonce();
    const response = await ask(`hello ${next}`, { order: ["fireworks", "deepinfra"] });
    expect(((await response.json()) as any).provider).toBe("Fireworks");
    expect(await upstreams(next)).toEqual(["fireworks"]);
  });
});

describe("the failover table, row by row (through the gateway and the emulator)", () => {
  beforeEach(() => health.reset());
  const rows: Array<[string, string, string[], number | "Groq"]> = [
    [
      "connection reset: retry the same endpoint once, then the next",
      "reset",
      ["together", "together", "groq"],
      "Groq",
    ],
    ["500: retry once, then the next", "status=500", ["together", "together", "groq"], "Groq"],
    ["503 overloaded: next", "status=503", ["together", "groq"], "Groq"],
    ["529 overloaded: next", "status=529", ["together", "groq"], "Groq"],
    ["429 rate limited: next", "status=429 retry_after=1", ["together", "groq"], "Groq"],
    ["408 timeout: next", "status=408", ["together", "groq"], "Groq"],
    ["401 provider auth: next", "status=401 code=invalid_api_key", ["together", "groq"], "Groq"],
    ["402 provider billing: next", "status=402", ["together", "groq"], "Groq"],
    ["404 model missing upstream: next", "status=404", ["together", "groq"], "Groq"],
    ["400 invalid request: stop", "status=400 code=invalid_value", ["together"], 400],
    ["400 content policy: stop", "status=400 code=content_policy_violation", ["together"], 403],
    ["malformed JSON body: next", "malformed", ["together", "groq"], "Groq"],
  ];
  for (const [name, fault, calls, outcome] of rows) {
    it(name, async () => {
      const marker = nonce();
      const response = await ask(`[[emulate@together ${fault}]] ${marker}`, { order: ["together", "groq"] });
      if (outcome === "Groq") expect(((await response.json()) as any).provider).toBe("Groq");
      else expect(response.status).toBe(outcome);
      expect(await upstreams(marker)).toEqual(calls);
    });
  }

  it("passes a provider's retry-after on only with a 429 (or 503), never with the 502 of a failure", async () => {
    const limited = await ask(`[[emulate status=429 retry_after=4]] ${nonce()}`, { only: ["together"] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("4");
    const failed = await ask(`[[emulate status=500 retry_after=4]] ${nonce()}`, { only: ["fireworks"] });
    expect(failed.status).toBe(502);
    expect(failed.headers.get("retry-after")).toBeNull();
    const refused = await ask(`[[emulate status=400 code=invalid_value retry_after=4]] ${nonce()}`, {
      only: ["groq"],
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("retry-after")).toBeNull();
  });

  it("a provider's retry-after keeps it out of rotation until then", async () => {
    await ask(`[[emulate@together status=429 retry_after=2]] ${nonce()}`, { order: ["together", "groq"] });
    const marker = nonce();
    await ask(`fine now ${marker}`, { order: ["together", "groq"] });
    expect(await upstreams(marker)).toEqual(["groq"]);
  });
});

describe("health tracker", () => {
  it("opens after repeated failures, lets one probe through after the cooldown, closes on success", () => {
    let now = 0;
    const tracker = new HealthTracker({ failuresToOpen: 3, cooldownMs: 1000, windowSize: 10 }, () => now);
    for (let i = 0; i < 3; i++) tracker.recordFailure("e");
    expect(tracker.allow("e")).toBe(false);
    now = 1000;
    expect(tracker.allow("e")).toBe(true);
    tracker.startAttempt("e");
    expect(tracker.allow("e")).toBe(false); // a single probe at a time
    tracker.recordSuccess("e", { ttfbMs: 120 });
    expect(tracker.allow("e")).toBe(true);
    expect(tracker.snapshot("e")).toMatchObject({ state: "closed", samples: 4, ttfbMs: { p50: 120 } });
  });

  it("a probe cut short without an outcome (the client left) lets the next request probe", () => {
    let now = 0;
    const tracker = new HealthTracker({ failuresToOpen: 1, cooldownMs: 1000, windowSize: 10 }, () => now);
    tracker.recordFailure("e");
    now = 1000;
    tracker.startAttempt("e");
    expect(tracker.allow("e")).toBe(false);
    tracker.abandonAttempt("e");
    expect(tracker.allow("e")).toBe(true);
    expect(tracker.snapshot("e")).toMatchObject({ state: "open" }); // no verdict either way
  });

  it("a probe that reports nothing for a whole cooldown is presumed lost: one more may go, one a cooldown", () => {
    // A request the runtime cancels when its client leaves may never report its probe.
    let now = 0;
    const tracker = new HealthTracker({ failuresToOpen: 1, cooldownMs: 1000, windowSize: 10 }, () => now);
    tracker.recordFailure("e");
    now = 1000;
    tracker.startAttempt("e");
    now = 1999;
    expect(tracker.allow("e")).toBe(false); // still in flight, as far as anyone knows
    now = 2000;
    expect(tracker.allow("e")).toBe(true);
    tracker.startAttempt("e");
    now = 2500;
    expect(tracker.allow("e")).toBe(false); // the new probe holds the endpoint for its cooldown
    tracker.recordFailure("e"); // and its failure opens the breaker again
    now = 3499;
    expect(tracker.allow("e")).toBe(false);
    now = 3500;
    expect(tracker.allow("e")).toBe(true);
  });

  it("gives percentiles of the last 30 minutes' figures, none from older outcomes", () => {
    let now = 0;
    const tracker = new HealthTracker({ failuresToOpen: 3, cooldownMs: 1000, windowSize: 50 }, () => now);
    tracker.recordSuccess("e", { ttfbMs: 5000 }); // at 0: outside the window below
    now = 10 * 60_000;
    for (const ttfbMs of [100, 200, 300, 400]) tracker.recordSuccess("e", { ttfbMs });
    tracker.recordThroughput("e", 80);
    tracker.recordFailure("e");
    now = 31 * 60_000;
    expect(tracker.recentFigures("e", 30 * 60_000)).toEqual({
      ttfbMs: { p50: 200, p75: 300, p90: 400, p99: 400 },
      tps: { p50: 80, p75: 80, p90: 80, p99: 80 },
    });
    expect(tracker.recentFigures("other", 30 * 60_000)).toEqual({ ttfbMs: undefined, tps: undefined });
  });

  it("honours retry-after by blocking the endpoint until then", () => {
    let now = 0;
    const tracker = new HealthTracker(undefined, () => now);
    tracker.recordFailure("e", 2);
    expect(tracker.allow("e")).toBe(false);
    now = 2000;
    expect(tracker.allow("e")).toBe(true);
  });
});

describe("stream failover before the first token", () => {
  beforeEach(() => health.reset());
  const streamAsk = (text: string) =>
    chat(key, {
      model: LLAMA,
      stream: true,
      provider: { order: ["together", "groq"] },
      messages: [{ role: "user", content: text }],
    });

  for (const [name, fault] of [
    ["a slow first token", "ttft_ms=5000"],
    ["a stall before the first token", "stall_after=1"],
    ["a cut before the first token", "cut_after=1"],
    ["a malformed first chunk", "malformed"],
  ] as const) {
    it(`${name} fails over silently to the next provider`, async () => {
      const marker = nonce();
      const { data } = await readSse(await streamAsk(`[[emulate tokens=5]] [[emulate@together ${fault}]] ${marker}`));
      const chunks = data.slice(0, -1) as any[];
      expect(chunks.every((c) => c.error === undefined)).toBe(true);
      expect(chunks.every((c) => c.provider === "Groq")).toBe(true);
      expect(chunks.filter((c) => c.choices[0]?.delta?.role === "assistant")).toHaveLength(1);
      expect(chunks.at(-1).usage.completion_tokens).toBe(5);
      expect(await upstreams(marker)).toEqual(["together", "groq"]);
    });
  }

  it("a slow first token, then a next provider slow to answer: the next one's stream is relayed whole", async () => {
    // The first-token clock ran out on Together; Groq then takes longer to answer than the relay's
    // watchdog tick (400 ms here). The time spent finding Groq is no fault of Groq's stream.
    const marker = nonce();
    const { data } = await readSse(
      await streamAsk(`[[emulate tokens=5]] [[emulate@together ttft_ms=5000]] [[emulate@groq delay_ms=900]] ${marker}`),
    );
    const chunks = data.slice(0, -1) as any[];
    expect(chunks.every((c) => c.error === undefined)).toBe(true);
    expect(chunks.every((c) => c.provider === "Groq")).toBe(true);
    expect(chunks.at(-1).usage.completion_tokens).toBe(5);
    expect(await upstreams(marker)).toEqual(["together", "groq"]);
  });

  it("after the first token, a cut is an error chunk, never a silent retry", async () => {
    const marker = nonce();
    const { data } = await readSse(await streamAsk(`[[emulate@together cut_after=3 tokens=9]] ${marker}`));
    const last = data.at(-2) as any;
    expect(last.choices[0].finish_reason).toBe("error");
    expect(await upstreams(marker)).toEqual(["together"]);
  });
});

describe("stream failover when the model's reasoning is hidden", () => {
  beforeEach(() => health.reset());
  // The emulated Anthropic stream: message_start, ping, the thinking block's start, then its
  // reasoning in pieces (frames 3 to 7), its signature and end, and only then the text.
  const CLAUDE = "anthropic/claude-haiku-4.5";
  const thinkingAsk = (text: string, reasoning: Record<string, unknown>) =>
    chat(key, {
      model: CLAUDE,
      stream: true,
      provider: { order: ["anthropic", "amazon-bedrock"] },
      reasoning: { effort: "high", ...reasoning },
      messages: [{ role: "user", content: text }],
    });
  it("a cut after reasoning the client was not shown fails over, and only the answer is charged", async () => {
    const marker = nonce();
    const before = await totalUsage();
    const { data } = await readSse(
      await thinkingAsk(`[[emulate tokens=4]] [[emulate@anthropic cut_after=6]] ${marker}`, { exclude: true }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as any[];
    expect(chunks.every((c) => c.error === undefined)).toBe(true);
    expect(chunks.every((c) => c.provider === "Amazon Bedrock")).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta?.role === "assistant")).toHaveLength(1);
    expect(JSON.stringify(chunks)).not.toContain('"reasoning"');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    expect(await upstreams(marker)).toEqual(["anthropic", "amazon-bedrock"]);

    // Charged once, for Bedrock's answer (its reasoning included): the cut attempt costs nothing.
    const last = chunks.at(-1);
    const [, bedrock] = await emulatorRequests(marker);
    expect(bedrock?.provider).toBe("amazon-bedrock");
    expect(last.usage.completion_tokens).toBeGreaterThan(4);
    expect(last.usage.cost).toBeGreaterThan(0);
    const record = await recordedGeneration(key, last.id);
    expect(record.provider_name).toBe("Amazon Bedrock");
    expect(record.total_cost).toBeCloseTo(last.usage.cost, 12);
    expect((await usageAfter(before)) - before).toBeCloseTo(last.usage.cost, 12);
  });

  it("the same cut after reasoning the client was shown ends in an error chunk", async () => {
    const marker = nonce();
    const { data } = await readSse(
      await thinkingAsk(`[[emulate tokens=4]] [[emulate@anthropic cut_after=6]] ${marker}`, {}),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as any[];
    expect(chunks.some((c) => c.choices[0]?.delta?.reasoning)).toBe(true);
    const last = chunks.at(-1);
    expect(last.error).toMatchObject({ code: 502 });
    expect(last.choices[0].finish_reason).toBe("error");
    expect(await upstreams(marker)).toEqual(["anthropic"]);
  });

  it("a client that leaves during hidden reasoning is charged for the reasoning produced", async () => {
    // Frames 800 ms apart: reasoning from ~2.4 s, text only from ~8.8 s; the client leaves at ~5.2 s,
    // having seen keep-alive comments only. The provider bills the reasoning it wrote by then. The
    // margins are seconds wide either side, so that a loaded host's slower frames still fall in them
    // (at 600 ms apart and leaving at 3.2 s, the full suite once left before any reasoning).
    const marker = nonce();
    const before = await totalUsage();
    const response = await thinkingAsk(`[[emulate tokens=2 chunk_delay_ms=800]] ${marker}`, { exclude: true });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // Keep-alive comments come every 400 ms (KEEPALIVE_INTERVAL_MS in the tests): each read returns.
    let seen = "";
    const leaveAt = Date.now() + 5_200;
    while (Date.now() < leaveAt) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(seen).not.toContain("data:");
    expect(await usageAfter(before)).toBeGreaterThan(before);
  });

  it("hidden reasoning is the provider's first token: a long think is not a first-token timeout", async () => {
    // FIRST_TOKEN_TIMEOUT_MS is 3 s in the test config. Frames 600 ms apart: the first reasoning
    // piece comes after ~1.8 s, the first text the client sees after ~6.6 s.
    const marker = nonce();
    const { data } = await readSse(
      await thinkingAsk(`[[emulate tokens=2 chunk_delay_ms=600]] ${marker}`, { exclude: true }),
    );
    const chunks = data.slice(0, -1) as any[];
    expect(chunks.every((c) => c.error === undefined)).toBe(true);
    expect(chunks.every((c) => c.provider === "Anthropic")).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.delta?.content)).toBe(true);
    expect(await upstreams(marker)).toEqual(["anthropic"]);
  });
});

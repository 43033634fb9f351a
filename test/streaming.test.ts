import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../src/index";
import { MAX_BATCH_BYTES } from "../src/streaming/byte-reader";
import {
  BASE,
  chat,
  emulatorRequests,
  finishedCall,
  fundedAccount,
  nonce,
  readSse,
  readThenCancel,
  recordedGeneration,
  sleep,
} from "./support/gateway";

const MODEL = "openai/gpt-4o-mini";
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

const stream = (text: string, extra: Record<string, unknown> = {}) =>
  chat(key, { model: MODEL, stream: true, messages: [{ role: "user", content: text }], ...extra });

describe("streaming chat completions", () => {
  it("streams OpenAI chunks, usage with cost on the last chunk, then [DONE]", async () => {
    const response = await stream(`stream please [[emulate tokens=12]] ${nonce()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const { comments, data } = await readSse(response);
    expect(comments[0]).toBe(": OPENROUTER PROCESSING");
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as Array<Record<string, any>>;
    for (const chunk of chunks) {
      expect(chunk.id).toMatch(/^gen-/);
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.model).toBe(MODEL);
      expect(chunk.provider).toBe("OpenAI");
    }
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.usage.completion_tokens).toBe(12);
    expect(last.usage.cost).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
  });

  it("asks the upstream for usage even when the client did not", async () => {
    const marker = nonce();
    await (await stream(`usage ${marker}`)).text();
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).stream_options).toEqual({ include_usage: true });
  });

  it("does not hold back what came before a pause: a burst, then a quiet spell, then the rest", async () => {
    // Reads of a fast upstream are batched (several events per read); a read waits for at most
    // MAX_BATCH_BYTES (4 kB, ~24 chunks), so when the upstream goes quiet at most that waits it out.
    const response = await stream(`burst [[emulate tokens=300 pause_after=201 pause_ms=1500]] ${nonce()}`);
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const reads: Array<{ at: number; pieces: number }> = [];
    let pieces = 0;
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const events = (pending + value).split("\n\n");
      pending = events.pop() ?? "";
      pieces += events.filter((event) => /"content":"[^"]+"/.test(event)).length;
      // Keep-alive comments fill the quiet spell; only reads that bring chunks count.
      if (events.some((event) => event.startsWith("data: "))) reads.push({ at: Date.now(), pieces });
    }
    expect(pieces).toBe(300);
    let gap = { ms: 0, piecesBefore: 0 };
    for (let i = 1; i < reads.length; i++) {
      const ms = reads[i]!.at - reads[i - 1]!.at;
      if (ms > gap.ms) gap = { ms, piecesBefore: reads[i - 1]!.pieces };
    }
    expect(gap.ms).toBeGreaterThan(1000);
    // 200 pieces preceded the pause; what one read waits for (a chunk is over 150 bytes) may wait
    // out the pause, never more.
    expect(gap.piecesBefore).toBeGreaterThanOrEqual(200 - Math.ceil(MAX_BATCH_BYTES / 150));
    expect(gap.piecesBefore).toBeLessThanOrEqual(200);
  });

  it("delivers the first chunk before the upstream has finished", async () => {
    const marker = nonce();
    const started = Date.now();
    const response = await stream(`slow [[emulate tokens=6 chunk_delay_ms=300]] ${marker}`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes('"content":"') || !/"content":"[^"]+"/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    const firstContentAt = Date.now() - started;
    // 6 tokens × 300 ms: the whole upstream takes ≥ 1.8 s; the first token must arrive well before.
    expect(firstContentAt).toBeLessThan(1200);
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.outcome).not.toBe("completed");
    while (!(await reader.read()).done) {
      // drain
    }
  });

  it("sends keep-alive comments while waiting for the first token", async () => {
    const response = await stream(`wait [[emulate ttft_ms=1500 tokens=3]] ${nonce()}`);
    const { comments, data } = await readSse(response);
    expect(comments.length).toBeGreaterThanOrEqual(3);
    expect(data.at(-1)).toBe("[DONE]");
  });

  it("keeps a stream whose reasoning is hidden alive with comments while the model reasons", async () => {
    // include_reasoning: false: the model reasons (its events 300 ms apart, ~3 s in all, where
    // KEEPALIVE_INTERVAL_MS is 400 ms), and none of it is relayed. A client must not see a silent connection that
    // long (a read timeout, or a proxy's idle one, would cut it while the model is working).
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      stream: true,
      reasoning: { effort: "high" },
      include_reasoning: false,
      messages: [{ role: "user", content: `think [[emulate tokens=2 chunk_delay_ms=300]] ${nonce()}` }],
    });
    const events = (await response.text()).split("\n\n").filter(Boolean);
    const firstContent = events.findIndex((e) => /"content":"[^"]+"/.test(e));
    expect(firstContent).toBeGreaterThan(0);
    expect(events.join("")).not.toContain('"reasoning"');
    // Hidden reasoning is not the client's first token: even the role chunk waits for the first
    // content (so that a provider failing meanwhile can still be replaced unseen), and until then
    // the client gets comments only, beyond the one sent at once.
    const before = events.slice(0, firstContent);
    const firstData = before.findIndex((e) => e.startsWith("data: "));
    const comments = firstData === -1 ? before : before.slice(0, firstData);
    expect(comments.every((e) => e === ": OPENROUTER PROCESSING")).toBe(true);
    expect(comments.length).toBeGreaterThanOrEqual(4);
    expect(events.at(-1)).toBe("data: [DONE]");
  });

  it("cancels the upstream fetch when the client disconnects", async () => {
    const marker = nonce();
    const response = await stream(`long [[emulate tokens=200 chunk_delay_ms=50]] ${marker}`);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect((await finishedCall(marker))?.outcome).toBe("client_closed");
  });

  it("cancels the upstream as soon as the client disconnects, not at the next write", async () => {
    const marker = nonce();
    // A token every 3 s: after the first, nothing is written to the client but keep-alives
    // (KEEPALIVE_INTERVAL_MS, 400 ms in the tests).
    const response = await stream(`slow [[emulate tokens=5 chunk_delay_ms=3000]] ${marker}`);
    await readThenCancel(response.body as ReadableStream<Uint8Array>, 1);
    const cancelledAt = Date.now();
    const call = await finishedCall(marker);
    expect(call?.outcome).toBe("client_closed");
    // When the emulator saw the gateway's connection close (its clock is this machine's too), not
    // when this test's polling found out: the next write, a keep-alive, was up to 400 ms away.
    expect((call?.closedAt ?? Number.POSITIVE_INFINITY) - cancelledAt).toBeLessThan(250);
  });

  it("ends its own reply when the client leaves, so that the request is over (the body was left open)", async () => {
    // Called as the runtime calls it, with the request's signal in the test's hand: a client
    // that goes away aborts it (enable_request_signal). The relay stops at once; its reply must
    // end too, or the runtime keeps the request in flight: a service-binding caller that cancels
    // held the gateway's request open, and the test runner waited on such requests forever.
    const client = new AbortController();
    const ctx = createExecutionContext();
    const request = new Request(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: `long [[emulate tokens=200 chunk_delay_ms=50]] ${nonce()}` }],
      }),
      signal: client.signal,
    });
    const response = await worker.fetch(request, env, ctx);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!/"content":"[^"]/.test(text)) text += decoder.decode((await reader.read()).value, { stream: true });
    client.abort();
    const drained = (async () => {
      try {
        while (!(await reader.read()).done) {}
      } catch {
        // An errored body is an ended one.
      }
      return "ended";
    })();
    expect(await Promise.race([drained, sleep(1000).then(() => "still open")])).toBe("ended");
    await waitOnExecutionContext(ctx);
  });

  it("clients leaving streams at once on one key: each is recorded cancelled, and the runner can still exit", async () => {
    // A client that leaves aborts the request's signal; the gateway ends the stream, settles it
    // and writes its log line from that abort listener, outside the request's handler context.
    // Sent to the runner as console output, such a line was never delivered (its send was cut
    // when the request's settlement ended), and the runner waited for it forever after this file
    // had passed: with two clients at a time on one key, every run. The failure shows as a
    // runner that does not exit (test/support/quiet-request-logs.ts keeps those lines here).
    const { key: shared } = await fundedAccount("5");
    const ids: string[] = [];
    await Promise.all(
      [0, 1].map(async () => {
        for (let i = 0; i < 3; i++) {
          const response = await chat(shared, {
            model: MODEL,
            stream: true,
            messages: [{ role: "user", content: `leave [[emulate tokens=30 chunk_delay_ms=5]] ${nonce()}` }],
          });
          ids.push(await readThenCancel(response.body as ReadableStream<Uint8Array>, 1));
        }
      }),
    );
    for (const id of ids) expect((await recordedGeneration(shared, id)).cancelled).toBe(true);
  });

  it("ends a stream cut mid-way with an error chunk, never a clean end", async () => {
    const response = await stream(`cut [[emulate tokens=20 cut_after=4]] ${nonce()}`);
    const { data } = await readSse(response);
    expect(data.at(-1)).toBe("[DONE]");
    const last = data.at(-2) as Record<string, any>;
    expect(last.error).toMatchObject({ code: 502, message: expect.any(String) });
    expect(last.choices[0].finish_reason).toBe("error");
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
    const chunks = data.slice(0, -1) as Array<Record<string, any>>;
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(false);
  });

  it("with n = 2, a cut ends the choice still open with the error, not one that had finished", async () => {
    // The emulator streams choice 0 whole (role, 3 tokens, finish), then choice 1: cut after
    // choice 1's first token.
    const { data } = await readSse(await stream(`two [[emulate tokens=3 cut_after=7]] ${nonce()}`, { n: 2 }));
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as Array<Record<string, any>>;
    expect(chunks.at(-1)!.error).toMatchObject({ code: 502 });
    const finishes = chunks.flatMap((c) =>
      c.choices.filter((ch: any) => ch.finish_reason !== null).map((ch: any) => [ch.index, ch.finish_reason]),
    );
    expect(finishes).toEqual([
      [0, "stop"],
      [1, "error"],
    ]);
  });

  it("ends the stream with an error chunk on a malformed upstream chunk", async () => {
    const { data } = await readSse(await stream(`bad [[emulate tokens=8 malformed]] ${nonce()}`));
    const last = data.at(-2) as Record<string, any>;
    expect(last.error.message).toMatch(/malformed/i);
    expect(last.choices[0].finish_reason).toBe("error");
  });

  it("finalises a stream that ends without [DONE], with usage", async () => {
    const { data } = await readSse(await stream(`nodone [[emulate tokens=5 no_done]] ${nonce()}`));
    expect(data.at(-1)).toBe("[DONE]");
    const last = data.at(-2) as Record<string, any>;
    expect(last.error).toBeUndefined();
    expect(last.usage.completion_tokens).toBe(5);
  });

  it("fails a stalled stream instead of hanging", async () => {
    // STREAM_IDLE_TIMEOUT_MS is 2 s in the test config; the emulator stays silent far longer.
    const response = await stream(`stall [[emulate tokens=10 stall_after=2]] ${nonce()}`);
    const { data } = await readSse(response);
    const last = data.at(-2) as Record<string, any>;
    expect(last.choices[0].finish_reason).toBe("error");
    expect(last.error.message).toMatch(/stalled/);
  });

  it("does not blame the provider for a client that stops reading longer than the stall timeout", async () => {
    // STREAM_IDLE_TIMEOUT_MS is 2 s in the test config. This client takes the first chunk, then
    // reads nothing for 2.5 s while the provider has the rest ready: the relay waits on the
    // client (nothing buffers in between here), not on the provider.
    const marker = nonce();
    const response = await stream(`slow reader [[emulate tokens=40 chunk_delay_ms=10]] ${marker}`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes('"content":"')) text += decoder.decode((await reader.read()).value, { stream: true });
    await sleep(2500);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).not.toContain("stalled");
    expect(text).toMatch(/"finish_reason":"(stop|length)"/);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect((await emulatorRequests(marker))[0]?.outcome).toBe("completed");
  });

  it("does not blame the provider for a client that starts reading after the first-token timeout", async () => {
    // FIRST_TOKEN_TIMEOUT_MS is 3 s in the test config; the provider's first token comes at once.
    const marker = nonce();
    const response = await stream(`late reader [[emulate tokens=5]] ${marker}`);
    await sleep(3500);
    const text = await response.text();
    expect(text).not.toContain("No first token");
    expect(text).toMatch(/"finish_reason":"(stop|length)"/);
    expect((await emulatorRequests(marker))[0]?.outcome).toBe("completed");
  });

  it("streams a refusal as it comes: it is the answer, not a wait for a first token", async () => {
    // Refusal pieces 700 ms apart: the whole refusal takes longer than FIRST_TOKEN_TIMEOUT_MS (3 s
    // in the test config). A refusal is what the model answers, and must reach the client as it
    // streams, as content would, not be held back as if nothing had come.
    const started = Date.now();
    const response = await stream(`refuse [[emulate refusal tokens=6 chunk_delay_ms=700]] ${nonce()}`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let firstRefusalAt: number | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      if (firstRefusalAt === undefined && /"refusal":"[^"]+"/.test(text)) firstRefusalAt = Date.now() - started;
    }
    const endedAt = Date.now() - started;
    // Held back, the first piece would come with the last, 3.5 s of gaps later; as it comes, at
    // least two gaps (1.4 s) before the end, however slow a loaded host makes every piece.
    expect(firstRefusalAt).toBeDefined();
    expect(firstRefusalAt).toBeLessThan(endedAt - 1400);
    const chunks = text
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice("data: ".length)) as Record<string, any>);
    expect(chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(
      chunks
        .map((c) => c.choices[0]?.delta?.refusal ?? "")
        .join("")
        .split(" "),
    ).toHaveLength(6);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
  });

  it("bills a refusal's tokens when the provider reports no usage, streamed or not", async () => {
    const text = `refuse [[emulate refusal no_usage tokens=6]] ${nonce()}`;
    const { data } = await readSse(await stream(text));
    const last = data.at(-2) as Record<string, any>;
    expect(last.error).toBeUndefined();
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
    const whole = (await (
      await chat(key, { model: MODEL, messages: [{ role: "user", content: text }] })
    ).json()) as any;
    expect(whole.choices[0].message.refusal.length).toBeGreaterThan(0);
    expect(whole.usage.completion_tokens).toBe(last.usage.completion_tokens);
  });

  it("streams tool-call deltas", async () => {
    const { data } = await readSse(
      await stream(`call the weather tool ${nonce()}`, {
        tools: [
          {
            type: "function",
            function: {
              name: "get_weather",
              parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            },
          },
        ],
      }),
    );
    const chunks = data.slice(0, -1) as Array<Record<string, any>>;
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0].function.name).toBe("get_weather");
    const args = calls.map((c: any) => c.function?.arguments ?? "").join("");
    expect(JSON.parse(args)).toHaveProperty("city");
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "tool_calls")).toBe(true);
  });
});

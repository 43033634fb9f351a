import { describe, expect, it } from "vitest";
import { SseParser, sseEventBatches } from "../src/streaming/sse";

describe("SSE parser", () => {
  it("joins events split at arbitrary byte boundaries", () => {
    const parser = new SseParser();
    const input = 'data: {"a":1}\n\nevent: ping\ndata: {"b":\ndata: 2}\n\n: keep-alive\n\ndata: [DONE]\n\n';
    const events = [];
    for (let i = 0; i < input.length; i += 3) events.push(...parser.push(input.slice(i, i + 3)));
    events.push(...parser.end());
    expect(events).toEqual([{ data: '{"a":1}' }, { event: "ping", data: '{"b":\n2}' }, { data: "[DONE]" }]);
  });

  it("accepts CRLF and CR line ends, including a CRLF split across reads", () => {
    const parser = new SseParser();
    const events = [...parser.push("data: one\r"), ...parser.push("\n\r\ndata:two\r\r"), ...parser.end()];
    expect(events).toEqual([{ data: "one" }, { data: "two" }]);
  });

  it("flushes a last event that has no blank line after it", () => {
    const parser = new SseParser();
    expect([...parser.push("data: tail"), ...parser.end()]).toEqual([{ data: "tail" }]);
  });

  it("decodes UTF-8 split inside a character", async () => {
    const bytes = new TextEncoder().encode('data: {"t":"héllo 🌍"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const next = sseEventBatches(body);
    const events = [];
    for (let batch = await next(); batch !== null; batch = await next()) events.push(...batch);
    expect(events).toEqual([{ data: '{"t":"héllo 🌍"}' }]);
  });
});

describe("SSE batches", () => {
  it("returns every event completed by one read together, and null at the end", async () => {
    const body = new Response("data: a\n\ndata: b\n\ndata: c").body as ReadableStream<Uint8Array>;
    const next = sseEventBatches(body);
    expect(await next()).toEqual([{ data: "a" }, { data: "b" }]);
    expect(await next()).toEqual([{ data: "c" }]);
    expect(await next()).toBeNull();
  });

  it("reads byte streams (fetch bodies) into a reused buffer without mixing up events", async () => {
    const parts = ['data: {"n":1}\n\nda', 'ta: {"n":2}\n', '\ndata: {"n":3}\n\n', "data: [DONE]\n\n"];
    const body = new ReadableStream({
      type: "bytes",
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    const next = sseEventBatches(body);
    const events = [];
    for (let batch = await next(); batch !== null; batch = await next()) events.push(...batch);
    expect(events.map((e) => e.data)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', "[DONE]"]);
  });
});

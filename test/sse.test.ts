import { describe, expect, it } from "vitest";
import { SseParser, sseEventBatches } from "../src/streaming/sse";

/** The reference: the SSE rules applied to the whole text at once. */
function reference(text: string): Array<{ event?: string; data: string }> {
  const events: Array<{ event?: string; data: string }> = [];
  let data: string[] = [];
  let event: string | undefined;
  for (const line of `${text}\n\n`.split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (data.length > 0)
        events.push(event === undefined ? { data: data.join("\n") } : { event, data: data.join("\n") });
      data = [];
      event = undefined;
    } else if (!line.startsWith(":")) {
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "event") event = value;
    }
  }
  return events;
}

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

  it("flushes a last event of several lines that has no blank line after it", () => {
    const parser = new SseParser();
    const events = [...parser.push("event: message_stop\ndata: {}\ndata: more"), ...parser.end()];
    expect(events).toEqual([{ event: "message_stop", data: "{}\nmore" }]);
  });

  it("parses an 8 MB event (an inline image) read 16 kB at a time in time linear in its size", () => {
    const image = "A".repeat(8 << 20);
    const framings = [
      `data: {"image":"${image}"}\n\n`,
      `data: {"image":"${image}"}\r\n\r\n`,
      `event: content_block_delta\ndata: {"image":"${image}"}\n\n`,
      // The same size as many `data:` lines of one event.
      `${`data: ${"B".repeat(1100)}\n`.repeat(8 << 10)}\n`,
    ];
    for (const text of framings) {
      const parser = new SseParser();
      const started = performance.now();
      const events = [];
      for (let at = 0; at < text.length; at += 16 * 1024) events.push(...parser.push(text.slice(at, at + 16 * 1024)));
      events.push(...parser.end());
      const elapsed = performance.now() - started;
      expect(events).toHaveLength(1);
      expect(events[0]?.data.length).toBeGreaterThan(8 << 20);
      // Appending each read to the buffer and searching it again took ~2 s per event here.
      expect(elapsed, text.slice(0, 30)).toBeLessThan(500);
    }
  });

  it("parses events past 64 kB split at random places, line by line, exactly as the whole text parses", () => {
    const long = "C".repeat(70_000);
    const text = `data: a\n\nevent: big\ndata: ${long}\ndata: ${long}\r\n\ndata: ${long}\n\ndata: ${long}\r\rdata: z\n\n`;
    let seed = 11;
    for (let round = 0; round < 20; round++) {
      const parser = new SseParser();
      const events = [];
      for (let at = 0; at < text.length; ) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const size = 1 + (seed % 9000);
        events.push(...parser.push(text.slice(at, at + size)));
        at += size;
      }
      events.push(...parser.end());
      expect(events).toEqual(reference(text));
    }
  });

  it("parses any mix of framings split anywhere exactly as the whole text parses line by line", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = [
      'data: {"n":1}\n\n',
      "data: x\n\n\n",
      "data:\n\n",
      "data: \n\n",
      "data:nospace\n\n",
      "event: ping\ndata: {}\n\n",
      "data: a\ndata: b\n\n",
      ": keep-alive\n\n",
      "data: crlf\r\n\r\n",
      "data: cr\r\r",
      "id: 3\ndata: with id\n\n",
      "data: [DONE]\n\n",
    ];
    for (let round = 0; round < 300; round++) {
      let text = "";
      for (let i = 0; i < 1 + random(12); i++) text += pieces[random(pieces.length)];
      const parser = new SseParser();
      const events = [];
      for (let at = 0; at < text.length; ) {
        const size = 1 + random(20);
        events.push(...parser.push(text.slice(at, at + size)));
        at += size;
      }
      events.push(...parser.end());
      expect(events, JSON.stringify(text)).toEqual(reference(text));
    }
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

import { describe, expect, it } from "vitest";
import { sleep } from "../src/sleep";
import { CoalescingWriter } from "../src/streaming/coalescing-writer";

/** A writer whose writes are recorded as the client would receive them, one entry per write. */
function recordingWriter() {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      writes.push(decoder.decode(chunk));
    },
  });
  return { writer: stream.getWriter(), writes };
}

describe("CoalescingWriter", () => {
  it("sends the first event of a quiet stream at once", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 50, () => {});
    await out.send("data: first\n\n");
    expect(writes).toEqual(["data: first\n\n"]);
  });

  it("gathers a burst into one write within the interval, in order", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 30, () => {});
    await out.send("a");
    for (const text of ["b", "c", "d"]) await out.send(text);
    expect(writes).toEqual(["a"]);
    await sleep(80);
    expect(writes).toEqual(["a", "bcd"]);
  });

  it("writes at once text that took half an interval to come, even within the window (a paced stream)", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 1_000, () => {});
    await out.send("a");
    await sleep(600);
    await out.send("b");
    expect(writes).toEqual(["a", "b"]);
  });

  it("with an interval of 0 (STREAM_FLUSH_MS=0) writes every event as it comes", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 0, () => {});
    for (const text of ["a", "b", "c"]) await out.send(text);
    expect(writes).toEqual(["a", "b", "c"]);
  });

  it("flush writes what is queued together with the stream's last text", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 1_000, () => {});
    await out.send("a");
    await out.send("b");
    await out.flush("[DONE]");
    expect(writes).toEqual(["a", "b[DONE]"]);
    await sleep(20);
    expect(writes).toEqual(["a", "b[DONE]"]);
  });

  it("writes a huge burst at once instead of holding it", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 10_000, () => {});
    await out.send("a");
    await out.send("x".repeat(300 * 1024));
    expect(writes.length).toBe(2);
  });

  it("does not hold back the first event behind the keep-alive comment the stream opened with", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 1_000, () => {});
    await out.sendBytes(new TextEncoder().encode(": OPENROUTER PROCESSING\n\n"));
    await out.send("data: first\n\n");
    expect(writes).toEqual([": OPENROUTER PROCESSING\n\n", "data: first\n\n"]);
  });

  it("keep-alive bytes go after what was queued", async () => {
    const { writer, writes } = recordingWriter();
    const out = new CoalescingWriter(writer, 1_000, () => {});
    await out.send("a");
    await out.send("b");
    await out.sendBytes(new TextEncoder().encode(": ping\n\n"));
    expect(writes).toEqual(["a", "b", ": ping\n\n"]);
  });

  it("reports a client that went away", async () => {
    const stream = new WritableStream<Uint8Array>({
      write() {
        throw new Error("gone");
      },
    });
    let gone = 0;
    const out = new CoalescingWriter(stream.getWriter(), 10, () => gone++);
    await out.send("a");
    expect(gone).toBe(1);
  });
});

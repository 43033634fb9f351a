import { describe, expect, it } from "vitest";
import { batchTarget, byteReader } from "../src/streaming/byte-reader";

describe("read batching", () => {
  it("reads one event at a time until the stream has shown its pace, and with batching off", () => {
    expect(batchTarget(0, 0, 10)).toBe(1);
    expect(batchTarget(1_000_000, 2_000, 0)).toBe(1);
  });

  it("asks for one window's worth of bytes at the stream's average pace", () => {
    // 2 MB over 2 s is 1 kB per ms: a 10 ms window is 10 kB.
    expect(batchTarget(2_000_000, 2_000, 10)).toBe(10_000);
    // A slow stream (20 bytes per ms, a typical token rate) waits for no more than one event.
    expect(batchTarget(40_000, 2_000, 10)).toBe(200);
  });

  it("does not let an early burst pass for a fast stream", () => {
    // 50 kB in the first 5 ms: averaged over a second, that is 50 bytes per ms, not 10 kB.
    expect(batchTarget(50_000, 5, 10)).toBe(500);
  });

  it("never asks for more than half the read buffer", () => {
    expect(batchTarget(1e9, 1_000, 10)).toBe(32 * 1024);
  });

  it("returns every byte in order, including a short read at the end of the stream", async () => {
    const head = new Uint8Array(50_000).map((_, i) => i % 251);
    const tail = new Uint8Array(100).fill(7);
    let pulls = 0;
    const body = new ReadableStream({
      type: "bytes",
      pull(controller) {
        pulls++;
        if (pulls === 1)
          controller.enqueue(head.slice()); // enqueue transfers its buffer
        else {
          controller.enqueue(tail.slice());
          controller.close();
        }
      },
    });
    // After 50 kB the reader asks for at least 500 bytes; only 100 are left before the end.
    const read = byteReader(body, 10, () => 0);
    const received: number[] = [];
    for (let bytes = await read(); bytes !== null; bytes = await read()) received.push(...bytes);
    expect(received).toHaveLength(50_100);
    expect(received.slice(0, 50_000)).toEqual([...head]);
    expect(received.slice(50_000)).toEqual([...tail]);
    expect(await read()).toBeNull();
  });
});

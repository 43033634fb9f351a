import { describe, expect, it } from "vitest";
import { ArrivalRate, batchTarget, byteReader, MAX_BATCH_BYTES, RATE_HORIZON_MS } from "../src/streaming/byte-reader";

/** A byte stream handing out one chunk per pull, as a fetch body hands out HTTP chunks. */
function chunkedBody(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      if (chunks.length === 0) controller.close();
    },
  });
}

/** The size of every read until the end. */
async function readSizes(read: () => Promise<Uint8Array | null>): Promise<number[]> {
  const sizes: number[] = [];
  for (let bytes = await read(); bytes !== null; bytes = await read()) sizes.push(bytes.byteLength);
  return sizes;
}

describe("read batching", () => {
  it("reads one event at a time until the stream has shown its pace, and with batching off", () => {
    expect(batchTarget(0, 10)).toBe(1);
    expect(batchTarget(1_000, 0)).toBe(1);
    expect(new ArrivalRate().perMs(5)).toBe(0);
  });

  it("asks for one window's worth of bytes at the stream's recent pace", () => {
    // 30 bytes per ms (a 170-byte chunk every ~6 ms): a 20 ms window is 600 bytes, ~3 chunks.
    expect(batchTarget(30, 20)).toBe(600);
    // A slow stream (one chunk per 20 ms) waits for no more than what is there.
    expect(batchTarget(8, 20)).toBe(160);
  });

  it("never waits for more than MAX_BATCH_BYTES, however fast the stream", () => {
    expect(batchTarget(1e6, 20)).toBe(MAX_BATCH_BYTES);
  });

  it("measures the pace over the last RATE_HORIZON_MS, so a burst is soon forgotten", () => {
    const rate = new ArrivalRate();
    rate.add(5_000, 0); // a burst at the start
    // Early on, what arrived counts over the whole horizon: 50 bytes per ms, not 5 kB.
    expect(rate.perMs(10)).toBe(5_000 / RATE_HORIZON_MS);
    // Half a horizon into the next bucket, half of the burst's bucket still counts.
    expect(rate.perMs(RATE_HORIZON_MS * 1.5)).toBeCloseTo(2_500 / RATE_HORIZON_MS);
    // Two horizons later, with nothing since, the burst is gone.
    expect(rate.perMs(RATE_HORIZON_MS * 2.5)).toBe(0);
    // A steady trickle of 150 bytes every 5 ms reads as 30 bytes per ms.
    const steady = new ArrivalRate();
    for (let t = 0; t < 1_000; t += 5) steady.add(150, t);
    expect(steady.perMs(1_000)).toBe(30);
  });

  it("once a stream has shown a fast pace, reads gather several chunks, up to MAX_BATCH_BYTES", async () => {
    // A 20 kB burst shows the pace; then 100-byte chunks (one per pull, as HTTP chunks arrive).
    const chunks = [new Uint8Array(20_000), ...Array.from({ length: 100 }, () => new Uint8Array(100))];
    const body = chunkedBody(chunks);
    const sizes = await readSizes(byteReader(body, 20, () => 0));
    expect(sizes[0]).toBe(20_000);
    // 10 kB left, read in 3 reads, not 100: first a window's worth at the pace shown (20 kB over
    // the 100 ms horizon: 200 B/ms × 20 ms), then at least MAX_BATCH_BYTES (4 kB), then the rest.
    expect(sizes.slice(1)).toEqual([4000, 4100, 1900]);
  });

  it("reads one chunk at a time with batching off", async () => {
    const chunks = Array.from({ length: 5 }, () => new Uint8Array(100));
    const body = chunkedBody(chunks);
    expect(await readSizes(byteReader(body, 0, () => 0))).toEqual([100, 100, 100, 100, 100]);
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
    // After 50 kB the reader asks for MAX_BATCH_BYTES; only 100 are left before the end.
    const read = byteReader(body, 10, () => 0);
    const received: number[] = [];
    for (let bytes = await read(); bytes !== null; bytes = await read()) received.push(...bytes);
    expect(received).toHaveLength(50_100);
    expect(received.slice(0, 50_000)).toEqual([...head]);
    expect(received.slice(50_000)).toEqual([...tail]);
    expect(await read()).toBeNull();
  });
});

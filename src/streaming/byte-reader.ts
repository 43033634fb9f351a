/**
 * Reading an upstream body from JS. Each read wakes the isolate, and in workerd a read returns at
 * most one HTTP chunk (one SSE event, for most providers) however much is already buffered: the
 * wake-ups, not the parsing, are most of a relayed stream's CPU. Asking the runtime for several
 * events at once (`readAtLeast`) cuts that cost several-fold; the runtime then gathers them
 * natively and wakes JS once.
 */

/** Bytes read per network read; reused, so no allocation per read. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The most a batched read waits for. A read that asks for more than has arrived waits for the
 * rest, and nothing can cut that wait short: when the upstream pauses mid-stream, what arrived
 * just before the pause waits it out. The read's target is one batching window of the stream at
 * its recent pace, so what waits is at most the window's worth (20 ms) of the stream before the
 * pause; this cap binds only for streams faster than that (over ~1200 OpenAI-format tokens a
 * second, or a provider flushing what it buffered), and holds what waits there to ~24 chunks.
 * 1 kB (~5 chunks) cost bursts 1.1–1.4× a native pipe's CPU per chunk in the benchmark; 4 kB,
 * 0.6–0.8× for the relay (measured side by side, 2026-11-30).
 */
export const MAX_BATCH_BYTES = 4096;

/**
 * The arrival rate is measured over about this long: long enough to see a stream's pace, short
 * enough that a burst (a provider flushing what it buffered) is forgotten soon after it ends.
 */
export const RATE_HORIZON_MS = 100;

/**
 * Bytes per millisecond over the last RATE_HORIZON_MS, counted in two buckets: the current one
 * whole and the previous one in proportion to how much of it is still within the horizon. At the
 * start of a stream (no previous bucket) the rate is what arrived so far over the full horizon,
 * so the first events cannot pass for a fast stream.
 */
export class ArrivalRate {
  private bucketStart: number | undefined;
  private current = 0;
  private previous = 0;

  add(bytes: number, now: number): void {
    this.roll(now);
    this.current += bytes;
  }

  perMs(now: number): number {
    const start = this.roll(now);
    // Clamped: a clock that steps back must not count the previous bucket more than whole.
    const stillCounted = Math.min(1, 1 - (now - start) / RATE_HORIZON_MS);
    return (this.previous * stillCounted + this.current) / RATE_HORIZON_MS;
  }

  /** Moves the buckets on to `now`; returns where the current one started. */
  private roll(now: number): number {
    if (this.bucketStart === undefined) this.bucketStart = now;
    const passed = Math.floor((now - this.bucketStart) / RATE_HORIZON_MS);
    if (passed >= 1) {
      this.previous = passed === 1 ? this.current : 0;
      this.current = 0;
      this.bucketStart += passed * RATE_HORIZON_MS;
    }
    return this.bucketStart;
  }
}

/**
 * How many bytes the next read may wait for: what the stream delivers, at its recent pace, in one
 * batching window, capped by MAX_BATCH_BYTES. Arriving at that pace, the read returns after about
 * one window. 1 means "whatever is there": one event per read.
 */
export function batchTarget(bytesPerMs: number, windowMs: number): number {
  if (windowMs <= 0 || !(bytesPerMs > 0)) return 1;
  return Math.max(1, Math.min(MAX_BATCH_BYTES, Math.floor(bytesPerMs * windowMs)));
}

/**
 * A reader that yields whatever the network delivered, as bytes. Fetch bodies are byte streams,
 * so they are read BYOB into one reused buffer (no allocation per read), in batches sized by
 * `batchTarget` when a window is given. Other streams use a default reader.
 */
export function byteReader(
  body: ReadableStream<Uint8Array>,
  batchWindowMs = 0,
  now: () => number = Date.now,
): () => Promise<Uint8Array | null> {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    byob = undefined;
  }
  if (!byob) {
    const reader = body.getReader();
    return async () => {
      const { value, done } = await reader.read();
      return done ? null : value;
    };
  }
  const reader = byob;
  const canBatch = batchWindowMs > 0 && typeof reader.readAtLeast === "function";
  const rate = new ArrivalRate();
  let buffer = new ArrayBuffer(READ_BUFFER_BYTES);
  let ended = false;
  return async () => {
    if (ended) return null;
    const target = canBatch ? batchTarget(rate.perMs(now()), batchWindowMs) : 1;
    const view = new Uint8Array(buffer);
    // readAtLeast resolves early at the end of the stream, with what there is.
    const { value, done } = target > 1 ? await reader.readAtLeast(target, view) : await reader.read(view);
    // A short read at the end may come with done set: its bytes still count.
    ended = done;
    if (!value || value.byteLength === 0) return null;
    if (canBatch) rate.add(value.byteLength, now());
    // The buffer was transferred into the read and comes back as value's; the caller consumes
    // value before the next read.
    buffer = value.buffer as ArrayBuffer;
    return value;
  };
}

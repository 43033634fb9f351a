/**
 * Reading an upstream body from JS. Each read wakes the isolate, and in workerd a read returns at
 * most one HTTP chunk (one SSE event, for most providers) however much is already buffered: the
 * wake-ups, not the parsing, are most of a relayed stream's CPU. When events arrive faster than
 * they can be read one by one, asking the runtime for several at once (`readAtLeast`) cuts that
 * cost several-fold; when they trickle, reads stay one event each and nothing waits.
 */

/** Bytes read per network read; reused, so no allocation per read. */
const READ_BUFFER_BYTES = 64 * 1024;

/** The most a batched read waits for: half the buffer, so a read never needs a second buffer. */
const MAX_BATCH_BYTES = READ_BUFFER_BYTES / 2;

/**
 * The arrival rate is averaged over at least this long, so a burst at the start of a stream (a
 * provider flushing what it buffered) cannot pass for a fast stream.
 */
const RATE_FLOOR_MS = 1000;

/**
 * How many bytes the next read may wait for: what the stream has delivered, on average, in one
 * batching window. A read that asks for more than is buffered waits until the rest arrives; sized
 * this way, that wait holds back at most one window's worth of the stream at its average pace
 * (a pause mid-stream delays only those few bytes, and the end of the stream releases them at
 * once). 1 means "whatever is there": one event per read.
 */
export function batchTarget(bytesSoFar: number, elapsedMs: number, windowMs: number): number {
  if (windowMs <= 0 || bytesSoFar <= 0) return 1;
  const perMs = bytesSoFar / Math.max(elapsedMs, RATE_FLOOR_MS);
  return Math.max(1, Math.min(MAX_BATCH_BYTES, Math.floor(perMs * windowMs)));
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
  let buffer = new ArrayBuffer(READ_BUFFER_BYTES);
  let bytesSoFar = 0;
  let firstByteAt = 0;
  let ended = false;
  return async () => {
    if (ended) return null;
    const target = canBatch && bytesSoFar > 0 ? batchTarget(bytesSoFar, now() - firstByteAt, batchWindowMs) : 1;
    const view = new Uint8Array(buffer);
    // readAtLeast resolves early at the end of the stream, with what there is.
    const { value, done } = target > 1 ? await reader.readAtLeast(target, view) : await reader.read(view);
    // A short read at the end may come with done set: its bytes still count.
    ended = done;
    if (!value || value.byteLength === 0) return null;
    if (bytesSoFar === 0) firstByteAt = now();
    bytesSoFar += value.byteLength;
    // The buffer was transferred into the read and comes back as value's; the caller consumes
    // value before the next read.
    buffer = value.buffer as ArrayBuffer;
    return value;
  };
}

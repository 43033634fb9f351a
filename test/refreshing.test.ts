import { afterEach, describe, expect, it, vi } from "vitest";
import { Refreshing, WAIT_UNTIL_LIMIT_MS } from "../src/refreshing";

/** A context that records what it was asked to keep alive. */
function context() {
  const kept: Array<Promise<unknown>> = [];
  return { kept, ctx: { waitUntil: (promise: Promise<unknown>) => void kept.push(promise) } };
}

/** A load whose calls are counted and whose results the test settles. */
function loads() {
  const pending: Array<{ resolve: (v: string) => void; reject: (e: Error) => void }> = [];
  const load = () => new Promise<string>((resolve, reject) => pending.push({ resolve, reject }));
  return { pending, load };
}

/** A cell that loaded "v1" with a 1 s TTL, the (fake) clock just past it. */
async function stale() {
  vi.useFakeTimers({ toFake: ["Date"] });
  const cell = new Refreshing<string>();
  const { pending, load } = loads();
  const first = cell.get(context().ctx, load, () => 1_000);
  pending[0]?.resolve("v1");
  await first;
  vi.setSystemTime(Date.now() + 1_001);
  return { cell, pending, load, ...context() };
}

describe("Refreshing", () => {
  afterEach(() => vi.useRealTimers());

  it("shares one first load between concurrent reads, then answers from it until the TTL", async () => {
    const cell = new Refreshing<string>();
    const { pending, load } = loads();
    const { ctx, kept } = context();
    const a = cell.get(ctx, load, () => 1_000);
    const b = cell.get(ctx, load, () => 1_000);
    expect(pending).toHaveLength(1);
    pending[0]?.resolve("v1");
    expect([await a, await b]).toEqual(["v1", "v1"]);
    expect(cell.get(ctx, load, () => 1_000)).toBe("v1");
    expect(pending).toHaveLength(1);
    // The first load is also kept alive by the request that started it: its readers include other
    // requests, which must not be left waiting if that request's client leaves.
    expect(kept).toHaveLength(1);
  });

  it("keeps what a load returned for the time to live it asks for", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const cell = new Refreshing<string | undefined>();
    const { pending, load } = loads();
    const { ctx, kept } = context();
    const ttl = (value: string | undefined) => (value === undefined ? 100 : 10_000);
    const failed = cell.get(ctx, load as () => Promise<string | undefined>, ttl);
    (pending[0] as { resolve: (v: string | undefined) => void }).resolve(undefined);
    expect(await failed).toBeUndefined();
    vi.setSystemTime(Date.now() + 50);
    expect(cell.get(ctx, load, ttl)).toBeUndefined();
    expect(pending).toHaveLength(1);
    vi.setSystemTime(Date.now() + 51);
    cell.get(ctx, load, ttl);
    expect(pending).toHaveLength(2); // the short TTL of a failure ran out: loaded again
    pending[1]?.resolve("v1");
    await kept.at(-1);
    vi.setSystemTime(Date.now() + 5_000);
    expect(cell.get(ctx, load, ttl)).toBe("v1");
    expect(pending).toHaveLength(2);
  });

  it("past the TTL, answers with the value in hand and reloads once, in the background", async () => {
    const { cell, pending, load, ctx, kept } = await stale();
    expect(cell.get(ctx, load, () => 1_000)).toBe("v1");
    expect(cell.get(ctx, load, () => 1_000)).toBe("v1");
    expect(pending).toHaveLength(2); // one reload for both reads
    expect(kept).toHaveLength(1);
    pending[1]?.resolve("v2");
    await kept[0];
    expect(cell.get(ctx, load, () => 1_000)).toBe("v2");
  });

  it("retries a failed reload on the next read, and restarts one cut off with its request", async () => {
    const { cell, pending, load, ctx, kept } = await stale();
    cell.get(ctx, load, () => 1_000);
    pending[1]?.reject(new Error("KV down"));
    await kept[0];
    expect(cell.get(ctx, load, () => 1_000)).toBe("v1");
    expect(pending).toHaveLength(3); // retried
    // That reload never settles (its request's waitUntil ended): past the limit, another starts.
    vi.setSystemTime(Date.now() + WAIT_UNTIL_LIMIT_MS - 1);
    cell.get(ctx, load, () => 1_000);
    expect(pending).toHaveLength(3);
    vi.setSystemTime(Date.now() + 2);
    cell.get(ctx, load, () => 1_000);
    expect(pending).toHaveLength(4);
    pending[3]?.resolve("v3");
    await kept.at(-1);
    expect(cell.get(ctx, load, () => 1_000)).toBe("v3");
  });
});

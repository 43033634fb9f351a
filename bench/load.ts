/**
 * A small closed-loop load generator: `concurrency` workers each send one request after another
 * for `durationMs`, recording latency to the full body, the time to the first body byte and, for
 * streams, the time to the first token (the first chunk with content: a gateway's first byte may
 * be a keep-alive comment, which tells the client nothing). A non-2xx reply or a stream that did
 * not end cleanly counts as an error, not a request.
 */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  ttfbP50: number;
  ttfbP99: number;
  /** Time to the first content chunk of a stream (NaN for non-streaming replies). */
  firstTokenP50: number;
}

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  concurrency: number;
  durationMs: number;
  /**
   * Spreads the workers' first requests evenly over this many milliseconds. Closed-loop workers
   * that start together and send requests of the same length stay in step: every request of a
   * paced stream would arrive in one wave, and its time to first byte would measure how long the
   * target takes to get through the whole wave rather than how long one request waits.
   */
  staggerMs?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The median of unsorted values (NaN for none). */
export const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** What one stretch of load recorded, so that several stretches can be summarised as one. */
export interface LoadSamples {
  latencies: number[];
  ttfbs: number[];
  firstTokens: number[];
  errors: number;
  seconds: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return summarize([await measureLoad(spec)]);
}

/** A chat chunk whose delta carries text (the role-only chunk that opens a stream does not). */
const FIRST_CONTENT = /"content":"[^"]/;

export async function measureLoad(spec: LoadSpec): Promise<LoadSamples> {
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  const firstTokens: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + spec.durationMs;
  const worker = async (index: number) => {
    const delay = ((spec.staggerMs ?? 0) * index) / spec.concurrency;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const response = await fetch(spec.url, { method: "POST", headers: spec.headers, body: spec.body });
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const streamed = (response.headers.get("content-type") ?? "").includes("text/event-stream");
        const decoder = new TextDecoder();
        let tail = "";
        let first = true;
        let tokenSeen = !streamed;
        for (;;) {
          const { done, value } = await reader.read();
          if (streamed && value) tail = (tail + decoder.decode(value, { stream: true })).slice(-4096);
          if (first) {
            ttfbs.push(performance.now() - t0);
            first = false;
          }
          if (!tokenSeen && FIRST_CONTENT.test(tail)) {
            firstTokens.push(performance.now() - t0);
            tokenSeen = true;
          }
          if (done) break;
        }
        // A stream counts only if it ended cleanly: `[DONE]` and no in-stream error chunk.
        const brokenStream = streamed && (!tail.includes("data: [DONE]") || tail.includes('"finish_reason":"error"'));
        if (!response.ok || brokenStream) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, index) => worker(index)));
  return { latencies, ttfbs, firstTokens, errors, seconds: (performance.now() - started) / 1000 };
}

/** One result from several stretches of the same load (their samples pooled, their time summed). */
export function summarize(stretches: LoadSamples[]): LoadResult {
  const latencies = stretches.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const ttfbs = stretches.flatMap((s) => s.ttfbs).sort((a, b) => a - b);
  const firstTokens = stretches.flatMap((s) => s.firstTokens).sort((a, b) => a - b);
  const seconds = stretches.reduce((sum, s) => sum + s.seconds, 0);
  return {
    requests: latencies.length,
    errors: stretches.reduce((sum, s) => sum + s.errors, 0),
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ttfbP50: percentile(ttfbs, 50),
    ttfbP99: percentile(ttfbs, 99),
    firstTokenP50: percentile(firstTokens, 50),
  };
}

import { Agent, request } from "node:http";

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

/** What one request came to: its status, whether it streamed, and its timings from `t0`. */
interface Exchange {
  ok: boolean;
  streamed: boolean;
  /** The last 4 KiB of a stream's text ("" for a reply that did not stream). */
  tail: string;
  ttfb: number;
  firstToken: number | undefined;
}

/**
 * One request over `agent`'s kept-alive connections, with node:http rather than fetch: undici's
 * fetch and its Web Streams reader cost the load generator ~0.4–0.5 ms of CPU a request, more
 * than the passthrough Worker it measured (~0.2 ms), and on a two-core host that CPU came out of
 * what the targets could use. node:http costs a fraction of it.
 */
function exchange(agent: Agent, url: URL, headers: Record<string, string | number>, body: string, t0: number) {
  return new Promise<Exchange>((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers }, (res) => {
      const streamed = (res.headers["content-type"] ?? "").includes("text/event-stream");
      let ttfb: number | undefined;
      let firstToken: number | undefined;
      let tail = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        ttfb ??= performance.now() - t0;
        if (!streamed) return;
        tail = (tail + chunk).slice(-4096);
        if (firstToken === undefined && FIRST_CONTENT.test(tail)) firstToken = performance.now() - t0;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          streamed,
          tail,
          ttfb: ttfb ?? performance.now() - t0,
          firstToken,
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export async function measureLoad(spec: LoadSpec): Promise<LoadSamples> {
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  const firstTokens: number[] = [];
  let errors = 0;
  // The same for every request of the load: built once.
  const url = new URL(spec.url);
  const headers = { ...spec.headers, "content-length": Buffer.byteLength(spec.body) };
  // One kept-alive connection per worker, as a closed-loop client holds them.
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const started = performance.now();
  const deadline = started + spec.durationMs;
  const worker = async (index: number) => {
    const delay = ((spec.staggerMs ?? 0) * index) / spec.concurrency;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const reply = await exchange(agent, url, headers, spec.body, t0);
        ttfbs.push(reply.ttfb);
        if (reply.firstToken !== undefined) firstTokens.push(reply.firstToken);
        // A stream counts only if it ended cleanly: `[DONE]` and no in-stream error chunk.
        const brokenStream =
          reply.streamed && (!reply.tail.includes("data: [DONE]") || reply.tail.includes('"finish_reason":"error"'));
        if (!reply.ok || brokenStream) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, index) => worker(index)));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latencies, ttfbs, firstTokens, errors, seconds };
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

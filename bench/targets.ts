/** What the benchmarks send their load to: the upstream's own request, or Tollgate's. */
import type { Mode } from "./modes";
import { BENCH_MODEL, COMPAT, seedKey, startWorker } from "./setup";

export interface Target {
  /** direct, passthrough, tollgate, buffered (BENCH_BUFFERED), or tollgate@<ref> in an A/B run. */
  name: string;
  url: string;
  headers: Record<string, string>;
  body: (mode: Mode) => string;
  /** The process whose CPU and memory this target costs (workerd for the Workers). */
  pid: number | undefined;
}

const json = { "content-type": "application/json" };

/** A reference Worker in front of the upstream (bench/passthrough.js, bench/buffered.js). */
export const startReference = (scriptPath: string, upstreamUrl: string) =>
  startWorker({ modules: true, scriptPath, ...COMPAT, bindings: { UPSTREAM_URL: upstreamUrl } });

const upstreamBody = (mode: Mode) =>
  JSON.stringify({
    // The upstream's own name for BENCH_MODEL.
    model: BENCH_MODEL.slice(BENCH_MODEL.indexOf("/") + 1),
    messages: [{ role: "user", content: mode.prompt }],
    ...(mode.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });

/** A target sent the upstream's own request: the emulator itself, or a reference Worker in front of it. */
export const upstreamTarget = (name: string, base: string, pid: number | undefined): Target => ({
  name,
  url: `${base}/openai/v1/chat/completions`,
  headers: { ...json, authorization: "Bearer x" },
  body: upstreamBody,
  pid,
});

/** A Tollgate started at `gateway.url` as a target, with a funded key seeded into it. */
export async function tollgateTarget(name: string, gateway: { url: string; pid: number | undefined }): Promise<Target> {
  const key = await seedKey(gateway.url);
  return {
    name,
    url: `${gateway.url}/api/v1/chat/completions`,
    headers: { ...json, authorization: `Bearer ${key}` },
    body: (mode) =>
      JSON.stringify({
        model: BENCH_MODEL,
        messages: [{ role: "user", content: mode.prompt }],
        stream: mode.stream,
      }),
    pid: gateway.pid,
  };
}

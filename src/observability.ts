/**
 * One structured JSON log line per request (Workers Logs / `wrangler tail` index the fields) and
 * a `Server-Timing` header. Keys are identified by a prefix of their hash, never the key itself.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined | object>;

export function logLine(fields: LogFields): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}

/** The line of a request that ran no generation (which writes its own, richer one). */
export function requestLine(request: {
  requestId: string;
  method: string;
  path: string;
  status: number;
  key: string | null;
  model: string | null;
  latencyMs: number;
}): void {
  logLine({
    msg: "request",
    request_id: request.requestId,
    method: request.method,
    path: request.path,
    status: request.status,
    key: request.key,
    model: request.model,
    latency_ms: request.latencyMs,
  });
}

/** `auth;dur=0.4, plan;dur=0.2, …` from named durations in milliseconds. */
export function serverTiming(timings: Record<string, number>): string {
  return Object.entries(timings)
    .map(([name, ms]) => `${name};dur=${Math.max(0, ms).toFixed(1)}`)
    .join(", ");
}

/** The part of a key hash that identifies it in logs (the hash is the key's public id anyway). */
export const keyId = (hash: string) => hash.slice(0, 16);

/**
 * One structured JSON log line per request (Workers Logs / `wrangler tail` index the fields) and
 * a `Server-Timing` header. Keys are identified by a prefix of their hash, never the key itself.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined | object>;

export function logLine(fields: LogFields): void {
  // The time spliced in as text, not spread into a copy of `fields` (see hot-shapes.ts).
  const rest = JSON.stringify(fields);
  console.log(`{"time":"${isoNow()}"${rest.length > 2 ? "," : ""}${rest.slice(1)}`);
}

let isoAt = Number.NaN;
let iso = "";

/**
 * The time as ISO text, formatted once per millisecond: the runtime's clock moves only between
 * I/O events, so a busy isolate's lines mostly share it (a Date and its formatting were ~2 µs of
 * every request, perf).
 */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    iso = new Date(now).toISOString();
  }
  return iso;
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

/**
 * A generation's steps before its reply, in milliseconds: each field is there from the start
 * (undefined until the step runs), so that every generation's timings have one hidden class
 * (see hot-shapes.ts).
 */
export interface Timings {
  plan: number;
  lease: number | undefined;
  reserve: number | undefined;
  upstream: number | undefined;
}

/**
 * `plan;dur=0.2, reserve;dur=1.1, …` from the steps' durations in milliseconds (steps not run left
 * out). Each field read by name (a field added to Timings is added here): built through
 * Object.entries, an array and a join, this header took ~0.5% of a request's CPU on the
 * benchmark's hot path (perf, inclusive).
 */
export function serverTiming(timings: Timings): string {
  let header = timingPart("", "plan", timings.plan);
  header = timingPart(header, "lease", timings.lease);
  header = timingPart(header, "reserve", timings.reserve);
  return timingPart(header, "upstream", timings.upstream);
}

function timingPart(header: string, name: string, ms: number | undefined): string {
  if (ms === undefined) return header;
  const part = `${name};dur=${Math.max(0, ms).toFixed(1)}`;
  return header === "" ? part : `${header}, ${part}`;
}

/** The part of a key hash that identifies it in logs (the hash is the key's public id anyway). */
export const keyId = (hash: string) => hash.slice(0, 16);

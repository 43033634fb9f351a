/**
 * `npm run bench:profile [-- stream|trickle]`: where Tollgate's CPU goes. Runs the unminified
 * bundle in workerd with the V8 inspector on, drives one of the benchmark's loads at it
 * (non-streaming by default; see bench/modes.ts), samples the gateway isolate's CPU for a few
 * seconds and prints where the samples fell, per function, per source file and per source line.
 * Native work shows up under its own name when V8 sees it as a call (fetch, exec); a runtime call
 * made from optimised code is counted on the caller's line or its first line, and console output
 * is overstated (the inspector itself receives every line). For what a part costs, measure it with
 * `npm run bench:cpu`.
 * `PROFILE_OUT=<file>.cpuprofile` also writes the raw profile (Chrome DevTools opens it).
 * Node 20's WebSocket client is behind --experimental-websocket (the npm script passes it).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { runLoad } from "./load";
import { ALL_MODES, type Mode } from "./modes";
import { buildGateway, startEmulator, startGateway } from "./setup";
import { tollgateTarget } from "./targets";

const MODE = ALL_MODES.find((m) => process.argv.includes(m.name)) ?? (ALL_MODES[0] as Mode);
const INSPECTOR_PORT = 9239;
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 5);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
  /** Samples per source line of this node's own code (bundle lines, 1-based). */
  positionTicks?: Array<{ line: number; ticks: number }>;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** A minimal Chrome DevTools Protocol client: send a method, await its result. */
async function connect(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event: MessageEvent) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  return {
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = ++nextId;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve) => waiting.set(id, resolve as (result: unknown) => void));
    },
    close: () => socket.close(),
  };
}

/** The source file a bundle frame came from (`src/billing/ledger.ts`, `node_modules/hono`), via the source map. */
function sourceFileOf(map: SourceMap): (node: ProfileNode) => string {
  return (node) => {
    const frame = node.callFrame;
    if (!frame.url) return `(native) ${frame.functionName || node.callFrame.functionName}`;
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
    const source = entry.originalSource?.replace(/^.*?(src|node_modules)\//, "$1/") ?? "(unmapped)";
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
    return pkg ? `node_modules/${pkg[1]}` : source;
  };
}

function frameName(node: ProfileNode): string {
  const frame = node.callFrame;
  const where = frame.url ? ` ${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : "";
  return `${frame.functionName || "(anonymous)"}${where}`;
}

/**
 * Samples per function: `self` counts the function on top of the stack, `total` anywhere on it
 * (each function once per sample), which shows what a whole step costs with its callees.
 */
function sampleCounts(
  profile: Profile,
  kind: "self" | "total",
  nameOf: (node: ProfileNode) => string = frameName,
): Array<[string, number]> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const byName = new Map<string, number>();
  for (const id of profile.samples) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = kind === "self" ? undefined : parents.get(at)) {
      const node = nodes.get(at);
      if (node) seen.add(nameOf(node));
    }
    for (const name of seen) byName.set(name, (byName.get(name) ?? 0) + 1);
  }
  return [...byName].sort((a, b) => b[1] - a[1]);
}

/**
 * Self samples per original source line (`src/streaming/sse.ts:140`), through the source map:
 * what a hot function spends its own time on, including the runtime's fast calls (TextDecoder,
 * string search) that V8 attributes to their caller rather than to a frame of their own.
 */
function lineCounts(profile: Profile, map: SourceMap): Array<[string, number]> {
  const byLine = new Map<string, number>();
  for (const node of profile.nodes) {
    if (!node.callFrame.url) continue;
    for (const { line, ticks } of node.positionTicks ?? []) {
      const entry = map.findEntry(line - 1, 0) as { originalSource?: string; originalLine?: number };
      const source = entry.originalSource?.replace(/^.*?(src|node_modules)\//, "$1/") ?? "(unmapped)";
      const name = `${source}:${(entry.originalLine ?? -1) + 1}`;
      byLine.set(name, (byLine.get(name) ?? 0) + ticks);
    }
  }
  return [...byLine].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  buildGateway(false);
  const emulator = await startEmulator(8792);
  const gateway = await startGateway(emulator.url, { inspectorPort: INSPECTOR_PORT });
  try {
    const tollgate = await tollgateTarget("tollgate", gateway);
    const load = {
      url: tollgate.url,
      headers: tollgate.headers,
      body: tollgate.body(MODE),
      concurrency: Number(process.env.PROFILE_CONCURRENCY ?? MODE.concurrency?.[0] ?? 8),
      staggerMs: MODE.staggerMs,
    };
    await runLoad({ ...load, durationMs: 1500 }); // warm up the JIT and the caches
    const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as Array<{
      title: string;
      webSocketDebuggerUrl: string;
    }>;
    // Miniflare's own entry Worker proxies every request (the passthrough's too); profile ours.
    const target = targets.find((t) => t.title.includes("core:user"));
    if (!target) throw new Error(`no user worker among ${targets.map((t) => t.title).join(", ")}`);
    const cdp = await connect(target.webSocketDebuggerUrl);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
    await cdp.send("Profiler.start");
    const result = await runLoad({ ...load, durationMs: SECONDS * 1000 });
    const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop");
    cdp.close();
    if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
    const total = profile.samples.length;
    console.log(`${MODE.label}: ${result.requests} requests, ${result.errors} errors, ${total} samples`);
    const map = new SourceMap(JSON.parse(readFileSync("bench/.build/index.js.map", "utf8")));
    const views: Array<[string, Array<[string, number]>]> = [
      ["self time per function", sampleCounts(profile, "self")],
      ["total time per function (with callees)", sampleCounts(profile, "total")],
      ["self time per source file", sampleCounts(profile, "self", sourceFileOf(map))],
      ["total time per source file", sampleCounts(profile, "total", sourceFileOf(map))],
      ["self time per source line", lineCounts(profile, map)],
    ];
    for (const [title, rows] of views) {
      console.log(`\n${title}:`);
      for (const [name, count] of rows.slice(0, 40)) {
        console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`);
      }
    }
  } finally {
    await gateway.mf.dispose();
    emulator.child.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

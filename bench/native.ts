/**
 * `npm run bench:native`: where the workerd process's CPU goes below JavaScript, per request,
 * Tollgate beside the bare passthrough under the same load. Linux `perf` samples each workerd
 * while the benchmark's non-streaming load runs at it, and the samples are sorted by what code
 * they fell in: the kernel (sockets, scheduling), V8's builtins and runtime (object and promise
 * machinery, JSON, GC), JavaScript compiled by V8 (JIT), workerd's own runtime (its APIs, the
 * KJ event loop, the allocator) and SQLite. `npm run bench:profile` splits the JavaScript side by
 * function; this shows how much of a request is JavaScript at all.
 * Needs `perf` (linux-perf) and leave to use it (root, or kernel.perf_event_paranoid ≤ 1).
 * `NATIVE_CONCURRENCY` (default 64), `NATIVE_SECONDS` (default 5) per target.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoad } from "./load";
import { ALL_MODES, type Mode } from "./modes";
import { requirePerf } from "./proc";
import { buildGateway, startEmulator, startGateway } from "./setup";
import { startReference, type Target, tollgateTarget, upstreamTarget } from "./targets";

const MODE = ALL_MODES[0] as Mode;
const CONCURRENCY = Number(process.env.NATIVE_CONCURRENCY ?? 64);
const SECONDS = Number(process.env.NATIVE_SECONDS ?? 5);
/** Samples a second of CPU: each sample stands for 1/HZ s of the process running. */
const HZ = 999;

/** What a symbol's code is, in the order the table prints them; the first that matches wins. */
const KINDS: Array<[kind: string, matches: (dso: string, symbol: string) => boolean]> = [
  ["kernel (syscalls, sockets, scheduling)", (dso) => dso.includes("kernel")],
  ["JavaScript compiled by V8 (JIT)", (dso) => dso.startsWith("[JIT]")],
  ["V8 builtins (ICs, promises, object literals)", (_, s) => s.startsWith("Builtins_")],
  ["V8 runtime (objects, JSON, strings, GC, handles)", (_, s) => s.startsWith("v8::")],
  ["SQLite (the Account object)", (_, s) => s.startsWith("sqlite3")],
  ["allocator (tcmalloc)", (_, s) => /tcmalloc|TCMalloc/.test(s)],
  ["workerd's JS glue (jsg)", (_, s) => s.startsWith("workerd::jsg")],
  ["workerd's APIs (fetch, Request, Headers, RPC)", (_, s) => s.startsWith("workerd::api")],
  ["workerd's event loop and I/O (KJ, capnp, IoContext)", (_, s) => /^(kj::|capnp::|workerd::)/.test(s)],
];
const REST = "libc and the rest";

/** What a sample's code is (KINDS), from the library it is in and its symbol. */
const kindOf = (dso: string, symbol: string) => KINDS.find(([, matches]) => matches(dso, symbol))?.[0] ?? REST;

interface Sampled {
  requests: number;
  /** Samples per `dso symbol`. */
  samples: Map<string, number>;
  /** Samples per kind of code (KINDS). */
  kinds: Map<string, number>;
}

const add = (counts: Map<string, number>, key: string, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);

/** Runs the load at `target` while perf samples its workerd; what the samples fell in. */
async function sample(target: Target, dir: string): Promise<Sampled> {
  const load = { url: target.url, headers: target.headers, body: target.body(MODE), concurrency: CONCURRENCY };
  await runLoad({ ...load, durationMs: 3000 }); // JIT, caches, a lease: measure the steady state
  const out = join(dir, `${target.name}.data`);
  const args = ["record", "-q", "-F", String(HZ), "-p", String(target.pid), "-o", out, "--", "sleep", String(SECONDS)];
  const perf = spawn("perf", args, { stdio: "ignore" });
  const finished = new Promise((resolve) => perf.on("exit", resolve));
  // The load outlasts the recording at both ends; requests are counted at its rate over the window.
  const result = await runLoad({ ...load, durationMs: SECONDS * 1000 + 500 });
  await finished;
  const report = execFileSync(
    "perf",
    ["report", "-i", out, "--no-children", "-g", "none", "--sort", "dso,sym", "-F", "sample,dso,sym"],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  const samples = new Map<string, number>();
  const kinds = new Map<string, number>();
  for (const line of report.split("\n")) {
    const match = /^\s*(\d+)\s+(\S+)(?: tid \d+)?\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (!match) continue;
    const [, count, dso = "", symbol = ""] = match;
    // JIT code has no symbols without V8's perf map (a V8 flag Miniflare does not pass): one entry.
    add(samples, dso === "[JIT]" ? "[JIT] (JavaScript compiled by V8)" : `${dso} ${symbol.trim()}`, Number(count));
    add(kinds, kindOf(dso, symbol), Number(count));
  }
  return { requests: result.rps * SECONDS, samples, kinds };
}

const microsPerRequest = (samples: number, requests: number) => (samples * 1e6) / HZ / requests;

function print(tollgate: Sampled, passthrough: Sampled): void {
  const perKind = (s: Sampled, kind?: string) =>
    microsPerRequest(kind ? (s.kinds.get(kind) ?? 0) : [...s.kinds.values()].reduce((a, b) => a + b, 0), s.requests);
  console.log(`\nworkerd CPU per request by the code it ran (µs; perf at ${HZ} Hz, ${CONCURRENCY} at a time)\n`);
  console.log("| code | tollgate | passthrough | difference |\n| --- | ---: | ---: | ---: |");
  for (const kind of [...KINDS.map(([name]) => name), REST, undefined]) {
    const [a, b] = [perKind(tollgate, kind), perKind(passthrough, kind)];
    console.log(`| ${kind ?? "all"} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a - b).toFixed(0)} |`);
  }

  const per = (s: Sampled, key: string) => microsPerRequest(s.samples.get(key) ?? 0, s.requests);
  const differences = [...new Set([...tollgate.samples.keys(), ...passthrough.samples.keys()])]
    .map((key) => ({ key, tollgate: per(tollgate, key), passthrough: per(passthrough, key) }))
    .sort((a, b) => b.tollgate - b.passthrough - (a.tollgate - a.passthrough));
  console.log("\nsymbols that cost Tollgate the most more than the passthrough (µs a request):");
  for (const row of differences.slice(0, 25)) {
    const name = row.key.length > 110 ? `${row.key.slice(0, 107)}...` : row.key;
    console.log(`${(row.tollgate - row.passthrough).toFixed(1).padStart(6)}  ${name}`);
  }
}

async function main(): Promise<void> {
  requirePerf("bench:native");
  buildGateway();
  const emulator = await startEmulator(0);
  const reference = await startReference("bench/passthrough.js", emulator.url);
  const gateway = await startGateway(emulator.url);
  const dir = mkdtempSync(join(tmpdir(), "tollgate-native-"));
  try {
    const passthrough = await sample(upstreamTarget("passthrough", reference.url, reference.pid), dir);
    const tollgate = await sample(await tollgateTarget("tollgate", gateway), dir);
    if (tollgate.samples.size === 0 || passthrough.samples.size === 0) {
      throw new Error("perf recorded nothing: is perf_event_open allowed here (root, or perf_event_paranoid ≤ 1)?");
    }
    print(tollgate, passthrough);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([gateway.mf.dispose(), reference.mf.dispose()]);
    emulator.child.kill();
  }
}

await main();

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
  ["libc and the rest", () => true],
];

interface Sampled {
  requests: number;
  /** Samples per `dso symbol`. */
  samples: Map<string, number>;
}

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
  for (const line of report.split("\n")) {
    const match = /^\s*(\d+)\s+(\S+(?: tid \d+)?)\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (!match) continue;
    // JIT code has no symbols without V8's perf map (a V8 flag Miniflare does not pass): one entry.
    const key = match[2]?.startsWith("[JIT]") ? "[JIT] (JavaScript compiled by V8)" : `${match[2]} ${match[3]?.trim()}`;
    samples.set(key, (samples.get(key) ?? 0) + Number(match[1]));
  }
  return { requests: result.rps * SECONDS, samples };
}

const microsPerRequest = (samples: number, requests: number) => (samples * 1e6) / HZ / requests;

function kindOf(key: string): string {
  const [dso = "", ...rest] = key.split(" ");
  const symbol = rest.join(" ");
  return (KINDS.find(([, matches]) => matches(dso, symbol)) ?? KINDS[KINDS.length - 1])?.[0] as string;
}

function byKind(sampled: Sampled): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [key, count] of sampled.samples) {
    const kind = kindOf(key);
    totals.set(kind, (totals.get(kind) ?? 0) + microsPerRequest(count, sampled.requests));
  }
  return totals;
}

function print(tollgate: Sampled, passthrough: Sampled): void {
  const t = byKind(tollgate);
  const p = byKind(passthrough);
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`\nworkerd CPU per request by the code it ran (µs; perf at ${HZ} Hz, ${CONCURRENCY} at a time)\n`);
  console.log("| code | tollgate | passthrough | difference |\n| --- | ---: | ---: | ---: |");
  for (const [kind] of KINDS) {
    const a = t.get(kind) ?? 0;
    const b = p.get(kind) ?? 0;
    console.log(`| ${kind} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a - b).toFixed(0)} |`);
  }
  console.log(`| all | ${sum(t).toFixed(0)} | ${sum(p).toFixed(0)} | ${(sum(t) - sum(p)).toFixed(0)} |`);

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
  try {
    execFileSync("perf", ["--version"], { stdio: "ignore" });
  } catch {
    console.error("bench:native needs Linux perf (Debian: apt install linux-perf).");
    process.exit(1);
  }
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

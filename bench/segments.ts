/**
 * `npm run bench:segments`: where one request's time goes at concurrency 1, for the passthrough
 * and for Tollgate side by side. At concurrency 1 throughput is one over latency, and a request's
 * latency is the sum of four stretches of the serving workerd's thread, each bounded by a system
 * call that `perf trace` records with its time:
 *
 * - before: from reading the client's request to writing the upstream's (the Worker's own work);
 * - upstream: from that write to reading the upstream's reply (the provider, here the emulator);
 * - after: from that read to writing the client's reply;
 * - between: from the reply to reading the next request (the client's turn, and whatever work the
 *   Worker left for after its reply, which holds up the next request when it runs past it).
 *
 * Needs Linux `perf` with tracing allowed for the user's processes; `perf trace` costs each
 * traced call a little (reads, writes and fsync only), so compare stretches with each other, not
 * with `npm run bench`'s latencies. The targets take turns, so that the host's drift falls on all;
 * `BENCH_COMPARE=<git ref>` adds Tollgate at that ref, to tell a change's effect from drift.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, runLoad } from "./load";
import { ALL_MODES, type Mode } from "./modes";
import { requirePerf } from "./proc";
import { buildGateway, buildGatewayAt, startEmulator, startGateway } from "./setup";
import { startReference, type Target, tollgateTarget, upstreamTarget } from "./targets";

/** `BENCH_COMPARE=<git ref>`: Tollgate as it was at that ref takes turns too (`tollgate@<ref>`). */
const COMPARE_REF = process.env.BENCH_COMPARE;
const ROUNDS = Math.max(1, Number(process.env.SEGMENTS_ROUNDS ?? 3));
const TRACE_SECONDS = 2;
const STRETCHES = ["before", "upstream", "after", "between"] as const;
type Stretch = (typeof STRETCHES)[number];

interface Traced {
  /** Milliseconds of each stretch, one entry per request traced whole. */
  stretches: Record<Stretch, number[]>;
  /** Log lines written (fd 1) and commits (fsync) in each stretch. */
  writes: Record<Stretch, { log: number; fsync: number }>;
}

interface SysCall {
  at: number;
  call: "read" | "write" | "fsync";
  fd: number;
  result: number;
}

/** `perf trace`'s lines: `  1.165 ( 0.037 ms): workerd/18429 read(fd: 48, buf: 0x…, count: 4096) = 720`. */
function parseTrace(text: string): SysCall[] {
  const calls: SysCall[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*([\d.]+) \(\s*[\d.]+ ms\): \S+ (read|write|fsync)\(fd: (\d+)[^)]*\)\s+= (-?\d+)/.exec(line);
    if (!match) continue;
    const [, at, call, fd, result] = match;
    calls.push({ at: Number(at), call: call as SysCall["call"], fd: Number(fd), result: Number(result) });
  }
  return calls;
}

/**
 * Cuts the calls into requests. One at a time, a request is: a read of the client's request, the
 * first write to another descriptor (the upstream's request), the first read from that one (its
 * reply), the first write back to the client's; the next request's read closes `between`.
 */
function stretchesOf(calls: SysCall[], into: Traced): void {
  // workerd's threads wake each other through eventfds (8-byte reads and writes): not sockets.
  const sockets = new Set(calls.filter((c) => c.result > 8).map((c) => c.fd));
  let phase: Stretch | null = null;
  let client = -1;
  let upstream = -1;
  let since = 0;
  for (const { at, call, fd, result } of calls) {
    if (call === "fsync" || (call === "write" && fd === 1)) {
      if (phase) into.writes[phase][call === "fsync" ? "fsync" : "log"]++;
      continue;
    }
    if (result <= 0 || !sockets.has(fd)) continue;
    if (call === "read" && (phase === null || phase === "between") && fd !== upstream) {
      if (phase === "between") into.stretches.between.push(at - since);
      [phase, client, since] = ["before", fd, at];
    } else if (call === "write" && phase === "before" && fd !== client) {
      into.stretches.before.push(at - since);
      [phase, upstream, since] = ["upstream", fd, at];
    } else if (call === "read" && phase === "upstream" && fd === upstream) {
      into.stretches.upstream.push(at - since);
      [phase, since] = ["after", at];
    } else if (call === "write" && phase === "after" && fd === client) {
      into.stretches.after.push(at - since);
      [phase, since] = ["between", at];
    }
  }
}

/** Traces workerd `pid` for TRACE_SECONDS while `load` runs at concurrency 1 around it. */
async function trace(pid: number, load: () => Promise<unknown>, into: Traced): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-segments-"));
  const file = join(dir, "trace.txt");
  try {
    const running = load();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const perf = spawn("perf", ["trace", "-p", String(pid), "-e", "read,write,fsync", "-o", file], { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, TRACE_SECONDS * 1000));
    const stopped = new Promise((resolve) => perf.once("exit", resolve));
    perf.kill("SIGINT");
    await stopped;
    await running;
    stretchesOf(parseTrace(readFileSync(file, "utf8")), into);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(traced: Map<string, Traced>): string {
  const base = traced.get("passthrough");
  const lines = [
    "| target | requests | before | upstream | after | between | all but upstream | log lines, commits (where) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const [name, t] of traced) {
    const cell = (s: Stretch) => {
      const ms = median(t.stretches[s]);
      const more = ms - median(base?.stretches[s] ?? []);
      const extra = base && name !== "passthrough" ? ` (${more < 0 ? "−" : "+"}${Math.abs(more).toFixed(2)})` : "";
      return `${ms.toFixed(3)}${extra}`;
    };
    // The upstream's stretch is the emulator's, and the host's scheduling makes it bimodal (0.3 or
    // ~1.2 ms, for any target in some runs): what a Worker adds is the rest.
    const own = STRETCHES.filter((s) => s !== "upstream").reduce((total, s) => total + median(t.stretches[s]), 0);
    const where = STRETCHES.filter((s) => t.writes[s].log + t.writes[s].fsync > 0)
      .map((s) => `${s} ${t.writes[s].log}/${t.writes[s].fsync}`)
      .join(", ");
    lines.push(
      `| ${name} | ${t.stretches.before.length} | ${STRETCHES.map(cell).join(" | ")} | ${own.toFixed(3)} | ${where || "–"} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  requirePerf("bench:segments");
  buildGateway();
  const comparePath = COMPARE_REF ? buildGatewayAt(COMPARE_REF) : undefined;
  const emulator = await startEmulator(8791);
  const gateway = await startGateway(emulator.url);
  const compare = comparePath ? await startGateway(emulator.url, { scriptPath: comparePath }) : undefined;
  const passthrough = await startReference("bench/passthrough.js", emulator.url);
  try {
    const mode = ALL_MODES[0] as Mode;
    const targets = [
      upstreamTarget("passthrough", passthrough.url, passthrough.pid),
      await tollgateTarget("tollgate", gateway),
    ];
    if (compare) targets.push(await tollgateTarget(`tollgate@${COMPARE_REF}`, compare));
    const traced = new Map<string, Traced>();
    for (const target of targets) {
      traced.set(target.name, {
        stretches: { before: [], upstream: [], after: [], between: [] },
        writes: Object.fromEntries(STRETCHES.map((s) => [s, { log: 0, fsync: 0 }])) as Traced["writes"],
      });
      await runLoad({ ...target, body: target.body(mode), concurrency: 4, durationMs: 1000 }); // warm-up
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (let turn = 0; turn < targets.length; turn++) {
        const target = targets[(turn + round) % targets.length] as Target;
        if (target.pid === undefined) throw new Error(`no workerd pid for ${target.name}`);
        const load = () =>
          runLoad({ ...target, body: target.body(mode), concurrency: 1, durationMs: (TRACE_SECONDS + 1.5) * 1000 });
        await trace(target.pid, load, traced.get(target.name) as Traced);
      }
    }
    console.log(
      `# Where a request's time goes at concurrency 1 (${new Date().toISOString().slice(0, 10)}, ${ROUNDS} × ${TRACE_SECONDS} s traced per target; p50 ms, under perf trace; in brackets: more than the passthrough)\n`,
    );
    console.log(report(traced));
  } finally {
    await Promise.allSettled([gateway, passthrough, compare].map((worker) => worker?.mf.dispose()));
    emulator.child.kill();
  }
}

await main();

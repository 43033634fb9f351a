/**
 * `npm run bench`: the same load, in one run on loopback, against
 *   (a) the upstream emulator directly,
 *   (b) a bare passthrough Worker in workerd (the runtime's own limit), and
 *   (c) Tollgate in workerd with auth, reservation, routing and settlement on,
 * and with `BENCH_BUFFERED=1` a fourth reference Worker (bench/buffered.js) that reads, parses and
 * re-serialises the bodies and does nothing else,
 * non-streaming and streaming (a 500-chunk burst, and a paced 100-chunk trickle), at a few
 * concurrency levels, the targets taking turns within each cell. Each Worker is served by
 * workerd on a direct socket of its own (no wrangler dev Node proxy, no Miniflare entry Worker
 * in front; see startWorker). Reports
 * requests/s, p50/p99 latency, time to first byte, CPU seconds and peak memory of each workerd,
 * with ratios to (b). Bounded and self-stopping: about two and a quarter minutes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { type LoadResult, type LoadSamples, measureLoad, runLoad, summarize } from "./load";
import { ALL_MODES, type Mode } from "./modes";
import { cpuSeconds, descendantsMatching, peakMemoryMiB } from "./proc";
import { buildGateway, buildGatewayAt, startEmulator, startGateway } from "./setup";
import { startReference, type Target, tollgateTarget, upstreamTarget } from "./targets";

/** Seconds each target gets in a cell: BENCH_SECONDS, else the mode's own, else 4. */
const secondsOf = (mode: Mode) => Number(process.env.BENCH_SECONDS ?? mode.seconds ?? 4);
/** Each cell's time is split into this many turns per target (default: the mode's own, modes.ts). */
const turnsOf = (mode: Mode) => Math.max(1, Number(process.env.BENCH_ROUNDS ?? mode.turns));
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,16,64").split(",").map(Number);

/**
 * A git ref (commit, branch, tag) to measure beside the working tree, as one more target,
 * `tollgate@<ref>`: both take turns in every cell, so the host's drift cannot pass for a change.
 */
const COMPARE_REF = process.env.BENCH_COMPARE;

/** Adds bench/buffered.js as a target: what handling bodies in JavaScript costs by itself. */
const BUFFERED = process.env.BENCH_BUFFERED === "1";

/**
 * Seconds of load each target gets before anything is measured (BENCH_WARMUP_SECONDS, default 10,
 * at concurrency 16): a long-lived isolate is measured in its steady state. workerd runs V8's
 * optimising compiles on the isolate's own thread, and Tollgate's request path is far more code
 * than the passthrough's: traced with `--trace-opt` at 16, its TurboFan compiles took 35-340 ms
 * of every 4,000 requests' time until ~20,000 requests had run (a wave of recompiles at ~16,000),
 * and next to nothing after; under `perf`, 25 µs of a request's CPU after 3 s of warm-up, 6 µs
 * after 10 s. The earlier warm-up (1 s at 4) measured the first cells on a compiling isolate.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);

/** `json`, `stream`, `trickle` or any mix (default: all): a quicker run while profiling one path. */
const MODES = ALL_MODES.filter((m) => (process.env.BENCH_MODES ?? "json,stream,trickle").split(",").includes(m.name));

interface Row {
  mode: string;
  /** Content chunks per request (streams only). */
  chunks?: number;
  concurrency: number;
  target: Target["name"];
  result: LoadResult;
  /** Requests a second in each of its turns, in the order the turns ran. */
  turnRps: number[];
  cpu: number | undefined;
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits);
}

/** `value / base` to two places, or a dash when either is missing. */
const ratio = (value: number | undefined, base: number | undefined): string =>
  fmt(value !== undefined && base ? value / base : undefined, 2);

/** The passthrough's row of the same cell: what every ratio is taken against. */
const passthroughOf = (rows: Row[], row: Row): Row | undefined =>
  rows.find((r) => r.mode === row.mode && r.concurrency === row.concurrency && r.target === "passthrough");

const cpuPerRequest = (row: Row | undefined): number | undefined =>
  row?.cpu !== undefined && row.result.requests > 0 ? (row.cpu * 1000) / row.result.requests : undefined;

/**
 * What relaying costs per chunk, apart from the work every request does: a stream's CPU per
 * request minus the same target's non-streaming CPU per request at the same concurrency, per
 * chunk. Tollgate's per-request work (auth, the Account object, routing, the log line) weighs on
 * a 100-chunk stream's total as much as its relaying; this separates the two.
 */
function relayTable(rows: Row[]): string {
  const lines = ["| mode | conc | target | relay CPU µs/chunk | ×pass |", "| --- | ---: | --- | ---: | ---: |"];
  const relayOf = (row: Row | undefined): number | undefined => {
    if (!row?.chunks) return undefined;
    const plain = rows.find(
      (r) => r.chunks === undefined && r.concurrency === row.concurrency && r.target === row.target,
    );
    const stream = cpuPerRequest(row);
    const request = cpuPerRequest(plain);
    return stream === undefined || request === undefined ? undefined : ((stream - request) * 1000) / row.chunks;
  };
  for (const row of rows) {
    if (!row.chunks || row.target === "direct") continue;
    const relay = relayOf(row);
    const baseRelay = relayOf(passthroughOf(rows, row));
    if (relay === undefined) continue;
    lines.push(`| ${row.mode} | ${row.concurrency} | ${row.target} | ${fmt(relay, 2)} | ${ratio(relay, baseRelay)} |`);
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

function table(rows: Row[]): string {
  const lines = [
    "| mode | conc | target | req/s | ×pass | p50 ms | p99 ms | TTFB p50 ms | first token p50 ms | CPU ms/req | ×pass CPU | errors |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const base = passthroughOf(rows, row);
    const cpuPerReq = cpuPerRequest(row);
    const baseCpu = cpuPerRequest(base);
    lines.push(
      `| ${row.mode} | ${row.concurrency} | ${row.target} | ${fmt(row.result.rps, 0)} | ${ratio(row.result.rps, base?.result.rps)} | ${fmt(row.result.p50, 2)} | ${fmt(row.result.p99, 2)} | ${fmt(row.result.ttfbP50, 2)} | ${fmt(row.result.firstTokenP50, 2)} | ${fmt(cpuPerReq, 3)} | ${ratio(cpuPerReq, baseCpu)} | ${row.result.errors} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The lowest and highest of a target's throughput ratios turn by turn, each against the
 * passthrough's turn of the same round (run next to it): how far the host's drift moved the ratio
 * within the cell.
 */
function turnByTurn(row: Row, base: Row): string {
  const ratios = row.turnRps.map((rps, i) => rps / (base.turnRps[i] ?? Number.NaN)).filter(Number.isFinite);
  if (ratios.length < 2) return "–";
  return `${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}`;
}

/**
 * Every measure of a cell as a ratio to the passthrough's in the same cell (the issue's "each as
 * a ratio to (b)"): above 1 means more (requests a second, or milliseconds, or CPU).
 */
function ratioTable(rows: Row[]): string {
  const lines = [
    "| mode | conc | target | req/s | req/s, turn by turn | p50 | p99 | TTFB p50 | first token p50 | CPU/req |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const base = passthroughOf(rows, row);
    if (!base || row === base) continue;
    const [r, b] = [row.result, base.result];
    lines.push(
      `| ${row.mode} | ${row.concurrency} | ${row.target} | ${ratio(r.rps, b.rps)} | ${turnByTurn(row, base)} | ${ratio(r.p50, b.p50)} | ${ratio(r.p99, b.p99)} | ${ratio(r.ttfbP50, b.ttfbP50)} | ${ratio(r.firstTokenP50, b.firstTokenP50)} | ${ratio(cpuPerRequest(row), cpuPerRequest(base))} |`,
    );
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

async function main(): Promise<void> {
  console.log("building the gateway bundle (wrangler deploy --dry-run)…");
  buildGateway();
  const comparePath = COMPARE_REF ? buildGatewayAt(COMPARE_REF) : undefined;
  const emulator = await startEmulator(8791);
  const workers: Array<{ mf: { dispose(): Promise<void> } }> = [];
  try {
    const gateway = await startGateway(emulator.url);
    workers.push(gateway);
    const compare = comparePath ? await startGateway(emulator.url, { scriptPath: comparePath }) : undefined;
    if (compare) workers.push(compare);
    const passthrough = await startReference("bench/passthrough.js", emulator.url);
    workers.push(passthrough);
    const buffered = BUFFERED ? await startReference("bench/buffered.js", emulator.url) : undefined;
    if (buffered) workers.push(buffered);
    await measure(emulator.url, gateway, passthrough, compare, buffered);
  } finally {
    // Stop every workerd started, even after a failed start: a leftover would skew the next run.
    await Promise.allSettled(workers.map((w) => w.mf.dispose()));
    emulator.child.kill();
  }
}

type Started = { url: string; pid: number | undefined };

async function measure(
  emulatorUrl: string,
  gateway: Started & { storageMedium: string; logs: "discarded" | "piped" },
  passthrough: Started,
  compare?: Started,
  buffered?: Started,
) {
  const targets: Target[] = [
    upstreamTarget("direct", emulatorUrl, descendantsMatching(process.pid, "emulator-process").at(-1)),
    upstreamTarget("passthrough", passthrough.url, passthrough.pid),
    await tollgateTarget("tollgate", gateway),
  ];
  if (buffered) targets.push(upstreamTarget("buffered", buffered.url, buffered.pid));
  if (compare && COMPARE_REF) targets.push(await tollgateTarget(`tollgate@${COMPARE_REF}`, compare));

  const rows: Row[] = [];
  try {
    for (const target of targets) {
      await runLoad({
        url: target.url,
        headers: target.headers,
        body: target.body(ALL_MODES[0] as Mode),
        concurrency: 16,
        durationMs: WARMUP_SECONDS * 1000,
      });
    }
    for (const mode of MODES) {
      for (const concurrency of mode.concurrency ?? CONCURRENCY) {
        // The targets take turns, a stretch each, so that the machine's drift over the cell
        // (other work, thermal, the page cache) falls on all of them alike.
        const samples = targets.map(() => [] as LoadSamples[]);
        const cpu = targets.map(() => 0);
        const rounds = turnsOf(mode);
        for (let round = 0; round < rounds; round++) {
          for (let turn = 0; turn < targets.length; turn++) {
            const i = (turn + round) % targets.length; // no target always goes first
            const target = targets[i] as Target;
            const cpuBefore = target.pid ? cpuSeconds(target.pid) : 0;
            samples[i]?.push(
              await measureLoad({
                url: target.url,
                headers: target.headers,
                body: target.body(mode),
                concurrency,
                durationMs: (secondsOf(mode) * 1000) / rounds,
                staggerMs: mode.staggerMs,
              }),
            );
            cpu[i] = (cpu[i] ?? 0) + (target.pid ? cpuSeconds(target.pid) - cpuBefore : 0);
          }
        }
        targets.forEach((target, i) => {
          const result = summarize(samples[i] ?? []);
          rows.push({
            mode: mode.label,
            chunks: mode.chunks,
            concurrency,
            target: target.name,
            result,
            turnRps: (samples[i] ?? []).map((turn) => turn.latencies.length / turn.seconds),
            cpu: target.pid ? cpu[i] : undefined,
          });
          console.log(
            `${mode.name} c=${concurrency} ${target.name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, errors ${result.errors}`,
          );
        });
      }
    }
  } finally {
    const peaks = targets.map((t) => (t.pid ? peakMemoryMiB(t.pid) : undefined));
    const passthroughPeak = peaks[targets.findIndex((t) => t.name === "passthrough")];
    const memory = targets
      .map((t, i) => {
        const peak = peaks[i];
        const versus = t.name !== "passthrough" && peak !== undefined ? ` (×${ratio(peak, passthroughPeak)})` : "";
        return `${t.name} ${fmt(peak, 0)} MiB${versus}`;
      })
      .join(", ");
    const relay = relayTable(rows);
    const ratios = ratioTable(rows);
    const report = [
      `# Benchmark (${new Date().toISOString().slice(0, 10)}, per target and cell ${MODES.map((m) => `${secondsOf(m)} s in turns of ${(secondsOf(m) / turnsOf(m)).toFixed(1)} s (${m.name})`).join(", ")}, loopback, ${process.arch}, Durable Object storage on ${gateway.storageMedium}, log lines ${gateway.logs === "piped" ? "piped into the load generator" : "to /dev/null"}${COMPARE_REF ? `, tollgate@${COMPARE_REF} built beside the working tree` : ""})`,
      "",
      table(rows),
      "",
      ...(ratios
        ? ["Each measure as a ratio to the passthrough's in the same cell (above 1: more of it):", "", ratios, ""]
        : []),
      ...(relay
        ? [
            "Relaying alone (stream CPU minus non-streaming CPU, per chunk; needs the non-stream mode in the run):",
            "",
            relay,
            "",
          ]
        : []),
      `Peak memory: ${memory}. CPU is the serving process's own (workerd for the Workers, Node for the emulator), so "direct" CPU is the emulator's.`,
      "",
    ].join("\n");
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/latest.md", report);
    writeFileSync("bench/results/latest.json", JSON.stringify(rows, null, 2));
    console.log(`\n${report}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * `npm run bench:cpu`: where a request's CPU goes, measured rather than sampled. Inside one
 * workerd isolate (bench/cpu-worker.js in front of the built bundle), runs batches of: the
 * upstream call any proxying Worker makes, a whole Tollgate chat completion, the same through the
 * RPC entrypoint, a call to the Account object that reserves and carries the previous settlement
 * (what a request costs the object under load), a gathered batch of settlements under a lease, and
 * an empty call to the object; and reads the workerd process's CPU around each batch. No HTTP
 * server, load generator or proxy takes a share.
 * To judge a change, `BENCH_COMPARE=<git ref>` measures the code at that ref beside the working
 * tree, the two taking turns op by op (fastest turns of one code agree to ~5% on a quiet host,
 * 10–15% on a noisy one). `BENCH_CPU_REPS` (default 5) turns; `BENCH_CPU_CONCURRENCY` (default
 * 16) at a time; `BENCH_CPU_OPS` (e.g. `chat,upstream`) only those operations.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { generationRecord } from "../test/support/records";
import { median } from "./load";
import { cpuSeconds } from "./proc";
import { buildGateway, buildGatewayAt, type SeededAccount, seedAccount, startEmulator, startGateway } from "./setup";

const REPS = Math.max(1, Number(process.env.BENCH_CPU_REPS ?? 5));
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_CPU_CONCURRENCY ?? 16));
const COMPARE_REF = process.env.BENCH_COMPARE;
const PROBE = "bench/cpu-worker.js";

/** Each batch is sized for about a second of CPU: well above the 10 ms tick CPU time is read in. */
const OPERATIONS = [
  {
    op: "upstream",
    count: 5000,
    what: "the upstream call (fetch and read the reply), as any proxying Worker makes it",
  },
  { op: "chat", count: 2500, what: "a Tollgate chat completion, non-streaming, whole (the upstream call included)" },
  {
    op: "rpc-chat",
    count: 2500,
    what: "the same through the service-binding entrypoint (TollgateRpc.chatCompletion), minus the transport",
  },
  { op: "object-cycle", count: 5000, what: "the Account object: a reservation carrying the previous settlement" },
  {
    op: "object-settle-16",
    count: 1000,
    what: "the Account object: 16 settlements under a lease in one call, as the isolate gathers them",
  },
  { op: "object-call", count: 10000, what: "an empty call to the Account object" },
] as const;
type Op = (typeof OPERATIONS)[number]["op"];
/** `BENCH_CPU_OPS=chat,upstream` runs only those operations (an A/B of one part runs faster). */
const SELECTED = process.env.BENCH_CPU_OPS?.split(",").map((op) => op.trim());
const RUN_OPERATIONS = OPERATIONS.filter(({ op }) => !SELECTED || SELECTED.includes(op));

interface Target {
  name: string;
  url: string;
  pid: number;
  /** Where its Account object keeps its SQLite files (tmpfs or disk). */
  storage: string;
  account: SeededAccount;
  samples: Map<Op, number[]>;
  dispose: () => Promise<void>;
}

async function startTarget(name: string, emulatorUrl: string, bundle: string, probe: string): Promise<Target> {
  const gateway = await startGateway(emulatorUrl, { entry: probe, scriptPath: bundle });
  if (gateway.pid === undefined) throw new Error(`${name}: no workerd process found`);
  return {
    name,
    url: gateway.url,
    pid: gateway.pid,
    storage: gateway.storageMedium,
    account: await seedAccount(gateway.url),
    samples: new Map(OPERATIONS.map(({ op }) => [op, []])),
    dispose: () => gateway.mf.dispose(),
  };
}

/** Runs `count` operations in the target's isolate; returns its workerd's CPU per operation, in µs. */
async function run(target: Target, op: Op, count: number): Promise<number> {
  const before = cpuSeconds(target.pid);
  const response = await fetch(`${target.url}/__cpu`, {
    method: "POST",
    body: JSON.stringify({
      ...target.account,
      record: generationRecord("", target.account.keyHash, 8550),
      op,
      count,
      concurrency: CONCURRENCY,
    }),
  });
  const text = await response.text();
  if (text !== "done") throw new Error(`${target.name} ${op}: ${text}`);
  return ((cpuSeconds(target.pid) - before) * 1e6) / count;
}

function report(target: Target): string[] {
  const best = (op: Op) => Math.min(...(target.samples.get(op) ?? []));
  const ran = (op: Op) => (target.samples.get(op)?.length ?? 0) > 0;
  // The lanes send back to back on one key: a busy key, whose requests run under its lease
  // (billing/leases.ts) and make no reservation call; their settlements go to the object in
  // gathered batches. The object rows are what a request that does reserve adds.
  // Each part: an operation's fastest turn, less another's when given, over `per` when given;
  // shown when both ran.
  const parts: Array<[string, Op, Op?, number?]> = [
    ["Tollgate's own work, a busy key's request under its lease (chat − upstream)", "chat", "upstream"],
    [
      "A request that reserves adds: the Account object's work, calls back to back (object-cycle − object-call)",
      "object-cycle",
      "object-call",
    ],
    ["… and the call to the object (object-call)", "object-call"],
    [
      "A gathered settlement under a lease, with its share of the call (object-settle-16 / 16)",
      "object-settle-16",
      undefined,
      16,
    ],
    ["The RPC entrypoint's own work on top (rpc-chat − chat)", "rpc-chat", "chat"],
  ];
  const shown = parts.filter(([, op, less]) => ran(op) && (!less || ran(less)));
  return [
    `**${target.name}**`,
    "",
    "| operation | what it is | µs, fastest turn | µs, median turn |",
    "| --- | --- | ---: | ---: |",
    ...RUN_OPERATIONS.map(({ op, what }) => {
      const samples = target.samples.get(op) ?? [];
      return `| ${op} | ${what} | ${best(op).toFixed(0)} | ${median(samples).toFixed(0)} |`;
    }),
    "",
    "| Tollgate's own work per request, split (fastest turns) | µs |",
    "| --- | ---: |",
    ...shown.map(
      ([part, op, less, per = 1]) => `| ${part} | ${((best(op) - (less ? best(less) : 0)) / per).toFixed(0)} |`,
    ),
    "",
  ];
}

async function main(): Promise<void> {
  buildGateway();
  const emulator = await startEmulator(8793);
  const targets: Target[] = [];
  try {
    targets.push(await startTarget("tollgate", emulator.url, "bench/.build/index.js", PROBE));
    if (COMPARE_REF) {
      const bundle = buildGatewayAt(COMPARE_REF);
      // This checkout's probe, beside the ref's bundle (the ref may predate the probe).
      const probe = join(dirname(dirname(bundle)), "cpu-worker.js");
      copyFileSync(PROBE, probe);
      targets.push(await startTarget(`tollgate@${COMPARE_REF}`, emulator.url, bundle, probe));
    }
    for (const target of targets) {
      for (const { op, count } of RUN_OPERATIONS) await run(target, op, Math.ceil(count / 5)); // warm-up
    }
    // Targets take turns op by op, and swap who goes first each turn, so the host's drift over the
    // run (and any cost of following the other's batch) falls on both alike.
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? targets : [...targets].reverse();
      for (const { op, count } of RUN_OPERATIONS) {
        for (const target of order) target.samples.get(op)?.push(await run(target, op, count));
      }
    }
    const lines = [
      `CPU per operation inside the gateway's isolate (${new Date().toISOString().slice(0, 10)}, ${CONCURRENCY} at a time, ${REPS} turns, Durable Object storage on ${targets[0]?.storage}):`,
      "",
      ...targets.flatMap(report),
    ];
    const text = lines.join("\n");
    console.log(text);
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/cpu.md", text);
  } finally {
    for (const target of targets) await target.dispose();
    emulator.child.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

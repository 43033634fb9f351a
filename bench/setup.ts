/** What the benchmark and the profiler share: the emulator process, the Workers, a funded key. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CATALOG_KV_KEY } from "../src/catalog/store";
import { descendantsMatching } from "./proc";

export const ADMIN_TOKEN = "bench-admin-token";
/** The model the benchmarks ask Tollgate for: OpenAI's GPT-4o mini, through Chat Completions. */
export const BENCH_MODEL = "openai/gpt-4o-mini";

/**
 * The catalog the benchmarked gateway serves, put in its CATALOG namespace as an operator's
 * override: the bundled one less BENCH_MODEL's shutdown date (OpenAI shuts it down on 2027-01-14,
 * and the bundled catalog refuses it from that day). The benchmark measures the gateway's path to
 * an OpenAI-style upstream, and must measure the same path whatever the day it runs.
 */
const benchCatalog = () =>
  JSON.stringify({
    ...defaultCatalog,
    models: defaultCatalog.models.map((m) => (m.id === BENCH_MODEL ? { ...m, expiration_date: null } : m)),
  });
/** The runtime's compatibility date and flags, as deployed: wrangler's own reading of wrangler.toml. */
function wranglerCompatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const config = unstable_readConfig({ config: "wrangler.toml" });
  if (!config.compatibility_date) throw new Error("wrangler.toml: no compatibility_date");
  return { compatibilityDate: config.compatibility_date, compatibilityFlags: config.compatibility_flags };
}
export const COMPAT = wranglerCompatibility();

/** The deployable bundle, as `wrangler deploy` would upload it (unminified for readable profiles). */
export function buildGateway(minify = true, checkout = "."): void {
  const args = ["wrangler", "deploy", "--dry-run", "--outdir", "bench/.build", ...(minify ? [] : ["--minify=false"])];
  execFileSync("npx", args, { cwd: checkout, stdio: "ignore" });
}

/**
 * The bundle as it was at git `ref`, for an A/B run: built in a temporary worktree that shares
 * this checkout's node_modules (a ref with other dependencies needs its own install). Returns the
 * bundle's path; the worktree is removed when the process exits.
 */
export function buildGatewayAt(ref: string): string {
  const dir = join(tmpdir(), `tollgate-ref-${process.pid}`);
  execFileSync("git", ["worktree", "add", "--detach", dir, ref], { stdio: "ignore" });
  process.once("exit", () => {
    try {
      execFileSync("git", ["worktree", "remove", "--force", dir], { stdio: "ignore" });
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  buildGateway(true, dir);
  return join(dir, "bench/.build/index.js");
}

export function startEmulator(port: number): Promise<{ child: ChildProcess; url: string }> {
  // Node itself (with tsx's loader), so the child is the emulator and killing it stops it.
  const child = spawn(process.execPath, ["--import", "tsx", "bench/emulator-process.ts", String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  // However the run ends (an error, Ctrl-C), the emulator must not outlive it and hold its port.
  process.once("exit", () => child.kill());
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      const match = /ready (\S+)/.exec(chunk.toString());
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.on("exit", (code) => reject(new Error(`emulator exited (${code})`)));
  });
}

function workerdPids(): number[] {
  return descendantsMatching(process.pid, "workerd");
}

/**
 * Where the Workers' log lines (workerd's standard output) go: `/dev/null` by default, each line
 * still written (one write(2) each) but read by nobody. Miniflare pipes workerd's output into the
 * process that started it, which here is the load generator: every line woke it and went through
 * its Node streams, which cost Tollgate's workerd ~20 µs of kernel time a request (its only
 * target that logs; the passthrough writes nothing) and the load generator, which all targets
 * share, its reading. Deployed, a console.log hands its line to the runtime in memory: no
 * system call, no reader to wake. `BENCH_LOGS=pipe` measures with the pipe (drained, not
 * printed: the terminal would otherwise be the bottleneck).
 */
function runtimeLogs(): "discarded" | "piped" {
  if (process.env.BENCH_LOGS === "pipe") return "piped";
  if (!process.env.TOLLGATE_BENCH_WORKERD) {
    // The workerd binary Miniflare itself would start: the one MINIFLARE_WORKERD_PATH names, or
    // its own dependency's (resolved from it).
    const fromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
    process.env.TOLLGATE_BENCH_WORKERD =
      process.env.MINIFLARE_WORKERD_PATH ?? (fromMiniflare("workerd") as { default: string }).default;
    process.env.MINIFLARE_WORKERD_PATH = resolve("bench/workerd-logs-discarded.sh");
  }
  return "discarded";
}

export async function startWorker(
  options: ConstructorParameters<typeof Miniflare>[0],
): Promise<{ mf: Miniflare; url: string; pid: number | undefined; logs: "discarded" | "piped" }> {
  const before = new Set(workerdPids());
  const logs = runtimeLogs();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    // Load goes to a socket of the Worker's own. Miniflare's main socket passes every request
    // through its entry Worker (a JS proxy in the same workerd) first, which cost ~0.25 ms of CPU
    // per request, to each target alike: it made the passthrough look twice as costly as it is,
    // and every ratio to it kinder than the runtime's own limit.
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    // Outbound alike: by default every fetch a Worker makes goes through another JS Worker in the
    // same workerd (Miniflare's strip-cf-connecting-ip, which copies the headers and fetches
    // again), ~0.1 ms of CPU a call here. A deployed Worker's fetch has no such hop.
    stripCfConnectingIp: false,
    handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
      stdout.resume();
      stderr.resume();
    },
    ...options,
  } as ConstructorParameters<typeof Miniflare>[0]);
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL()).toString().replace(/\/$/, "");
  const pid = workerdPids().find((p) => !before.has(p));
  return { mf, url, pid, logs };
}

/**
 * Where the Account Durable Object keeps its SQLite files: in memory (tmpfs) where the machine has
 * one. Each commit of a local-disk database waits on this machine's disk, which throttled the
 * object to ~20% fewer requests a second on the benchmark machine: a cost of the host, not of the
 * gateway (a deployed object's storage is Cloudflare's). `BENCH_DO_DISK=1` keeps it on disk.
 */
function durableObjectStorage(): { dir: string; medium: string } {
  const memory = "/dev/shm";
  if (process.env.BENCH_DO_DISK !== "1" && existsSync(memory)) {
    return { dir: mkdtempSync(join(memory, "tollgate-bench-")), medium: "tmpfs" };
  }
  return { dir: mkdtempSync(join(tmpdir(), "tollgate-bench-")), medium: "disk" };
}

/**
 * Tollgate from the built bundle, with local KV and Durable Objects, its providers emulated.
 * `entry`, when given, is the main module instead: a Worker that imports the bundle from beside it.
 */
export async function startGateway(
  emulatorUrl: string,
  {
    scriptPath = "bench/.build/index.js",
    entry,
    ...extra
  }: { inspectorPort?: number; scriptPath?: string; entry?: string } = {},
) {
  const storage = durableObjectStorage();
  process.once("exit", () => rmSync(storage.dir, { recursive: true, force: true }));
  const modules = entry
    ? { modules: [entry, scriptPath].map((path) => ({ type: "ESModule", path })) }
    : { modules: true, scriptPath };
  const worker = await startWorker({
    ...modules,
    // Module names are paths under this root; a bundle outside the checkout (an A/B ref's) needs its own.
    modulesRoot: dirname(resolve(entry ?? scriptPath)),
    ...COMPAT,
    kvNamespaces: ["KEYS", "CATALOG"],
    durableObjects: { ACCOUNTS: { className: "AccountDurableObject", useSQLite: true } },
    bindings: { EMULATOR_URL: emulatorUrl, TOKENIZER_URL: `${emulatorUrl}/__tokenizer`, ADMIN_TOKEN },
    durableObjectsPersist: storage.dir,
    ...extra,
  } as ConstructorParameters<typeof Miniflare>[0]);
  await (await worker.mf.getKVNamespace("CATALOG")).put(CATALOG_KV_KEY, benchCatalog());
  return { ...worker, storageMedium: storage.medium };
}

/** A funded account and one API key, as the admin API created them. */
export interface SeededAccount {
  accountId: string;
  key: string;
  keyHash: string;
}

/** A funded account and its API key, through the admin API. */
export async function seedAccount(gateway: string): Promise<SeededAccount> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${gateway}/api/v1/admin${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id?: string; key?: string; data?: { hash: string } };
  };
  const account = await post("/accounts", { name: "bench" });
  const accountId = account.id as string;
  await post(`/accounts/${accountId}/credits`, { amount: "1000000", reason: "bench", idempotency_id: "bench" });
  const issued = await post(`/accounts/${accountId}/keys`, { name: "bench" });
  return { accountId, key: issued.key as string, keyHash: issued.data?.hash as string };
}

export async function seedKey(gateway: string): Promise<string> {
  return (await seedAccount(gateway)).key;
}

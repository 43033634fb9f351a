/**
 * `npm run check:bundle` (run by CI): `wrangler deploy --dry-run` must build, the Worker bundle
 * must stay small (bundle size is cold-start time on every isolate: under 150 KB gzipped, kilobytes
 * of 1000 bytes, the stricter reading; wrangler prints KiB, so under 146.4 KiB there), and so
 * must the work its modules do when an isolate loads them (under STARTUP_LIMIT_MS of CPU, as
 * `wrangler check startup` profiles it: building the app, the zod schemas and the catalog index).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT_BYTES = 150_000;
/**
 * About five times today's figure (~25 ms on the development VM, where single profiles range
 * 22–53 ms): room for a slower, noisier CI machine, while work that does not belong at startup
 * (parsing a tokenizer's ranks, say) still fails it. Cloudflare refuses a Worker past 1 s.
 */
const STARTUP_LIMIT_MS = 150;
const STARTUP_RUNS = 3;

const out = mkdtempSync(join(tmpdir(), "tollgate-bundle-"));
// One build: the bundle as files (to weigh) and as the upload wrangler would send (to profile).
const upload = join(out, "worker.bundle");
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out, "--outfile", upload], { stdio: "inherit" });
const bundle = readFileSync(join(out, "index.js"));
const gzipped = gzipSync(bundle, { level: 9 }).length;
console.log(
  `bundle: ${(bundle.length / 1024).toFixed(1)} KiB, gzip ${(gzipped / 1024).toFixed(1)} KiB = ${(gzipped / 1000).toFixed(1)} kB (limit ${LIMIT_BYTES / 1000} kB)`,
);
if (gzipped >= LIMIT_BYTES) {
  console.error("the gzipped bundle is over the limit");
  process.exit(1);
}

// The rules below are about what src/ may write: srcMatching lists the files that break one.
const sources = readdirSync("src", { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".ts"))
  .map((file) => ({ file, text: readFileSync(join("src", file), "utf8") }));
const srcMatching = (pattern: RegExp) => sources.filter(({ text }) => pattern.test(text)).map(({ file }) => file);

// hono's mount, parseBody and html are stubbed out of the bundle (wrangler.toml's alias,
// src/hono-slim/): the alias must still take, and src/ must not call them.
if (!bundle.includes("see src/hono-slim/")) {
  console.error(
    "hono's mount/body/html modules are bundled again: wrangler.toml's alias no longer matches hono's imports",
  );
  process.exit(1);
}
const honoSlimCalls = srcMatching(/\.mount\(|\.parseBody\(|\bc\.html\(/);
if (honoSlimCalls.length > 0) {
  console.error(
    `hono's mount, parseBody and html are not in the bundle (src/hono-slim/), but ${honoSlimCalls.join(", ")} calls one`,
  );
  process.exit(1);
}
// A dynamic import() anywhere in src/ makes esbuild wrap every module of the bundle in a lazy
// initialiser (its __esm helper): ~5 KiB more gzip, ~9 ms more startup, and every module-level
// constant a mutable variable assigned inside a closure. The one the Worker had is gone
// (TollgateRpc imports worker.ts); this keeps another from coming back unseen.
const dynamicImports = srcMatching(/(?<![\w.])import\(/);
if (dynamicImports.length > 0) {
  console.error(
    `${dynamicImports.join(", ")} import dynamically, which wraps every module of the bundle in a lazy initialiser`,
  );
  process.exit(1);
}
// src/ uses zod's mini API; one import of its classic API would bundle both (~20 KiB more gzip).
const classicZod = srcMatching(/from\s+["']zod["']/);
if (classicZod.length > 0) {
  console.error(`${classicZod.join(", ")} import zod's classic API ("zod"): src/ uses "zod/mini"`);
  process.exit(1);
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of CPU the isolate spent loading the Worker's modules (idle samples left out). */
function startupMs(): number {
  const file = join(out, "startup.cpuprofile");
  execFileSync("npx", ["wrangler", "check", "startup", "--worker", upload, "--outfile", file], { stdio: "ignore" });
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let busyUs = 0;
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  profile.samples.forEach((node, i) => {
    if (!idle.has(node)) busyUs += profile.timeDeltas[i + 1] ?? 0;
  });
  return busyUs / 1000;
}

const runs = Array.from({ length: STARTUP_RUNS }, startupMs).sort((a, b) => a - b);
const median = runs[Math.floor(runs.length / 2)] as number;
console.log(
  `startup: ${median.toFixed(1)} ms of CPU (median of ${runs.map((ms) => ms.toFixed(1)).join(", ")}; limit ${STARTUP_LIMIT_MS} ms)`,
);
if (median >= STARTUP_LIMIT_MS) {
  console.error("the Worker's startup work is over the limit");
  process.exit(1);
}

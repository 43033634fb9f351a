/**
 * `npm run check:bundle` (run by CI): `wrangler deploy --dry-run` must build, and the Worker
 * bundle must stay small, because bundle size is cold-start time on every isolate:
 * under 150 KB gzipped.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT_BYTES = 150 * 1024;
const out = mkdtempSync(join(tmpdir(), "tollgate-bundle-"));
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out], { stdio: "inherit" });
const bundle = readFileSync(join(out, "index.js"));
const gzipped = gzipSync(bundle, { level: 9 }).length;
console.log(
  `bundle: ${(bundle.length / 1024).toFixed(1)} KiB, gzip ${(gzipped / 1024).toFixed(1)} KiB (limit ${LIMIT_BYTES / 1024} KiB)`,
);
if (gzipped >= LIMIT_BYTES) {
  console.error("the gzipped bundle is over the limit");
  process.exit(1);
}

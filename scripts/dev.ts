/**
 * `npm start`: the gateway locally with no provider keys needed.
 * 1. starts the bundled provider emulators on loopback;
 * 2. runs `wrangler dev` (local KV and Durable Object storage under .wrangler/) with every
 *    provider that has no key in .dev.vars pointed at the emulators;
 * 3. seeds the dev account (id `dev`) with credits through the admin API, as
 *    `npm run admin -- seed-dev` does, and prints the base URL and keys.
 *
 * PORT (default 8787) and EMULATOR_PORT (default 8790) move it off ports already in use.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { startEmulator } from "../test/emulator/server";
import { devBanner, seedDev } from "./admin";

const PORT = Number(process.env.PORT ?? 8787);
const EMULATOR_PORT = Number(process.env.EMULATOR_PORT ?? 8790);
const STATE_FILE = ".wrangler/tollgate-dev.json";

interface DevState {
  adminToken: string;
}

function readDevVars(): Record<string, string> {
  if (!existsSync(".dev.vars")) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(".dev.vars", "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match?.[1]) vars[match[1]] = match[2] ?? "";
  }
  return vars;
}

function loadState(devVars: Record<string, string>): DevState {
  const saved: Partial<DevState> = existsSync(STATE_FILE) ? JSON.parse(readFileSync(STATE_FILE, "utf8")) : {};
  return { adminToken: devVars.ADMIN_TOKEN ?? saved.adminToken ?? `adm-${randomBytes(24).toString("hex")}` };
}

function saveState(state: DevState): void {
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

async function waitUntilUp(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the gateway did not start within ${timeoutMs / 1000}s`);
}

/**
 * Fails unless `port` is free on loopback. Without this, a server already there (another
 * `npm start`, say) answers the readiness check, the keys are seeded into it and printed as
 * this gateway's, and only then does wrangler stop on "Address already in use".
 */
async function assertPortFree(port: number, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} is in use: stop what listens there, or choose another with ${variable}=<port>`)
          : error,
      ),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

async function main(): Promise<void> {
  const devVars = readDevVars();
  const state = loadState(devVars);
  await assertPortFree(PORT, "PORT");
  await assertPortFree(EMULATOR_PORT, "EMULATOR_PORT");
  const emulator = await startEmulator({ port: EMULATOR_PORT });
  const wrangler = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--port",
      String(PORT),
      "--ip",
      "127.0.0.1",
      "--var",
      `EMULATOR_URL:${emulator.url}`,
      "--var",
      `TOKENIZER_URL:${emulator.url}/__tokenizer`,
      "--var",
      `ADMIN_TOKEN:${state.adminToken}`,
      // The emulator's images (and any a developer serves locally) are on loopback.
      "--var",
      "IMAGE_FETCH_PRIVATE:allow",
    ],
    { stdio: ["inherit", "pipe", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  // wrangler's own banner goes to stdout; keep it, but after our lines matter most.
  wrangler.stdout?.on("data", (chunk: Buffer) => process.stdout.write(chunk));
  const stop = async () => {
    wrangler.kill("SIGTERM");
    await emulator.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  wrangler.on("exit", (code) => {
    void emulator.close().then(() => process.exit(code ?? 0));
  });

  const origin = `http://127.0.0.1:${PORT}`;
  await waitUntilUp(`${origin}/`, wrangler);
  saveState(state);
  const keys = await seedDev({ url: origin, token: state.adminToken });
  const realKeys = Object.keys(devVars).filter((k) => k.endsWith("_API_KEY") || k === "AWS_ACCESS_KEY_ID");
  console.log("");
  console.log(devBanner(origin, keys, state.adminToken));
  console.log(
    realKeys.length > 0
      ? `Providers with keys in .dev.vars use the real APIs (${realKeys.join(", ")}); the rest use the emulators at ${emulator.url}.`
      : `No provider keys in .dev.vars: every provider answers from the bundled emulators at ${emulator.url}.`,
  );
  console.log("");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

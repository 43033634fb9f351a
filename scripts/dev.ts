/**
 * `npm start`: the gateway locally with no provider keys needed.
 * 1. starts the bundled provider emulators on loopback;
 * 2. runs `wrangler dev` (local KV and Durable Object storage under .wrangler/) with every
 *    provider that has no key in .dev.vars pointed at the emulators;
 * 3. seeds a dev account with credits through the admin API and prints the base URL and keys.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { startEmulator } from "../test/emulator/server";

const PORT = Number(process.env.PORT ?? 8787);
const EMULATOR_PORT = Number(process.env.EMULATOR_PORT ?? 8790);
const STATE_FILE = ".wrangler/tollgate-dev.json";
const DEV_CREDITS_USD = "100";

interface DevState {
  adminToken: string;
  accountId?: string;
  apiKey?: string;
  provisioningKey?: string;
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
  const adminToken = devVars.ADMIN_TOKEN ?? saved.adminToken ?? `adm-${randomBytes(24).toString("hex")}`;
  return { ...saved, adminToken };
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

async function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what} failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Reuses the saved dev key while it still works (local storage persists across runs). */
async function seed(origin: string, state: DevState): Promise<DevState> {
  const api = `${origin}/api/v1`;
  if (state.apiKey && state.provisioningKey) {
    const check = await call(api, state.apiKey, "GET", "/key");
    if (check.ok) return state;
  }
  const account = await json<{ id: string }>(
    await call(api, state.adminToken, "POST", "/admin/accounts", { name: "dev" }),
    "create the dev account",
  );
  await json(
    await call(api, state.adminToken, "POST", `/admin/accounts/${account.id}/credits`, {
      amount: DEV_CREDITS_USD,
      reason: "npm start dev credits",
      idempotency_id: `dev-seed-${account.id}`,
    }),
    "grant dev credits",
  );
  const apiKey = await json<{ key: string }>(
    await call(api, state.adminToken, "POST", `/admin/accounts/${account.id}/keys`, { name: "dev" }),
    "create the dev API key",
  );
  const provisioning = await json<{ key: string }>(
    await call(api, state.adminToken, "POST", `/admin/accounts/${account.id}/keys`, {
      name: "dev provisioning",
      provisioning: true,
    }),
    "create the dev provisioning key",
  );
  return { ...state, accountId: account.id, apiKey: apiKey.key, provisioningKey: provisioning.key };
}

async function main(): Promise<void> {
  const devVars = readDevVars();
  let state = loadState(devVars);
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
  state = await seed(origin, state);
  saveState(state);
  const realKeys = Object.keys(devVars).filter((k) => k.endsWith("_API_KEY") || k === "AWS_ACCESS_KEY_ID");
  console.log("");
  console.log(`Base URL: ${origin}/api/v1`);
  console.log(`API key: ${state.apiKey}`);
  console.log(`Provisioning key: ${state.provisioningKey}`);
  console.log(`Admin token: ${state.adminToken}`);
  console.log(
    realKeys.length > 0
      ? `Providers with keys in .dev.vars use the real APIs (${realKeys.join(", ")}); the rest use the emulators at ${emulator.url}.`
      : `No provider keys in .dev.vars: every provider answers from the bundled emulators at ${emulator.url}.`,
  );
  console.log("");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * Tollgate's operator CLI: a thin client of the admin API (`/api/v1/admin`), for a local
 * `npm start` or a deployed gateway.
 *
 *   npm run admin -- create-account --name "Acme" [--id acme]
 *   npm run admin -- account --account acme
 *   npm run admin -- grant --account acme --amount 10 --reason "invoice 42" [--id inv-42]
 *   npm run admin -- grant --account acme --amount=-2.5 --reason "refund" --id refund-7
 *   npm run admin -- create-key --account acme --name "backend" [--provisioning]
 *                               [--limit 5 --limit-reset monthly] [--rate-limit 60/1m]
 *   npm run admin -- disable-key|enable-key|delete-key --account acme --hash <key hash>
 *   npm run admin -- seed-dev [--credits 100]
 *
 * Every command takes --url (default $TOLLGATE_URL or http://127.0.0.1:8787) and --token
 * (default $ADMIN_TOKEN). Replies are printed as JSON; failures exit with status 1.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";

export interface AdminClientOptions {
  url: string;
  token: string;
  /** How to reach the gateway; the global fetch unless a test hands in the app itself. */
  fetch?: typeof fetch;
}

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the admin API; throws AdminError with the gateway's message on a non-2xx reply. */
export async function adminCall<T = Record<string, unknown>>(
  options: AdminClientOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const url = `${apiBase(options.url)}/admin${path}`;
  const response = await (options.fetch ?? fetch)(url, {
    method,
    headers: {
      authorization: `Bearer ${options.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((error: unknown) => {
    // fetch says only "fetch failed": name the gateway it could not reach and how to name another.
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new Error(
      `cannot reach the gateway at ${options.url}${cause} (is it running? --url or $TOLLGATE_URL names another)`,
    );
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  if (!response.ok) {
    const message = (json as { error?: { message?: string } }).error?.message ?? text;
    throw new AdminError(response.status, `${method} ${path}: ${response.status} ${message}`);
  }
  return { status: response.status, json: json as T };
}

export function apiBase(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return trimmed.endsWith("/api/v1") ? trimmed : `${trimmed}/api/v1`;
}

function parseRateLimit(text: string): { requests: number; interval: string } {
  const match = /^(\d+)\/(\d+(?:ms|s|m|h|d))$/.exec(text);
  if (!match) throw new Error(`--rate-limit must look like 60/1m, got ${text}`);
  return { requests: Number(match[1]), interval: match[2] as string };
}

interface DevKeys {
  accountId: string;
  apiKey: string;
  provisioningKey: string;
}

async function keyWorks(options: AdminClientOptions, key: string): Promise<boolean> {
  try {
    const response = await (options.fetch ?? fetch)(`${apiBase(options.url)}/key`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Seeds the local development account (id `dev`) with credits, once per amount (so asking for
 * another amount later grants it, where one idempotency id for every amount was a 409), and an
 * API key and a provisioning key, which are kept in `stateFile` and reused while the gateway still accepts them
 * (they are shown once by the API, so this file is the only place they live).
 */
export async function seedDev(
  options: AdminClientOptions & { credits?: string; stateFile?: string },
): Promise<DevKeys> {
  const accountId = "dev";
  const stateFile = options.stateFile ?? ".wrangler/tollgate-dev-keys.json";
  try {
    await adminCall(options, "GET", `/accounts/${accountId}`);
  } catch (error) {
    if (!(error instanceof AdminError && error.status === 404)) throw error;
    await adminCall(options, "POST", "/accounts", { id: accountId, name: "Development" });
  }
  const credits = options.credits ?? "100";
  await adminCall(options, "POST", `/accounts/${accountId}/credits`, {
    amount: credits,
    reason: "development seed",
    idempotency_id: `dev-seed-${credits}`,
  });

  let saved: Partial<DevKeys> = {};
  try {
    saved = JSON.parse(await readFile(stateFile, "utf8")) as Partial<DevKeys>;
  } catch {
    saved = {};
  }
  const keys: DevKeys = { accountId, apiKey: "", provisioningKey: "" };
  keys.apiKey =
    saved.accountId === accountId && saved.apiKey && (await keyWorks(options, saved.apiKey))
      ? saved.apiKey
      : (await adminCall<{ key: string }>(options, "POST", `/accounts/${accountId}/keys`, { name: "dev" })).json.key;
  keys.provisioningKey =
    saved.accountId === accountId && saved.provisioningKey && (await keyWorks(options, saved.provisioningKey))
      ? saved.provisioningKey
      : (
          await adminCall<{ key: string }>(options, "POST", `/accounts/${accountId}/keys`, {
            name: "dev provisioning",
            provisioning: true,
          })
        ).json.key;
  await mkdir(dirname(stateFile), { recursive: true });
  await writeFile(stateFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

/** The lines `npm start` prints, one per value. */
export function devBanner(url: string, keys: DevKeys, token: string): string {
  return [
    `Base URL: ${apiBase(url)}`,
    `API key: ${keys.apiKey}`,
    `Provisioning key: ${keys.provisioningKey}`,
    `Admin token: ${token}`,
  ].join("\n");
}

const USAGE = `usage: npm run admin -- <command> [options]

commands:
  create-account --name <name> [--id <account id>]
  account        --account <id>
  grant          --account <id> --amount <usd> --reason <text> [--id <idempotency id>]
                 (remove credits with a negative amount: --amount=-2.5)
  create-key     --account <id> --name <name> [--provisioning] [--limit <usd>]
                 [--limit-reset daily|weekly|monthly] [--rate-limit <requests>/<interval>]
  disable-key    --account <id> --hash <key hash>
  enable-key     --account <id> --hash <key hash>
  delete-key     --account <id> --hash <key hash>
  seed-dev       [--credits <usd>]    the local dev account, printed as npm start shows it

options:
  --url <base url>   default $TOLLGATE_URL or http://127.0.0.1:8787
  --token <token>    default $ADMIN_TOKEN`;

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value.length === 0) throw new Error(`--${name} is required\n\n${USAGE}`);
  return value;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      name: { type: "string" },
      id: { type: "string" },
      account: { type: "string" },
      amount: { type: "string" },
      reason: { type: "string" },
      provisioning: { type: "boolean" },
      limit: { type: "string" },
      "limit-reset": { type: "string" },
      "rate-limit": { type: "string" },
      hash: { type: "string" },
      credits: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (!command || values.help) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const url = values.url ?? process.env.TOLLGATE_URL ?? "http://127.0.0.1:8787";
  const token = values.token ?? process.env.ADMIN_TOKEN;
  if (!token) throw new Error("no admin token: pass --token or set ADMIN_TOKEN");
  const options = { url, token };
  const print = (json: unknown) => console.log(JSON.stringify(json, null, 2));
  const account = () => encodeURIComponent(required(values, "account"));

  switch (command) {
    case "create-account":
      print((await adminCall(options, "POST", "/accounts", { name: required(values, "name"), id: values.id })).json);
      return 0;
    case "account":
      print((await adminCall(options, "GET", `/accounts/${account()}`)).json);
      return 0;
    case "grant": {
      const idempotencyId = values.id ?? crypto.randomUUID();
      const reply = await adminCall(options, "POST", `/accounts/${account()}/credits`, {
        amount: required(values, "amount"),
        reason: required(values, "reason"),
        idempotency_id: idempotencyId,
      });
      print(reply.json);
      return 0;
    }
    case "create-key": {
      const body: Record<string, unknown> = { name: required(values, "name") };
      if (values.provisioning) body.provisioning = true;
      if (values.limit !== undefined) {
        body.limit = Number(values.limit);
        if (!Number.isFinite(body.limit)) throw new Error(`--limit must be a USD amount, got ${values.limit}`);
      }
      if (values["limit-reset"] !== undefined) body.limit_reset = values["limit-reset"];
      if (values["rate-limit"] !== undefined) body.rate_limit = parseRateLimit(values["rate-limit"]);
      const reply = await adminCall<{ key: string }>(options, "POST", `/accounts/${account()}/keys`, body);
      print(reply.json);
      console.error("The key is shown once: store it now.");
      return 0;
    }
    case "disable-key":
    case "enable-key": {
      const hash = encodeURIComponent(required(values, "hash"));
      const disabled = command === "disable-key";
      print((await adminCall(options, "PATCH", `/accounts/${account()}/keys/${hash}`, { disabled })).json);
      return 0;
    }
    case "delete-key": {
      const hash = encodeURIComponent(required(values, "hash"));
      print((await adminCall(options, "DELETE", `/accounts/${account()}/keys/${hash}`)).json);
      return 0;
    }
    case "seed-dev": {
      const keys = await seedDev({ ...options, credits: values.credits });
      console.log(devBanner(url, keys, token));
      return 0;
    }
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}

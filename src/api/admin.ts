import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import { bearerToken } from "../auth/middleware";
import { accountStub, settledAccount, unwrap } from "../billing/client";
import { issueKey, patchFromBody, revokeKey } from "../billing/keys-service";
import { parseUsdToNanos } from "../billing/money";
import { accountData, creditEntryData, creditsData, keyData } from "../billing/present";
import type { AppEnv } from "../context";
import { routes } from "../routes";
import {
  AccountIdSchema,
  AdminCreateKeyBodySchema,
  CreateAccountBodySchema,
  GrantBodySchema,
  UpdateKeyBodySchema,
} from "../schema/accounting";
import { GatewayError } from "../schema/errors";
import { parseJsonBody, parseWith } from "../schema/validate";

/**
 * The operator's admin API, mounted at `/api/v1/admin`: accounts, credits and first keys. It is
 * off (404) unless the `ADMIN_TOKEN` secret is set, and every call must carry
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
 */
export const adminRoutes = routes();

const encoder = new TextEncoder();

/** Compares two secrets in constant time (hashing first hides their lengths too). */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) throw new GatewayError(404, "The admin API is disabled: set the ADMIN_TOKEN secret to enable it");
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !(await sameSecret(token, expected))) {
    throw new GatewayError(401, "Invalid admin token: send `Authorization: Bearer <ADMIN_TOKEN>`");
  }
  await next();
});

adminRoutes.use("*", requireAdmin);

const AccountPathSchema = z.object({ id: AccountIdSchema });
function accountIdParam(value: string | undefined): string {
  return parseWith(AccountPathSchema, { id: value }).id;
}

function newAccountId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `acct-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A signed USD amount ("-2.5", 10) in nano-dollars, exactly. */
export function signedUsdToNanos(amount: string | number): number {
  if (typeof amount === "number") {
    const nanos = parseUsdToNanos(Math.abs(amount));
    return amount < 0 ? -nanos : nanos;
  }
  const text = amount.trim();
  const negative = text.startsWith("-");
  const nanos = parseUsdToNanos(negative ? text.slice(1) : text);
  return negative ? -nanos : nanos;
}

adminRoutes.post("/accounts", async (c) => {
  const body = await parseJsonBody(c.req.raw, CreateAccountBodySchema);
  const id = body.id ?? newAccountId();
  const summary = unwrap(await accountStub(c.env, id).adminInitAccount(id, body.name));
  return c.json(accountData(summary), 201);
});

adminRoutes.get("/accounts/:id", async (c) => {
  const id = accountIdParam(c.req.param("id"));
  const account = await settledAccount(c.env, id, c.executionCtx);
  const summary = unwrap(await account.adminSummary());
  const ledger = await account.adminCredits(100);
  return c.json({ ...accountData(summary), credits: ledger.map(creditEntryData) });
});

adminRoutes.post("/accounts/:id/credits", async (c) => {
  const id = accountIdParam(c.req.param("id"));
  const body = await parseJsonBody(c.req.raw, GrantBodySchema);
  let amountNanos: number;
  try {
    amountNanos = signedUsdToNanos(body.amount);
  } catch (error) {
    throw new GatewayError(400, `Invalid request: amount: ${(error as Error).message}`);
  }
  const result = unwrap(
    await accountStub(c.env, id).adminGrant({ idempotencyId: body.idempotency_id, amountNanos, reason: body.reason }),
  );
  const totals = result.totals;
  return c.json(
    {
      ...creditEntryData(result.entry),
      duplicate: result.duplicate,
      account: id,
      ...creditsData(totals),
      balance: (totals.creditsNanos - totals.usageNanos) / 1e9,
    },
    result.duplicate ? 200 : 201,
  );
});

adminRoutes.post("/accounts/:id/keys", async (c) => {
  const id = accountIdParam(c.req.param("id"));
  const body = await parseJsonBody(c.req.raw, AdminCreateKeyBodySchema);
  const issued = await issueKey(c.env, id, body, { callerHash: null, isProvisioning: body.provisioning ?? false });
  return c.json({ key: issued.key, data: keyData(issued.view, id) }, 201);
});

adminRoutes.patch("/accounts/:id/keys/:hash", async (c) => {
  const id = accountIdParam(c.req.param("id"));
  const body = await parseJsonBody(c.req.raw, UpdateKeyBodySchema);
  const view = unwrap(await accountStub(c.env, id).adminUpdateKey(c.req.param("hash"), patchFromBody(body)));
  return c.json({ data: keyData(view, id) });
});

adminRoutes.delete("/accounts/:id/keys/:hash", async (c) => {
  const id = accountIdParam(c.req.param("id"));
  await revokeKey(c.env, id, c.req.param("hash"), null);
  return c.json({ deleted: true });
});

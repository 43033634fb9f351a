import * as z from "zod/mini";
import { parseInterval } from "../billing/windows";

/**
 * Request bodies of the accounting API: key provisioning (OpenRouter's `/keys` shapes) and the
 * operator admin API. Amounts are USD; unknown fields are ignored, as OpenRouter does.
 */

const usd = z.number().check(z.nonnegative(), z.lte(9_000_000, "must be at most 9000000 USD"));

export const LimitResetSchema = z.enum(["daily", "weekly", "monthly"]);

/** Tollgate extension: a per-key request rate limit, e.g. `{"requests": 60, "interval": "1m"}`. */
export const RateLimitSchema = z.object({
  requests: z.number().check(z.int(), z.positive(), z.lte(1_000_000)),
  interval: z.string().check(z.refine((s) => parseInterval(s) !== null, 'must look like "10s", "1m", "1h" or "1d"')),
});

const keyName = z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(200));

/**
 * When a key stops working. A time already past would make a key refused (401) from its first
 * request, which no caller means: a 400 says so instead of handing out a dead secret.
 */
const expiresAt = z.iso
  .datetime({ offset: true })
  .check(z.refine((value) => Date.parse(value) > Date.now(), "must be in the future"));

/** POST /keys (and the admin create-key body, which adds `provisioning`). */
export const CreateKeyBodySchema = z.object({
  name: keyName,
  limit: z.optional(z.nullable(usd)),
  limit_reset: z.optional(z.nullable(LimitResetSchema)),
  include_byok_in_limit: z.optional(z.boolean()),
  expires_at: z.optional(z.nullable(expiresAt)),
  creator_user_id: z.optional(z.nullable(z.string().check(z.maxLength(200)))),
  rate_limit: z.optional(z.nullable(RateLimitSchema)),
});
export type CreateKeyBody = z.infer<typeof CreateKeyBodySchema>;

/**
 * PATCH /keys/{hash}. `expires_at` is a Tollgate extension (OpenRouter sets it only at creation):
 * taken rather than ignored, since a 200 that left the expiry as it was would be read as done.
 */
export const UpdateKeyBodySchema = z.object({
  name: z.optional(keyName),
  expires_at: z.optional(z.nullable(expiresAt)),
  disabled: z.optional(z.boolean()),
  limit: z.optional(z.nullable(usd)),
  limit_reset: z.optional(z.nullable(LimitResetSchema)),
  include_byok_in_limit: z.optional(z.boolean()),
  rate_limit: z.optional(z.nullable(RateLimitSchema)),
});
export type UpdateKeyBody = z.infer<typeof UpdateKeyBodySchema>;

/** GET /keys query. */
export const ListKeysQuerySchema = z.object({
  offset: z._default(z.coerce.number().check(z.int(), z.nonnegative()), 0),
  include_disabled: z.pipe(
    z.optional(z.enum(["true", "false", "1", "0"])),
    z.transform((v) => v === "true" || v === "1"),
  ),
});

export const AccountIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "must be 1-64 letters, digits, '_' or '-'"));

/** POST /admin/accounts. */
export const CreateAccountBodySchema = z.object({
  name: z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(200)),
  /** Optional: choose the account id (e.g. "dev"); a random one is made otherwise. */
  id: z.optional(AccountIdSchema),
});

/** A USD amount as a decimal string ("10", "-2.5", "0.000001") or a JSON number. */
const signedUsd = z.union([
  z.string().check(z.trim(), z.regex(/^-?\d+(\.\d{1,9})?$/, "must be a decimal USD amount with at most 9 decimals")),
  z.number(),
]);

/** POST /admin/accounts/{id}/credits. */
export const GrantBodySchema = z.object({
  amount: signedUsd.check(z.refine((v) => Number(v) !== 0, "must not be zero")),
  reason: z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(500)),
  idempotency_id: z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(200)),
});

/** POST /admin/accounts/{id}/keys. */
export const AdminCreateKeyBodySchema = z.extend(CreateKeyBodySchema, {
  provisioning: z.optional(z.boolean()),
});

/** Days of activity `GET /activity` covers: the last 30 completed UTC days, as OpenRouter's. */
export const ACTIVITY_DAYS = 30;

/**
 * GET /activity query (OpenRouter's): one day of those it covers, one key of the account, one
 * end user (the requests' `user`). Accounts here have no workspaces: asking for them is refused
 * by name rather than answered as if every account had one.
 */
export const ActivityQuerySchema = z.object({
  date: z.optional(
    z.string().check(
      z.regex(/^\d{4}-\d{2}-\d{2}$/, "must be a UTC date as YYYY-MM-DD"),
      z.refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), "must be a UTC date as YYYY-MM-DD"),
    ),
  ),
  api_key_hash: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be a key's hash (64 hexadecimal digits, as /keys lists it)")),
  ),
  user_id: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  group_by: z.optional(z.never({ error: "workspaces are not supported: an account here has none" })),
  workspace_id: z.optional(z.never({ error: "workspaces are not supported: an account here has none" })),
});

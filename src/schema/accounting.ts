import * as z from "zod";
import { parseInterval } from "../billing/windows";

/**
 * Request bodies of the accounting API: key provisioning (OpenRouter's `/keys` shapes) and the
 * operator admin API. Amounts are USD; unknown fields are ignored, as OpenRouter does.
 */

const usd = z.number().finite().nonnegative().max(9_000_000, "must be at most 9000000 USD");

export const LimitResetSchema = z.enum(["daily", "weekly", "monthly"]);

/** Tollgate extension: a per-key request rate limit, e.g. `{"requests": 60, "interval": "1m"}`. */
export const RateLimitSchema = z.object({
  requests: z.number().int().positive().max(1_000_000),
  interval: z.string().refine((s) => parseInterval(s) !== null, 'must look like "10s", "1m", "1h" or "1d"'),
});

const keyName = z.string().trim().min(1, "must not be empty").max(200);

/**
 * When a key stops working. A time already past would make a key refused (401) from its first
 * request, which no caller means: a 400 says so instead of handing out a dead secret.
 */
const expiresAt = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) > Date.now(), "must be in the future");

/** POST /keys (and the admin create-key body, which adds `provisioning`). */
export const CreateKeyBodySchema = z.object({
  name: keyName,
  limit: usd.nullable().optional(),
  limit_reset: LimitResetSchema.nullable().optional(),
  include_byok_in_limit: z.boolean().optional(),
  expires_at: expiresAt.nullable().optional(),
  creator_user_id: z.string().max(200).nullable().optional(),
  rate_limit: RateLimitSchema.nullable().optional(),
});
export type CreateKeyBody = z.infer<typeof CreateKeyBodySchema>;

/**
 * PATCH /keys/{hash}. `expires_at` is a Tollgate extension (OpenRouter sets it only at creation):
 * taken rather than ignored, since a 200 that left the expiry as it was would be read as done.
 */
export const UpdateKeyBodySchema = z.object({
  name: keyName.optional(),
  expires_at: expiresAt.nullable().optional(),
  disabled: z.boolean().optional(),
  limit: usd.nullable().optional(),
  limit_reset: LimitResetSchema.nullable().optional(),
  include_byok_in_limit: z.boolean().optional(),
  rate_limit: RateLimitSchema.nullable().optional(),
});
export type UpdateKeyBody = z.infer<typeof UpdateKeyBodySchema>;

/** GET /keys query. */
export const ListKeysQuerySchema = z.object({
  offset: z.coerce.number().int().nonnegative().default(0),
  include_disabled: z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => v === "true" || v === "1"),
});

export const AccountIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "must be 1-64 letters, digits, '_' or '-'");

/** POST /admin/accounts. */
export const CreateAccountBodySchema = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200),
  /** Optional: choose the account id (e.g. "dev"); a random one is made otherwise. */
  id: AccountIdSchema.optional(),
});

/** A USD amount as a decimal string ("10", "-2.5", "0.000001") or a JSON number. */
const signedUsd = z.union([
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d{1,9})?$/, "must be a decimal USD amount with at most 9 decimals"),
  z.number().finite(),
]);

/** POST /admin/accounts/{id}/credits. */
export const GrantBodySchema = z.object({
  amount: signedUsd.refine((v) => Number(v) !== 0, "must not be zero"),
  reason: z.string().trim().min(1, "must not be empty").max(500),
  idempotency_id: z.string().trim().min(1, "must not be empty").max(200),
});

/** POST /admin/accounts/{id}/keys. */
export const AdminCreateKeyBodySchema = CreateKeyBodySchema.extend({
  provisioning: z.boolean().optional(),
});

/** Days of activity `GET /activity` covers: the last 30 completed UTC days, as OpenRouter's. */
export const ACTIVITY_DAYS = 30;

/**
 * GET /activity query (OpenRouter's): one day of those it covers, one key of the account, one
 * end user (the requests' `user`). Accounts here have no workspaces: asking for them is refused
 * by name rather than answered as if every account had one.
 */
export const ActivityQuerySchema = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a UTC date as YYYY-MM-DD")
    .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), "must be a UTC date as YYYY-MM-DD")
    .optional(),
  api_key_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be a key's hash (64 hexadecimal digits, as /keys lists it)")
    .optional(),
  user_id: z.string().min(1).max(1000).optional(),
  group_by: z.never({ error: "workspaces are not supported: an account here has none" }).optional(),
  workspace_id: z.never({ error: "workspaces are not supported: an account here has none" }).optional(),
});

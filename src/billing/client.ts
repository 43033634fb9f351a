import type { Env } from "../env";
import { GatewayError } from "../schema/errors";
import type { Outcome } from "./account-types";
import type { ReserveInput, ReserveResult, SettleInput } from "./contract";

/** The Account Durable Object of `accountId` (one per account, addressed by name). */
export function accountStub(env: Env, accountId: string) {
  return env.ACCOUNTS.get(env.ACCOUNTS.idFromName(accountId));
}

const RETRIES = 2;

/**
 * Retries a call that failed before the object ran it or with an error the runtime marks
 * retryable (an object reset or overload). Safe because reserve and settle are idempotent per
 * generation id: a repeated reserve keeps the one hold, a repeated settle changes nothing.
 */
async function withRetry<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retryable = (error as { retryable?: boolean } | null)?.retryable === true;
      if (!retryable || attempt >= RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

/**
 * Step 5 of the request path: one RPC that checks the key is live, applies its rate limit and
 * holds the worst-case cost. On `ok: false` answer with `status` and `message` (and a
 * `retry-after` header when `retryAfterSeconds` is set).
 */
export function reserve(env: Env, accountId: string, input: ReserveInput): Promise<ReserveResult> {
  return withRetry(() => accountStub(env, accountId).reserve(input));
}

/**
 * Step 8, inside `ctx.waitUntil`: charges `record.costNanos` and writes the generation record, or
 * with `record: null` only releases the hold. Never charges a generation twice.
 */
export async function settle(env: Env, accountId: string, input: SettleInput): Promise<void> {
  await withRetry(() => accountStub(env, accountId).settle(input));
}

/** Unwraps an Account object outcome, turning a refusal into an OpenRouter-shaped error. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new GatewayError(outcome.status, outcome.message);
}

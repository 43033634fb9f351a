import type { Env } from "../env";
import { GatewayError } from "../schema/errors";
import type { Outcome } from "./account-types";
import type { ReserveInput, ReserveResult, SettleInput } from "./contract";
import type { SettleOutcome } from "./reservations";

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
async function withRetry<T>(call: (retried: boolean) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(attempt > 0);
    } catch (error) {
      const retryable = (error as { retryable?: boolean } | null)?.retryable === true;
      if (!retryable || attempt >= RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

/** How long a settlement waits for a reservation to the same account that it can ride along with. */
const SETTLE_GATHER_MS = 20;
/** Settlements past which a gathered batch is sent at once. */
const MAX_GATHERED = 64;

type SettleResult = SettleOutcome | { failed: string };

interface QueuedSettle {
  input: SettleInput;
  /** Set when a call (this request's or another's) has taken it to the Account object. */
  taken: boolean;
}

/**
 * Settlements waiting to be sent, per account, in this isolate. Under load a reservation carries
 * the settlements queued before it, so a request costs one Durable Object call instead of two;
 * one that no reservation picked up within SETTLE_GATHER_MS is sent by its own request, with any
 * others still queued. Only plain data is shared between requests (workerd forbids resolving one
 * request's promises from another's), and each request stays alive until its own settlement was
 * taken by some call.
 */
const queued = new Map<string, QueuedSettle[]>();

function takeQueued(accountId: string): QueuedSettle[] {
  const settles = queued.get(accountId) ?? [];
  queued.delete(accountId);
  for (const settle of settles) settle.taken = true;
  return settles;
}

function logFailures(settles: QueuedSettle[], results: SettleResult[] | undefined, error?: unknown): void {
  settles.forEach((settle, i) => {
    const result = results?.[i];
    if (result && !("failed" in result)) return;
    const reason = error ?? (result && "failed" in result ? result.failed : "missing from the batch reply");
    console.error(JSON.stringify({ msg: "settle failed", id: settle.input.generationId, error: String(reason) }));
  });
}

async function sendSettles(env: Env, accountId: string, settles: QueuedSettle[]): Promise<void> {
  if (settles.length === 0) return;
  try {
    const results = await withRetry(() => accountStub(env, accountId).settleMany(settles.map((s) => s.input)));
    logFailures(settles, results);
  } catch (error) {
    logFailures(settles, undefined, error);
  }
}

/**
 * Step 5 of the request path: one RPC that checks the key is live, applies its rate limit and
 * holds the worst-case cost (carrying any settlements queued for the account). On `ok: false`
 * answer with `status` and `message` (and a `retry-after` header when `retryAfterSeconds` is set).
 */
export async function reserve(env: Env, accountId: string, input: ReserveInput): Promise<ReserveResult> {
  const settles = takeQueued(accountId);
  const attempt = (retried: boolean) => (retried ? { ...input, retried } : input);
  if (settles.length === 0) return withRetry((retried) => accountStub(env, accountId).reserve(attempt(retried)));
  try {
    const reply = await withRetry((retried) =>
      accountStub(env, accountId).reserveAfter(
        settles.map((s) => s.input),
        attempt(retried),
      ),
    );
    logFailures(settles, reply.settled);
    return reply.reserve;
  } catch (error) {
    // The reservation fails for its caller; the settlements it carried are sent by themselves
    // first (settling twice is harmless: each is idempotent per generation id).
    await sendSettles(env, accountId, settles);
    throw error;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Step 8, inside `ctx.waitUntil`: charges `record.costNanos` and writes the generation record, or
 * with `record: null` only releases the hold. Never charges a generation twice. Resolves once the
 * settlement was sent, by this request or carried by another one's reservation.
 */
export async function settle(env: Env, accountId: string, input: SettleInput): Promise<void> {
  const entry: QueuedSettle = { input, taken: false };
  const queue = queued.get(accountId);
  if (queue) queue.push(entry);
  else queued.set(accountId, [entry]);
  if ((queue?.length ?? 1) < MAX_GATHERED) await sleep(SETTLE_GATHER_MS);
  if (!entry.taken) await sendSettles(env, accountId, takeQueued(accountId));
}

/** Unwraps an Account object outcome, turning a refusal into an OpenRouter-shaped error. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new GatewayError(outcome.status, outcome.message);
}

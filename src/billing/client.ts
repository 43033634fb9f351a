import type { Env } from "../env";
import { cachedIn } from "../refreshing";
import { GatewayError } from "../schema/errors";
import { sleep, withinDeadline } from "../sleep";
import type { Outcome } from "./account-types";
import type { ReserveInput, ReserveResult, SettleInput } from "./contract";
import { keepUndelivered, notTaken } from "./dead-letters";
import { reservationAnswered, reservationSent } from "./head-start";
import { type Lease, leaseExpired } from "./leases";
import type { SettleOutcome } from "./reservations";

/** The regions an object can be asked to start in (`locationHint`), as the runtime names them. */
const LOCATION_HINTS: readonly DurableObjectLocationHint[] = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
];

let placement:
  | { hint: string | undefined; options: DurableObjectNamespaceGetDurableObjectOptions | undefined }
  | undefined;

/**
 * `ACCOUNT_LOCATION_HINT`: the region a new account's object starts in (it stays there; the
 * hint does nothing for an object that already exists). Every request's reservation goes to the
 * object, so it belongs near the users, or near the providers with Smart Placement. A value the
 * runtime does not know is ignored, once, with an error log line, rather than failing requests.
 */
function stubOptions(env: Env): DurableObjectNamespaceGetDurableObjectOptions | undefined {
  const hint = env.ACCOUNT_LOCATION_HINT || undefined;
  if (placement !== undefined && placement.hint === hint) return placement.options;
  const known = LOCATION_HINTS.find((region) => region === hint);
  if (hint && !known) {
    console.error(JSON.stringify({ msg: "ACCOUNT_LOCATION_HINT ignored", value: hint, expected: LOCATION_HINTS }));
  }
  placement = { hint, options: known ? { locationHint: known } : undefined };
  return placement.options;
}

/** Object ids by account id: deriving one hashes the name, and the request path needs it twice a request. */
const ids = new Map<string, DurableObjectId>();
const MAX_IDS = 4096;

/** The Account Durable Object of `accountId` (one per account, addressed by name). */
export function accountStub(env: Env, accountId: string) {
  const id = cachedIn(ids, accountId, MAX_IDS, () => env.ACCOUNTS.idFromName(accountId));
  return env.ACCOUNTS.get(id, stubOptions(env));
}

/** When a failed call is tried again: given the error, the tries so far and the time since the first. */
type RetryPolicy = (error: unknown, tries: number, elapsedMs: number) => boolean;

/**
 * A reservation is retried twice when the runtime marks its failure retryable (an object reset or
 * overload): the client waits for its answer.
 */
const RESERVE_RETRIES: RetryPolicy = (error, tries) =>
  (error as { retryable?: boolean } | null)?.retryable === true && tries <= 2;

/**
 * How long settlements keep being sent to an object that cannot be reached (a reset, an overload,
 * a deploy), or wait for its answer, before they are given up and kept in KV for the cron to
 * redeliver (dead-letters.ts): within the 30 s a Worker's `waitUntil` has after its response,
 * leaving time for the KV write.
 */
export const SETTLE_DELIVERY_MS = 20_000;
/** Settlements are retried whatever the error, for SETTLE_DELIVERY_MS: nobody waits on them. */
const SETTLE_RETRIES: RetryPolicy = (_error, _tries, elapsedMs) => elapsedMs <= SETTLE_DELIVERY_MS;

/**
 * Calls until the call succeeds or `again` gives up, backing off from 20 ms to 2 s a try. Safe
 * because reserve and settle are idempotent per generation id: a repeated reserve keeps the one
 * hold, a repeated settle (a call that ran, its reply lost) changes nothing.
 */
async function withRetry<T>(call: (retried: boolean) => Promise<T>, again: RetryPolicy): Promise<T> {
  const started = Date.now();
  for (let tries = 1; ; tries++) {
    try {
      return await call(tries > 1);
    } catch (error) {
      const wait = Math.min(2_000, 20 * 2 ** (tries - 1));
      if (!again(error, tries, Date.now() + wait - started)) throw error;
      await sleep(wait);
    }
  }
}

/** How long a settlement waits for a reservation to the same account that it can ride along with. */
export const SETTLE_GATHER_MS = 20;
/** Settlements past which a gathered batch is sent at once. */
export const MAX_GATHERED = 64;

type SettleResult = SettleOutcome | { failed: string };

/**
 * Settlements waiting to be sent for one account, in this isolate. Under load a reservation
 * carries the settlements queued before it, so a request costs one Durable Object call instead of
 * two. Whatever no reservation carried is sent when the gathering window closes, by the request
 * that opened it: that request stays alive (its window is a pending timer) until it has sent the
 * queue, so the others queued behind it need not stay alive themselves. Keeping every request
 * alive through its own window cost a timer wake-up and a later teardown per request (with the
 * reservation's transaction, dropped alike, 5-8% of the gateway's CPU per request, in an A/B run).
 */
interface SettleQueue {
  inputs: SettleInput[];
  /** True while a request holds the gathering window open; it sends the queue when it closes. */
  windowOpen: boolean;
}

const queues = new Map<string, SettleQueue>();

function queueOf(accountId: string): SettleQueue {
  let queue = queues.get(accountId);
  if (!queue) {
    queue = { inputs: [], windowOpen: false };
    queues.set(accountId, queue);
  }
  return queue;
}

function takeQueued(accountId: string): SettleInput[] {
  const queue = queues.get(accountId);
  if (!queue) return [];
  const inputs = queue.inputs;
  queue.inputs = [];
  // Empty and with no window open, a queue holds nothing worth keeping: the map only keeps
  // accounts with settlements in flight.
  if (!queue.windowOpen) queues.delete(accountId);
  return inputs;
}

/**
 * Logs each settlement of the batch the object did not take (`error`: the whole call failed) and
 * keeps them in KV, for the cron to send again: a settlement the object refused (a record it
 * could not write) may be taken by a later deploy, and its hold would otherwise expire unpaid.
 */
function keepNotTaken(
  env: Env,
  accountId: string,
  settles: SettleInput[],
  results: SettleResult[] | undefined,
  error?: unknown,
): Promise<unknown> | undefined {
  const refused = notTaken(settles, results);
  if (refused.length === 0) return undefined;
  for (const { settle, reason } of refused) {
    console.error(JSON.stringify({ msg: "settle failed", id: settle.generationId, error: String(error ?? reason) }));
  }
  const kept = refused.map(({ settle }) => settle);
  return keepUndelivered(env.KEYS, accountId, kept);
}

/**
 * Sends a batch of settlements (SETTLE_RETRIES); given up, or refused one by one, they are kept in
 * KV as a dead letter, which the cron sends again until the object takes them (settling twice
 * changes nothing).
 */
async function sendSettles(env: Env, accountId: string, settles: SettleInput[]): Promise<void> {
  if (settles.length === 0) return;
  try {
    // Bounded as a whole, not only between tries: a call that hangs instead of failing would
    // otherwise outlast waitUntil's 30 s, and the batch be lost before it could be kept in KV.
    const results = await withinDeadline(
      withRetry(() => accountStub(env, accountId).settleMany(settles), SETTLE_RETRIES),
      SETTLE_DELIVERY_MS,
    );
    await keepNotTaken(env, accountId, settles, results);
  } catch (error) {
    await keepNotTaken(env, accountId, settles, undefined, error);
  }
}

/**
 * The account's object, once the settlements this isolate has gathered for it are in: for the
 * reads that report spend and generations (/generation, /credits, /key, /keys, the operator's
 * account summary; /activity's days are over, so it reads as it is), so that a client reading
 * right after its reply, through the same isolate, sees what that reply cost although its
 * settlement was gathered rather than sent on its own. What is queued is sent now, from this
 * request (kept alive past it: the requests it was queued by may be over), and the read waits for
 * it; one that fails does not fail the read. A batch already on its way (its
 * window closed) is not waited for: a request waiting on another's call, with no I/O of its own
 * pending, is cancelled by workerd as hung; it was sent to the object before the read is.
 */
export async function settledAccount(env: Env, accountId: string, ctx: Pick<ExecutionContext, "waitUntil">) {
  const queued = takeQueued(accountId);
  if (queued.length > 0) {
    const sending = sendSettles(env, accountId, queued);
    ctx.waitUntil(sending);
    await sending.catch(() => undefined);
  }
  return accountStub(env, accountId);
}

/**
 * Step 5 of the request path: one RPC that checks the key is live, applies its rate limit and
 * holds the worst-case cost (carrying any settlements queued for the account). On `ok: false`
 * answer with `status` and `message` (and a `retry-after` header when `retryAfterSeconds` is set).
 * The answer also sets what the key's next requests in this isolate may start on (head-start.ts).
 */
export async function reserve(
  env: Env,
  accountId: string,
  input: ReserveInput,
  /** Keeps work started here alive past the request's reply (ctx.waitUntil). */
  keepAlive: (work: Promise<unknown>) => void = (work) => void work,
): Promise<ReserveResult> {
  const sent = reservationSent(input.keyHash, input.worstCaseNanos, Date.now());
  const tries = { retried: false };
  try {
    const result = await reserveCarrying(env, accountId, input, keepAlive, tries);
    reservationAnswered(sent, result.ok ? result.headStartNanos : 0, Date.now());
    // A try whose answer was lost may have been applied: a retry refused after it (the key
    // disabled meanwhile, say) would leave that hold, and any lease it granted, to the 15-minute
    // expiry, keeping their money from the key's and the account's other requests.
    if (!result.ok && tries.retried) keepAlive(releaseUnanswered(env, accountId, input));
    return result;
  } catch (error) {
    reservationAnswered(sent, 0, Date.now());
    // The same for a call that never answered at all (any try of it may have been applied).
    keepAlive(releaseUnanswered(env, accountId, input));
    throw error;
  }
}

/**
 * Releases what a reservation left without a usable answer may have placed: its hold and the
 * lease it asked for. Harmless when it placed nothing: a release of no hold changes nothing.
 */
function releaseUnanswered(env: Env, accountId: string, input: ReserveInput): Promise<void> {
  const releases: SettleInput[] = [{ keyHash: input.keyHash, generationId: input.generationId, record: null }];
  if (input.lease) releases.push(leaseRelease({ id: input.lease.id, keyHash: input.keyHash }));
  return settle(env, accountId, releases);
}

async function reserveCarrying(
  env: Env,
  accountId: string,
  input: ReserveInput,
  keepAlive: (work: Promise<unknown>) => void,
  tries: { retried: boolean },
): Promise<ReserveResult> {
  const settles = takeQueued(accountId);
  const attempt = (retried: boolean) => {
    if (!retried) return input;
    tries.retried = true;
    return { ...input, retried };
  };
  if (settles.length === 0) {
    return withRetry<ReserveResult>(
      (retried) => accountStub(env, accountId).reserve(attempt(retried)),
      RESERVE_RETRIES,
    );
  }
  const call = withRetry(
    (retried) => accountStub(env, accountId).reserveAfter(settles, attempt(retried)),
    RESERVE_RETRIES,
  );
  // From here this request alone delivers the settlements it carries (their own requests may be
  // over), so their delivery is kept alive from now on, not from the answer: a client that leaves
  // while the call is in flight, or waits out a retry, cancels a request with no such work
  // pending, and would take them down with it, their generations never charged. Should the
  // reservation fail, they are sent by themselves (settling twice is harmless: each is idempotent
  // per generation id).
  keepAlive(
    call.then(
      (reply) => keepNotTaken(env, accountId, settles, reply.settled),
      () => sendSettles(env, accountId, settles),
    ),
  );
  return (await call).reserve;
}

/**
 * Step 8, inside `ctx.waitUntil`: charges `record.costNanos` and writes the generation record, or
 * with `record: null` only releases the hold. Never charges a generation twice. Resolves once the
 * settlement is in the hands of a request that is alive and will send it: at once when a
 * gathering window is open for the account (its request sends the queue when it closes, unless a
 * reservation or a read of the account (settledAccount) takes it sooner), otherwise after this
 * request has held the window open and sent the queue itself. A generation that ran alone in the
 * isolate is gathered too: sent on its own, its call and its commit on the object cost 18-21% more
 * CPU a request at concurrency 1 in the benchmark, and ran while the next request waited (a p50
 * 0.04-0.14 ms higher, side by side); its client still reads its stats at once (settledAccount).
 */
export async function settle(env: Env, accountId: string, input: SettleInput | readonly SettleInput[]): Promise<void> {
  await queueSettle(env, accountId, input);
}

/**
 * `settle`, for a caller that keeps its own request alive: returns the work the request must keep
 * alive (waitUntil), or undefined when the settlement was queued behind a window another request
 * holds open (under load, nearly every one), so that such a request needs no waitUntil at all.
 */
export function queueSettle(
  env: Env,
  accountId: string,
  input: SettleInput | readonly SettleInput[],
): Promise<void> | undefined {
  const queue = queueOf(accountId);
  // Several given together are queued together, so they go in one call, in their order.
  if (Array.isArray(input)) queue.inputs.push(...input);
  else queue.inputs.push(input as SettleInput);
  if (queue.inputs.length >= MAX_GATHERED) return sendSettles(env, accountId, takeQueued(accountId));
  if (queue.windowOpen) return undefined;
  queue.windowOpen = true;
  return sendWhenWindowCloses(env, accountId, queue);
}

async function sendWhenWindowCloses(env: Env, accountId: string, queue: SettleQueue): Promise<void> {
  await sleep(SETTLE_GATHER_MS);
  queue.windowOpen = false;
  await sendSettles(env, accountId, takeQueued(accountId));
}

/** What releases the rest of a closed lease: settling its id with no record frees its hold. */
export function leaseRelease(lease: Pick<Lease, "id" | "keyHash">): SettleInput {
  return { keyHash: lease.keyHash, generationId: lease.id, record: null };
}

/** Releases the rest of a closed lease. */
export function releaseLease(env: Env, lease: Pick<Lease, "id" | "accountId" | "keyHash">): Promise<void> {
  return settle(env, lease.accountId, leaseRelease(lease));
}

/**
 * Inside the waitUntil of the request that got the lease: at the end of the lease's time, closes
 * it and releases its rest, unless generations started under it are still in flight (the last to
 * settle releases it then).
 */
export async function closeLeaseWhenDue(env: Env, lease: Lease): Promise<void> {
  await sleep(Math.max(0, lease.until - Date.now()));
  if (leaseExpired(lease)) await releaseLease(env, lease);
}

/**
 * Renews the holds a generation still running keeps (its own, or its lease's): see
 * reservations.ts renewHolds. Not retried: the generation renews again well before the expiry.
 */
export function renewHolds(env: Env, accountId: string, ids: string[]): Promise<number> {
  return accountStub(env, accountId).renewHolds(ids);
}

/** Unwraps an Account object outcome, turning a refusal into an OpenRouter-shaped error. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new GatewayError(outcome.status, outcome.message);
}

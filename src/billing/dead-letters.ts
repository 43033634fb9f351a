import type { SettleInput } from "./contract";
import type { SettleOutcome } from "./reservations";

/**
 * Settlements the Account object could not take within their delivery window (client.ts's
 * SETTLE_DELIVERY_MS), kept in KV until the cron (redelivery.ts) hands them over: without them
 * their holds would expire unpaid and the generations would go unrecorded. They live in the
 * `KEYS` namespace under a prefix no key hash (64 hex digits) can start with, so no new namespace
 * is needed, and nothing on the request path reads them.
 */
export const DEAD_LETTER_PREFIX = "settle-dead:";

/** One batch of undelivered settlements of one account, as stored (JSON). */
export interface DeadLetter {
  accountId: string;
  /** When the batch was given up (ms since the epoch). */
  writtenAt: number;
  settles: SettleInput[];
}

/**
 * One letter per batch, under a fresh id: an id taken from its settlements could be shared by two
 * batches (a settlement sent again in another one), and the second letter would overwrite the first.
 */
function deadLetterKey(accountId: string): string {
  return `${DEAD_LETTER_PREFIX}${accountId}:${crypto.randomUUID()}`;
}

/**
 * Keeps a batch the object could not take, for redelivery. Resolves to the letter's key, or to
 * null when KV refused it too: the batch is then logged whole (as before letters existed), for
 * the operator to apply, since nothing more can be done from here. The log never holds a key,
 * only its hash (SettleInput's), as every log line.
 */
export async function keepUndelivered(
  kv: KVNamespace,
  accountId: string,
  settles: SettleInput[],
): Promise<string | null> {
  const key = deadLetterKey(accountId);
  const letter: DeadLetter = { accountId, writtenAt: Date.now(), settles };
  try {
    await kv.put(key, JSON.stringify(letter));
  } catch (error) {
    console.error(
      JSON.stringify({ msg: "settlements undelivered", account_id: accountId, settles, error: String(error) }),
    );
    return null;
  }
  console.error(
    JSON.stringify({
      msg: "settlements kept for redelivery",
      account_id: accountId,
      dead_letter: key,
      ids: settles.map((settle) => settle.generationId),
    }),
  );
  return key;
}

/**
 * A stored letter, or null when it is gone (delivered since it was listed: KV's listing lags).
 * Throws on a value that is not a letter, for the caller to report and leave for the operator.
 */
export async function readDeadLetter(kv: KVNamespace, key: string): Promise<DeadLetter | null> {
  const value = await kv.get(key);
  if (value === null) return null;
  const letter = JSON.parse(value) as Partial<DeadLetter> | null;
  if (typeof letter?.accountId !== "string" || !Array.isArray(letter.settles)) {
    throw new Error(`${key} holds no dead letter`);
  }
  return letter as DeadLetter;
}

/**
 * The settlements of a batch its object did not take: answered `{failed}`, missing from its reply,
 * or all of them when there is no reply. A duplicate (settled before) was taken.
 */
export function notTaken(
  settles: SettleInput[],
  results: ReadonlyArray<SettleOutcome | { failed: string }> | undefined,
): Array<{ settle: SettleInput; reason: string }> {
  const refused: Array<{ settle: SettleInput; reason: string }> = [];
  settles.forEach((settle, i) => {
    const result = results?.[i];
    if (result && !("failed" in result)) return;
    refused.push({ settle, reason: result ? result.failed : "missing from the reply" });
  });
  return refused;
}

import type { Env } from "../env";
import { accountStub } from "./client";
import { DEAD_LETTER_PREFIX, notTaken, readDeadLetter } from "./dead-letters";
import type { SettleOutcome } from "./reservations";

/**
 * The cron's side of the dead letters (dead-letters.ts): each run hands the kept settlements to
 * their Account objects and deletes a letter once its object has taken every settlement in it.
 * Sending one twice (a letter whose delete failed, two runs overlapping) changes nothing: the
 * object settles a generation once.
 */

/**
 * Letters one run takes at most. Each costs a KV read, a call to an Account object and a KV
 * delete, and on the Workers Free plan an invocation may make 50 subrequests: counting all of
 * them as such (with the run's listing and resume point), a run stays under it. A backlog is
 * worked through over several runs, rather than in one that would be cut off midway.
 */
export const MAX_LETTERS_PER_RUN = 15;

/**
 * Where the next run picks up the listing when the last one stopped at its bound. Without it each
 * run would start from the first letter, and as many letters that keep failing (an object that
 * refuses them) would starve every letter after them.
 */
export const RESUME_KEY = "settle-dead-resume";

export interface RedeliveryRun {
  /** Letters whose settlements the objects all took (and that are deleted). */
  delivered: number;
  /** Letters kept for a later run: their object could not be reached or refused some settlement. */
  kept: number;
}

type SettleReply = Array<SettleOutcome | { failed: string }>;

/** Hands up to `maxLetters` dead letters to their Account objects (the scheduled handler's work). */
export async function redeliverSettlements(env: Env, maxLetters = MAX_LETTERS_PER_RUN): Promise<RedeliveryRun> {
  const kv = env.KEYS;
  const resumed = (await kv.get(RESUME_KEY)) ?? undefined;
  const run: RedeliveryRun = { delivered: 0, kept: 0 };
  let cursor = resumed;
  for (;;) {
    const page = await listLetters(kv, cursor, maxLetters - run.delivered - run.kept);
    // One after the other: a run's time is bounded by its letters, and there is no reply to hurry.
    for (const { name } of page.keys) {
      if (await redeliverLetter(env, name)) run.delivered++;
      else run.kept++;
    }
    cursor = page.list_complete ? undefined : page.cursor;
    if (cursor === undefined || run.delivered + run.kept >= maxLetters) break;
  }
  if (cursor !== undefined) await kv.put(RESUME_KEY, cursor);
  else if (resumed !== undefined) await kv.delete(RESUME_KEY);
  if (run.delivered + run.kept > 0) console.log(JSON.stringify({ msg: "settlements redelivered", ...run }));
  return run;
}

/** A page of letter keys; a resume cursor KV no longer takes starts the listing over. */
async function listLetters(kv: KVNamespace, cursor: string | undefined, limit: number) {
  const options = { prefix: DEAD_LETTER_PREFIX, limit };
  if (cursor === undefined) return kv.list(options);
  try {
    return await kv.list({ ...options, cursor });
  } catch {
    return kv.list(options);
  }
}

/**
 * Sends one letter's settlements to their object and deletes the letter once each was taken (a
 * duplicate, settled before, counts as taken: the object answers it as such, not as a failure).
 * Anything else keeps the letter for the next run, logged. True when the letter is done with.
 */
async function redeliverLetter(env: Env, key: string): Promise<boolean> {
  try {
    const letter = await readDeadLetter(env.KEYS, key);
    // Deleted since it was listed (KV's listing lags behind its deletes): delivered already.
    if (letter === null) return true;
    const reply: SettleReply = await accountStub(env, letter.accountId).settleMany(letter.settles);
    const refused = notTaken(letter.settles, reply).map(({ settle, reason }) => ({
      id: settle.generationId,
      error: reason,
    }));
    if (refused.length > 0) {
      console.error(JSON.stringify({ msg: "dead letter kept", dead_letter: key, refused }));
      return false;
    }
    await env.KEYS.delete(key);
    return true;
  } catch (error) {
    console.error(JSON.stringify({ msg: "dead letter kept", dead_letter: key, error: String(error) }));
    return false;
  }
}

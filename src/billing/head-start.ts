import type { Nanos } from "./money";

/**
 * Head starts: what this isolate last heard from each key's Account object about the room the
 * key had left. A request whose worst case fits in that room may start its first upstream call
 * while its reservation is still on its way to the object, so the object's round trip (a network
 * hop to wherever the account lives) adds nothing to the client's wait. The answer still waits
 * for the reservation, and a refused reservation cancels the call (generation/lifecycle.ts).
 *
 * What this risks: a call the provider starts for a request that is then refused, because the
 * room was used up or the key revoked since the object last answered. Each head start takes its
 * worst case out of the room until the object's next answer resets it, less what the key's
 * reservations from here that the answer could not yet see hold, so an isolate never starts more
 * early calls than the key could pay for when it last looked; a refusal or a failed call
 * forgets the key (its next requests wait), and so does silence: the room is trusted for
 * ROOM_TTL_MS. Keys with a request rate limit never get a room (the object answers 0 for them).
 * `UPSTREAM_HEAD_START=off` turns head starts off.
 */

/** How long the object's last answer about a key is trusted. */
export const ROOM_TTL_MS = 30_000;
/** Keys remembered per isolate; past it the one heard from longest ago is forgotten. */
const MAX_KEYS = 4096;

interface Room {
  nanos: Nanos;
  until: number;
}

const rooms = new Map<string, Room>();

/** A reservation sent from here: its worst case counts against its key's room until it is answered. */
export interface SentReservation {
  readonly keyHash: string;
  readonly nanos: Nanos;
  readonly at: number;
}

/**
 * Per key, its reservations sent from here and not yet answered (a few at most: those in flight).
 * An answer tells the room the object saw after its own hold, before the holds of those sent
 * after it: they are taken from it, or the key's next requests would start early calls on money
 * those requests are already spending. One unanswered for ROOM_TTL_MS stops counting (a request
 * cancelled with its reservation in flight never hears its answer).
 */
const unanswered = new Map<string, SentReservation[]>();

/** A reservation of the key, holding `worstCaseNanos`, goes to the object. */
export function reservationSent(keyHash: string, worstCaseNanos: Nanos, now: number): SentReservation {
  const sent: SentReservation = { keyHash, nanos: worstCaseNanos, at: now };
  const pending = unanswered.get(keyHash);
  if (pending) pending.push(sent);
  else {
    if (unanswered.size >= MAX_KEYS) unanswered.clear();
    unanswered.set(keyHash, [sent]);
  }
  return sent;
}

/**
 * The object answered `sent`: the key's room is what it said (0 for a refusal or a failed call),
 * less the worst cases of the key's reservations from here still unanswered.
 */
export function reservationAnswered(sent: SentReservation, headStartNanos: Nanos, now: number): void {
  const pending = (unanswered.get(sent.keyHash) ?? []).filter((r) => r !== sent && r.at + ROOM_TTL_MS > now);
  if (pending.length > 0) unanswered.set(sent.keyHash, pending);
  else unanswered.delete(sent.keyHash);
  const held = pending.reduce((sum, r) => sum + r.nanos, 0);
  noteRoom(sent.keyHash, headStartNanos - held, now);
}

/** Records the object's answer about a key: the room it has left, or 0 to forget it. */
function noteRoom(keyHash: string, headStartNanos: Nanos, now: number): void {
  // Deleted first so the key moves to the back of the Map's order (oldest news at the front).
  rooms.delete(keyHash);
  if (!(headStartNanos > 0)) return;
  if (rooms.size >= MAX_KEYS) {
    const oldest = rooms.keys().next();
    if (!oldest.done) rooms.delete(oldest.value);
  }
  rooms.set(keyHash, { nanos: headStartNanos, until: now + ROOM_TTL_MS });
}

/** True, taking `worstCaseNanos` from the key's room, when a request may start before its reservation. */
export function takeHeadStart(keyHash: string, worstCaseNanos: Nanos, now: number): boolean {
  const room = rooms.get(keyHash);
  if (!room || room.until <= now || room.nanos < worstCaseNanos) return false;
  room.nanos -= worstCaseNanos;
  return true;
}

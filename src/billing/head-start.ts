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
 * worst case out of the room until the object's next answer resets it, so an isolate never starts
 * more early calls than the key could pay for when it last looked; a refusal or a failed call
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

/** Records the object's answer about a key: the room it has left, or 0 to forget it. */
export function noteRoom(keyHash: string, headStartNanos: Nanos, now: number): void {
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

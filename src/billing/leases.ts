import { cachedIn } from "../refreshing";
import type { LeaseAsk, LeaseGrant } from "./contract";
import type { Nanos } from "./money";

/**
 * Key leases: a busy key's requests in this isolate start without a call to the Account object.
 *
 * Every request otherwise makes one call to its account's object (the reservation), and that
 * call is most of what the gateway adds to a request: the object is a single thread per account,
 * so it also bounds one account's requests per second, wherever they come from. When a key is
 * busy here (a request within BUSY_GAP_MS of the last), its next reservation also asks for a
 * lease: a hold of several worst cases, under an id of its own, that this isolate may start the
 * key's next generations on for `KEY_LEASE_MS` (1 s by default) without asking again. Each takes
 * its worst case out of the lease's room and gives back what it did not cost when it settles; its
 * charge comes out of the lease's hold in the object. When the lease closes (its time is up, or a
 * newer one replaced it) and its last generation has settled, what is left of it is released.
 *
 * What stays true: money is never spent past a balance or a key's limit, since a lease is a hold
 * the object granted like any other, and it holds at most a sixteenth of the key's room
 * (billing/reservations.ts), so a key near its limit gets none and every request of it is checked.
 * A revoked key still stops everywhere at once: the object answers a change that disables,
 * deletes or limits a key only once the key's leases can start no more requests (account-do.ts,
 * leasesClosed), so such a change takes up to `KEY_LEASE_MS` longer to answer, and once answered
 * it holds everywhere. Keys with a request rate limit never get a lease (each request must be
 * counted); nor does a lease outlive its key's expiry. An isolate that dies holding a lease leaves
 * its rest held until the hold's deadline, as it would its requests' own holds.
 * `KEY_LEASE_MS=0` turns leases off.
 */

/** A request this soon after the key's previous one here makes the key busy enough to lease for. */
export const BUSY_GAP_MS = 50;
/** A lease asks for this many worst cases per generation of the key in flight here, within bounds. */
const WORST_CASES_PER_ACTIVE = 2;
const MIN_WORST_CASES = 8;
const MAX_WORST_CASES = 256;
/** Keys tracked per isolate; past it the tracking starts over (leases in flight still close and release). */
const MAX_KEYS = 4096;

export interface Lease {
  readonly id: string;
  readonly accountId: string;
  readonly keyHash: string;
  /** What generations may still start on: granted, less the worst cases in flight and the costs charged. */
  room: Nanos;
  /** Until when (this isolate's clock) new generations may start under it. */
  readonly until: number;
  /** Generations started under it and not yet settled. */
  inFlight: number;
  /** No new generation may start under it: its time is up, or a newer lease replaced it. */
  closed: boolean;
  /** Its rest was handed to be released: happens once. */
  released: boolean;
}

interface KeyState {
  lastRequestAt: number;
  /** Generations of the key started here and not yet settled (sizes the next lease). */
  active: number;
  /** A reservation asking for a lease is in flight: the others do not ask too. */
  asking: boolean;
  lease: Lease | null;
}

const keys = new Map<string, KeyState>();

function stateOf(keyHash: string): KeyState {
  return cachedIn(keys, keyHash, MAX_KEYS, () => ({
    lastRequestAt: Number.NEGATIVE_INFINITY,
    active: 0,
    asking: false,
    lease: null,
  }));
}

/**
 * A request of the key arrives, with its worst case: the lease it starts under (its worst case
 * taken from the lease's room), or else what its reservation should ask for (nothing when the key
 * is not busy, a lease is already being asked for, or leases are off).
 */
export function leaseFor(
  keyHash: string,
  worstCaseNanos: Nanos,
  leaseMs: number,
  now: number,
): { lease: Lease; ask?: undefined } | { lease?: undefined; ask: LeaseAsk | undefined } {
  const state = stateOf(keyHash);
  const busy = now - state.lastRequestAt < BUSY_GAP_MS;
  state.lastRequestAt = now;
  const lease = takeFrom(state, worstCaseNanos, now);
  if (lease) return { lease };
  if (!busy || state.asking || !(leaseMs > 0)) return { ask: undefined };
  state.asking = true;
  const worstCases = Math.min(MAX_WORST_CASES, Math.max(MIN_WORST_CASES, WORST_CASES_PER_ACTIVE * (state.active + 1)));
  return { ask: { id: `lease-${crypto.randomUUID()}`, nanos: worstCaseNanos * worstCases, ms: leaseMs } };
}

/**
 * For a request the object refused for want of money: the key's lease here, with the request's
 * worst case taken from its room, if it has room for it and time left. The money may be in a lease
 * granted here since the request arrived (a burst's first busy request asks while the rest are on
 * their way). A lease closed because a newer one replaced it still serves here while its time
 * lasts: its hold stands until its generations are done.
 */
export function rescueLease(keyHash: string, worstCaseNanos: Nanos, now: number): Lease | null {
  const lease = keys.get(keyHash)?.lease;
  return lease && !lease.released && lease.until > now ? take(lease, worstCaseNanos) : null;
}

function takeFrom(state: KeyState, worstCaseNanos: Nanos, now: number): Lease | null {
  const lease = state.lease;
  return lease && !lease.closed && lease.until > now ? take(lease, worstCaseNanos) : null;
}

function take(lease: Lease, worstCaseNanos: Nanos): Lease | null {
  if (lease.room < worstCaseNanos) return null;
  lease.room -= worstCaseNanos;
  lease.inFlight++;
  return lease;
}

/** A generation of the key started (under a lease or its own hold); `generationEnded` when it settles. */
export function generationStarted(keyHash: string): void {
  stateOf(keyHash).active++;
}

export function generationEnded(keyHash: string): void {
  const state = keys.get(keyHash);
  if (state) state.active = Math.max(0, state.active - 1);
}

/**
 * The object answered a reservation that asked for `ask` (`grant` undefined: refused, failed or
 * granted nothing), sent at `sentAt`: a granted lease's time counts from then. A granted lease
 * becomes the key's, and the one it replaces closes; returns the new lease, and the replaced one
 * when its rest is now to be released.
 */
export function leaseAnswered(
  accountId: string,
  keyHash: string,
  ask: LeaseAsk,
  grant: LeaseGrant | undefined,
  sentAt: number,
): { lease: Lease | null; release: Lease | null } {
  const state = stateOf(keyHash);
  state.asking = false;
  if (!grant) return { lease: null, release: null };
  const replaced = state.lease;
  state.lease = {
    id: ask.id,
    accountId,
    keyHash,
    room: grant.nanos,
    until: sentAt + grant.ms,
    inFlight: 0,
    closed: false,
    released: false,
  };
  return { lease: state.lease, release: replaced ? closing(replaced) : null };
}

/**
 * A generation started under `lease` settled, costing `costNanos` of its `worstCaseNanos`: the
 * rest goes back to the lease's room. True when the lease is now to be released (closed, and this
 * was its last generation).
 */
export function leaseSettled(lease: Lease, worstCaseNanos: Nanos, costNanos: Nanos, now: number): boolean {
  // A charge above its worst case (a prompt the estimate undercounted) took the excess from the
  // lease's hold too: the room shrinks by it, and may go below zero, so that no request starts on
  // money the lease no longer holds.
  lease.room += worstCaseNanos - costNanos;
  lease.inFlight = Math.max(0, lease.inFlight - 1);
  if (!lease.closed && lease.until > now) return false;
  return closing(lease) === lease;
}

/** The lease's time is up: true when it is now to be released (no generation of it in flight). */
export function leaseExpired(lease: Lease): boolean {
  return closing(lease) === lease;
}

/**
 * Closes `lease` to new requests; returns it when its rest is to be released now (once: nothing
 * in flight, not yet released). Until then it stays the key's, for rescueLease.
 */
function closing(lease: Lease): Lease | null {
  lease.closed = true;
  if (lease.inFlight > 0 || lease.released) return null;
  lease.released = true;
  const state = keys.get(lease.keyHash);
  if (state?.lease === lease) state.lease = null;
  return lease;
}

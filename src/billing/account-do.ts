import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { keepShapes } from "../hot-shapes";
import type { PresetDraft, PresetPage } from "../schema/presets";
import { sleep } from "../sleep";
import type {
  AccountSummary,
  AccountTotals,
  GrantInput,
  GrantResult,
  KeyPatch,
  KeySpec,
  KeyView,
  ListKeysInput,
  Outcome,
  Refusal,
} from "./account-types";
import { type ActivityQuery, type ActivityRow, activityRows } from "./activity";
import type { GenerationRecord, ReserveInput, ReserveResult, SettleInput } from "./contract";
import { readGeneration, sumGenerationCosts } from "./generations";
import {
  allKeyRows,
  insertKey,
  type KeyRow,
  listKeyRows,
  markDeleted,
  patchKey,
  readKey,
  readLiveRow,
  refuseKey,
  viewKey,
} from "./key-store";
import { everGranted, grantCredits, initAccount, listCredits, readAccount, totalsOf } from "./ledger";
import {
  activePreset,
  insertPresetVersion,
  type ListedPresetRow,
  listPresets,
  listPresetVersions,
  type PresetRow,
  type PresetVersionRow,
  presetKvKey,
  readPreset,
  readPresetVersion,
} from "./preset-store";
import { RateLimiter } from "./rate-limit";
import {
  expireReservations,
  MAX_LEASE_MS,
  renewHolds,
  reserve,
  type SettleOutcome,
  settle,
  settleAll,
  sumReservations,
} from "./reservations";
import { RowCache } from "./row-cache";
import { migrate } from "./sql-schema";

/** What `/key` needs in one call: the key, the account's totals, and whether it ever paid. */
export interface KeyInfo {
  key: KeyView;
  totals: AccountTotals;
  everGranted: boolean;
}

/** A preset with its designated version, as the management API shows it. */
export interface PresetWithVersion {
  preset: PresetRow;
  version: PresetVersionRow;
}

/** A page of rows and how many there are in all (`total_count`). */
export interface PresetListing<T> {
  rows: T[];
  total: number;
}

/** The money invariants, recomputed from the detail tables (for tests and operators). */
export interface AccountAudit {
  totals: AccountTotals;
  generationCostSum: number;
  keyUsageSum: number;
  keyReservedSum: number;
  reservationSum: number;
  reservationCount: number;
}

const notFound = (message: string): Refusal => ({ ok: false, status: 404, message });
const presetNotFound = (slug: string) => notFound(`Preset ${slug} not found`);

/** How much later than its grant's time plus its length this object takes a lease to be closed. */
export const LEASE_CLOCK_MARGIN_MS = 100;

/** A change that must be obeyed everywhere once answered: all but a rename. */
function restricts(patch: KeyPatch): boolean {
  return Object.entries(patch).some(([field, value]) => field !== "name" && value !== undefined);
}

/**
 * One per account (named by the account id): the single writer of its money. Every method runs
 * to completion without awaiting between its reads and writes, so concurrent requests are
 * serialised and each sees the state the previous one left; its writes are atomic, inside a
 * SQLite transaction or, for a reservation, as the one statement it makes.
 */
export class AccountDurableObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The rows reserve and settle read, kept as they were last written. */
  private readonly rows: RowCache;
  private readonly limiter: RateLimiter;
  /** The pending alarm, mirrored in memory so reserve need not read it. */
  private alarmAt: number | null = null;
  /** True from a request-path write until the runtime has made it durable (groupCommitted). */
  private commitInFlight = false;
  /** Request-path work that arrived while a commit was in flight. */
  private awaitingCommit: Array<() => void> = [];
  /** Per key, when the last lease granted since the object started stops starting requests. */
  private readonly leaseEnds = new Map<string, number>();
  /** When this instance started: leases granted before it are not in leaseEnds. */
  private readonly startedAt = Date.now();
  /** The KV mirrors of presets, written one after another (mirrorPreset). */
  private presetMirrors: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage);
    this.rows = new RowCache(this.sql);
    this.limiter = new RateLimiter(this.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** A transaction of the request path; a rollback also forgets the rows it cached. */
  private tx<T>(fn: () => T): T {
    return this.forgetOnFailure(() => this.ctx.storage.transactionSync(fn));
  }

  /** A request-path write that fails (and so changed nothing) must not leave its cached view behind. */
  private forgetOnFailure<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.rows.clear();
      throw error;
    }
  }

  /** A transaction that writes rows some other way (keys, credits): the cache starts over after it. */
  private write<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } finally {
      this.rows.clear();
    }
  }

  // ── The request path ───────────────────────────────────────────────────────────────────────

  /** Step 5: key live? rate limit? worst case affordable? Holds the worst case when it is. */
  reserve(input: ReserveInput): Promise<ReserveResult> {
    keepShapes("reservation", input);
    return this.groupCommitted(() => this.reserveNow(input));
  }

  private async reserveNow(input: ReserveInput): Promise<ReserveResult> {
    const now = Date.now();
    // No transaction: reserve writes one statement, atomic by itself (a savepoint costs ~15 µs).
    const { result, expiresAt } = reserve(this.sql, this.rows, this.limiter, input, now);
    if (result.ok && result.lease)
      this.leaseEnds.set(input.keyHash, Math.max(this.leaseEnds.get(input.keyHash) ?? 0, now + result.lease.ms));
    if (result.ok && expiresAt !== null && (this.alarmAt === null || this.alarmAt > expiresAt)) {
      this.alarmAt = expiresAt;
      await this.ctx.storage.setAlarm(expiresAt);
    }
    return result;
  }

  /**
   * Group commit for the request path. Each call that writes ends in a commit of its own, which
   * costs more than the writes (measured: a reservation carrying a settlement, ~170 µs of CPU
   * alone, ~50 µs each when eight go in one call and one commit). So while one commit is in
   * flight, reservations that arrive wait for it, then run together and share the next one.
   * Nothing is answered before its own writes are durable (the runtime holds every reply until
   * then), and the order of arrival is kept. An idle object runs a reservation at once (waiting on
   * the commit costs it ~15 µs); under load the object does several per commit (deployed, where a
   * commit is a network round trip, many), and a reservation waits at most one commit longer,
   * which a head start hides from the client.
   */
  private groupCommitted<T>(work: () => Promise<T>): Promise<T> {
    if (this.commitInFlight) {
      return new Promise<T>((resolve, reject) => {
        this.awaitingCommit.push(() => work().then(resolve, reject));
      });
    }
    try {
      return work();
    } finally {
      this.runAfterCommit();
    }
  }

  private runAfterCommit(): void {
    this.commitInFlight = true;
    const runWaiting = () => {
      this.commitInFlight = false;
      const waiting = this.awaitingCommit;
      if (waiting.length === 0) return;
      this.awaitingCommit = [];
      for (const run of waiting) run();
      this.runAfterCommit();
    };
    // Whether it succeeded or not: a failed commit resets the object, the waiting work fails with it.
    this.ctx.storage.sync().then(runWaiting, runWaiting);
  }

  /** Step 8: charge the real cost (or nothing when `record` is null) and free the rest of the hold. */
  settle(input: SettleInput): SettleOutcome {
    keepShapes("settlements", input);
    // No transaction: settle writes one statement, atomic by itself (sql-schema.ts's settlements view).
    return this.forgetOnFailure(() => settle(this.sql, this.rows, input, Date.now()));
  }

  /**
   * Several settlements in one call (the isolate gathers them), written together in one
   * transaction (reservations.ts's settleAll). Should that fail (a retried batch's settlements are
   * duplicates, say), each is settled on its own instead, so one that fails (it is reported, not
   * thrown) leaves the others applied.
   */
  settleMany(inputs: SettleInput[]): Array<SettleOutcome | { failed: string }> {
    // Deserialised field by field: the latest batch keeps their maps alive (hot-shapes.ts).
    keepShapes("settlements", inputs);
    if (inputs.length > 1) {
      try {
        return this.tx(() => settleAll(this.sql, this.rows, inputs, Date.now()));
      } catch {
        // Rolled back whole, the cache cleared with it: one by one below.
      }
    }
    return inputs.map((input) => {
      try {
        return this.settle(input);
      } catch (error) {
        return { failed: String(error) };
      }
    });
  }

  /**
   * Step 5 carrying earlier requests' step 8: their settlements first (they free holds this
   * reservation may need), then the reservation. One round trip instead of two under load.
   */
  reserveAfter(
    settles: SettleInput[],
    input: ReserveInput,
  ): Promise<{ reserve: ReserveResult; settled: Array<SettleOutcome | { failed: string }> }> {
    return this.groupCommitted(async () => {
      const settled = this.settleMany(settles);
      return { reserve: await this.reserveNow(input), settled };
    });
  }

  /**
   * Keeps the holds of generations still running (long streams) from expiring: the alarm, set for
   * the earliest expiry, finds them renewed and moves on to the next.
   */
  renewHolds(ids: string[]): Promise<number> {
    return this.groupCommitted(async () => renewHolds(this.sql, ids, Date.now()));
  }

  /** Releases holds of requests that died before settling. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const { next } = this.tx(() => expireReservations(this.sql, this.rows, Date.now()));
    if (next !== null) {
      this.alarmAt = next;
      await this.ctx.storage.setAlarm(next);
    }
  }

  // ── Calls made with an API key ─────────────────────────────────────────────────────────────

  private liveKey(hash: string, now: number): Outcome<KeyRow> {
    const row = readKey(this.sql, hash);
    const refusal = refuseKey(row, now);
    if (refusal || !row) return refusal ?? { ok: false, status: 401, message: "User not found" };
    if (!readAccount(this.sql)) return { ok: false, status: 401, message: "User not found: no such account" };
    return { ok: true, value: row };
  }

  keyInfo(keyHash: string): Outcome<KeyInfo> {
    const now = Date.now();
    const caller = this.liveKey(keyHash, now);
    if (!caller.ok) return caller;
    const account = readAccount(this.sql);
    if (!account) return { ok: false, status: 401, message: "User not found" };
    return {
      ok: true,
      value: { key: viewKey(caller.value, now), totals: totalsOf(account), everGranted: everGranted(this.sql) },
    };
  }

  credits(keyHash: string): Outcome<AccountTotals> {
    const caller = this.liveKey(keyHash, Date.now());
    if (!caller.ok) return caller;
    const account = readAccount(this.sql);
    if (!account) return { ok: false, status: 401, message: "User not found" };
    return { ok: true, value: totalsOf(account) };
  }

  /** One generation of this account; any key of the account may read it. */
  generation(keyHash: string, id: string): Outcome<GenerationRecord> {
    const caller = this.liveKey(keyHash, Date.now());
    if (!caller.ok) return caller;
    const record = readGeneration(this.sql, id);
    return record ? { ok: true, value: record } : notFound(`Generation ${id} not found`);
  }

  // ── Key provisioning (caller must be a live provisioning key of this account) ──────────────

  private provisioner(callerHash: string, now: number, what = "manage API keys"): Refusal | null {
    const caller = this.liveKey(callerHash, now);
    if (!caller.ok) return caller;
    if (!caller.value.is_provisioning) {
      return {
        ok: false,
        status: 403,
        message: `Only provisioning keys can ${what}; call this endpoint with a provisioning key`,
      };
    }
    return null;
  }

  /** An inference key of this account that provisioning may manage (never a provisioning key). */
  private managedKey(hash: string): KeyRow | null {
    const row = readLiveRow(this.sql, hash);
    return row && !row.is_provisioning ? row : null;
  }

  listKeys(callerHash: string, input: ListKeysInput): Outcome<KeyView[]> {
    const now = Date.now();
    const refusal = this.provisioner(callerHash, now);
    if (refusal) return refusal;
    return { ok: true, value: listKeyRows(this.sql, input).map((row) => viewKey(row, now)) };
  }

  /** `GET /activity`: the account's generations summed per day, model and provider (activity.ts). */
  activity(callerHash: string, query: ActivityQuery): Outcome<ActivityRow[]> {
    const refusal = this.provisioner(callerHash, Date.now(), "read the account's activity");
    if (refusal) return refusal;
    return { ok: true, value: activityRows(this.sql, query) };
  }

  getKey(callerHash: string, hash: string): Outcome<KeyView> {
    const now = Date.now();
    const refusal = this.provisioner(callerHash, now);
    if (refusal) return refusal;
    const row = this.managedKey(hash);
    return row ? { ok: true, value: viewKey(row, now) } : notFound("Key not found");
  }

  createKey(callerHash: string, spec: KeySpec): Outcome<KeyView> {
    const now = Date.now();
    const refusal = this.provisioner(callerHash, now);
    if (refusal) return refusal;
    return this.write(() => this.insertKey({ ...spec, isProvisioning: false }, now));
  }

  async updateKey(callerHash: string, hash: string, patch: KeyPatch): Promise<Outcome<KeyView>> {
    const now = Date.now();
    const refusal = this.provisioner(callerHash, now);
    if (refusal) return refusal;
    if (!this.managedKey(hash)) return notFound("Key not found");
    return this.patchLiveKey(hash, patch, now);
  }

  /** Deletes the key here, at once (answering once its leases are closed); the caller then removes its KV record. */
  async deleteKey(callerHash: string, hash: string): Promise<Outcome<{ hash: string }>> {
    const now = Date.now();
    const refusal = this.provisioner(callerHash, now);
    if (refusal) return refusal;
    if (!this.managedKey(hash)) return notFound("Key not found");
    return this.deleteLiveKey(hash, now);
  }

  private insertKey(spec: KeySpec, now: number): Outcome<KeyView> {
    if (!readAccount(this.sql)) return notFound("Account not found");
    if (readKey(this.sql, spec.hash)) return { ok: false, status: 409, message: "A key with this hash already exists" };
    insertKey(this.sql, spec, now);
    return { ok: true, value: viewKey(readKey(this.sql, spec.hash) as KeyRow, now) };
  }

  /**
   * Patches a key the caller may manage (checked) and returns it as it now stands: once the key's
   * leases can start no more requests, when the patch restricts it (`restricts`).
   */
  private async patchLiveKey(hash: string, patch: KeyPatch, now: number): Promise<Outcome<KeyView>> {
    const view = this.write(() => {
      patchKey(this.sql, hash, patch, now);
      return viewKey(readKey(this.sql, hash) as KeyRow, now);
    });
    if (restricts(patch)) await this.leasesClosed(hash);
    return { ok: true, value: view };
  }

  /** Deletes a key the caller may manage (checked), and forgets its rate-limit window; answers once its leases are closed. */
  private async deleteLiveKey(hash: string, now: number): Promise<Outcome<{ hash: string }>> {
    this.write(() => markDeleted(this.sql, hash, now));
    this.limiter.forget(hash);
    await this.leasesClosed(hash);
    return { ok: true, value: { hash } };
  }

  /**
   * Resolves once no lease of the key (billing/leases.ts) can start a request any more: a key
   * disabled, deleted or limited is obeyed everywhere by the time the change is answered. A lease
   * is open until its grant's time plus its length (remembered here; for a lease granted before
   * this instance started, the longest a lease may be, from its row's creation), plus a margin
   * for the isolate's clock, which starts the lease's time before the grant's. A released lease
   * (no row) is closed already.
   */
  private async leasesClosed(hash: string): Promise<void> {
    const { granted, before } = this.sql
      .exec<{ granted: number | null; before: number | null }>(
        `SELECT MAX(created_at) AS granted, MAX(CASE WHEN created_at < ?2 THEN created_at END) AS before
          FROM reservations WHERE key_hash = ?1 AND id LIKE 'lease-%'`,
        hash,
        this.startedAt,
      )
      .one();
    if (granted === null) {
      this.leaseEnds.delete(hash);
      return;
    }
    // A lease granted before this instance started (a restart, a deploy) is not in leaseEnds, and
    // may still be open in its isolate when a shorter one was granted since.
    const since = this.leaseEnds.get(hash) ?? granted + MAX_LEASE_MS;
    const end = Math.max(since, before === null ? since : before + MAX_LEASE_MS) + LEASE_CLOCK_MARGIN_MS;
    const wait = end - Date.now();
    if (wait > 0) await sleep(wait);
  }

  // ── Presets (caller must be a live provisioning key of this account) ──────────────────────

  listPresets(callerHash: string, page: PresetPage): Outcome<PresetListing<ListedPresetRow>> {
    const refusal = this.provisioner(callerHash, Date.now(), "manage presets");
    if (refusal) return refusal;
    return { ok: true, value: listPresets(this.sql, page) };
  }

  getPreset(callerHash: string, slug: string): Outcome<PresetWithVersion> {
    const refusal = this.provisioner(callerHash, Date.now(), "manage presets");
    if (refusal) return refusal;
    return this.presetWithVersion(slug);
  }

  listPresetVersions(
    callerHash: string,
    slug: string,
    page: PresetPage,
  ): Outcome<PresetListing<PresetVersionRow> & { preset: PresetRow }> {
    const refusal = this.provisioner(callerHash, Date.now(), "manage presets");
    if (refusal) return refusal;
    const preset = readPreset(this.sql, slug);
    if (!preset) return presetNotFound(slug);
    return { ok: true, value: { preset, ...listPresetVersions(this.sql, slug, page) } };
  }

  getPresetVersion(callerHash: string, slug: string, version: number): Outcome<PresetWithVersion> {
    const refusal = this.provisioner(callerHash, Date.now(), "manage presets");
    if (refusal) return refusal;
    const preset = readPreset(this.sql, slug);
    if (!preset) return presetNotFound(slug);
    const row = readPresetVersion(this.sql, slug, version);
    return row ? { ok: true, value: { preset, version: row } } : notFound(`Preset ${slug} has no version ${version}`);
  }

  /**
   * Adds a version to the preset (creating it), designates it, and answers once the request
   * path's copy in KV holds it (mirrorPreset).
   */
  async savePreset(callerHash: string, slug: string, draft: PresetDraft): Promise<Outcome<PresetWithVersion>> {
    const now = Date.now();
    const refusal = this.provisioner(callerHash, now, "manage presets");
    if (refusal) return refusal;
    const made = this.write(() => insertPresetVersion(this.sql, slug, draft, callerHash, now));
    await this.mirrorPreset(slug);
    // The version this call made, even when a save since has made a later one.
    const preset = readPreset(this.sql, slug);
    const version = readPresetVersion(this.sql, slug, made);
    return preset && version ? { ok: true, value: { preset, version } } : presetNotFound(slug);
  }

  private presetWithVersion(slug: string): Outcome<PresetWithVersion> {
    const preset = readPreset(this.sql, slug);
    const version = preset && readPresetVersion(this.sql, slug, preset.designated_version);
    return preset && version ? { ok: true, value: { preset, version } } : presetNotFound(slug);
  }

  /**
   * Writes the preset's designated version to KV, where requests read it without calling this
   * object. The writes go one after another, each reading the preset as it then stands, so two
   * saves at once cannot leave the older version in KV (KV keeps the last write, and has no
   * compare-and-set to refuse a stale one).
   */
  private mirrorPreset(slug: string): Promise<void> {
    const write = this.presetMirrors.then(async () => {
      const account = readAccount(this.sql);
      const current = this.presetWithVersion(slug);
      if (!account || !current.ok) return;
      const value = activePreset(current.value.preset, current.value.version);
      await this.env.KEYS.put(presetKvKey(account.account_id, slug), JSON.stringify(value));
    });
    // A failed write fails its own save (the client is told); the next save writes again.
    this.presetMirrors = write.catch(() => undefined);
    return write;
  }

  // ── Operator (the Worker checked ADMIN_TOKEN) ──────────────────────────────────────────────

  adminInitAccount(accountId: string, name: string): Outcome<AccountSummary> {
    const now = Date.now();
    const created = this.write(() => initAccount(this.sql, accountId, name, now));
    if (!created.ok) return created;
    return this.adminSummary();
  }

  adminSummary(): Outcome<AccountSummary> {
    const account = readAccount(this.sql);
    if (!account) return notFound("Account not found");
    const now = Date.now();
    return { ok: true, value: { ...totalsOf(account), keys: allKeyRows(this.sql).map((row) => viewKey(row, now)) } };
  }

  adminGrant(input: GrantInput): Outcome<GrantResult> {
    return this.write(() => grantCredits(this.sql, input, Date.now()));
  }

  adminCredits(limit = 100) {
    return listCredits(this.sql, limit);
  }

  adminCreateKey(spec: KeySpec): Outcome<KeyView> {
    return this.write(() => this.insertKey(spec, Date.now()));
  }

  async adminUpdateKey(hash: string, patch: KeyPatch): Promise<Outcome<KeyView>> {
    if (!readLiveRow(this.sql, hash)) return notFound("Key not found");
    return this.patchLiveKey(hash, patch, Date.now());
  }

  async adminDeleteKey(hash: string): Promise<Outcome<{ hash: string }>> {
    if (!readLiveRow(this.sql, hash)) return notFound("Key not found");
    return this.deleteLiveKey(hash, Date.now());
  }

  /** Recomputes the totals from the detail tables; each pair must match to the nano-dollar. */
  audit(): AccountAudit | null {
    const account = readAccount(this.sql);
    if (!account) return null;
    const keys = this.sql
      .exec<{ usage: number; reserved: number }>(
        "SELECT COALESCE(SUM(usage_nanos), 0) AS usage, COALESCE(SUM(reserved_nanos), 0) AS reserved FROM keys",
      )
      .one();
    return {
      totals: totalsOf(account),
      generationCostSum: sumGenerationCosts(this.sql),
      keyUsageSum: keys.usage,
      keyReservedSum: keys.reserved,
      reservationSum: sumReservations(this.sql),
      reservationCount: this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM reservations").one().n,
    };
  }
}

import { type KeyRow, readKey } from "./key-store";
import { type AccountRow, readAccount } from "./ledger";
import type { Nanos } from "./money";

/** What settling a hold needs of it. */
export interface Hold extends Record<string, SqlStorageValue> {
  key_hash: string;
  amount_nanos: number;
}

/** Past this many cached keys the cache starts over (an account may have thousands of keys). */
const MAX_CACHED_KEYS = 1024;

/**
 * The account row, the key rows and the holds the request path reads, kept as they stand. The
 * Durable Object is the only writer of its database, and each write the request path makes
 * (a hold placed, a hold removed, a settlement) is applied to the cache too, so a cached row is
 * the row a SELECT would read: once the cache is warm, reserve and settle read no row at all
 * (materialising the key row was the largest single cost of the object's SQL). Any other write
 * clears the cache, and so does a request-path write SQLite refuses (the object's caller clears
 * it: settle updates the cache before its one statement). Rows handed out are shared: callers
 * copy before changing one.
 */
export class RowCache {
  private accountRow: AccountRow | null | undefined;
  private readonly keys = new Map<string, KeyRow | null>();
  /** Holds placed or read since the cache started; any other is read from SQL. */
  private readonly holds = new Map<string, Hold>();
  /** Set while a batch is worked out ahead of its writes (see whileAhead). */
  private ahead = false;

  constructor(private readonly sql: SqlStorage) {}

  account(): AccountRow | null {
    if (this.accountRow === undefined) this.accountRow = readAccount(this.sql);
    return this.accountRow;
  }

  key(hash: string): KeyRow | null {
    let row = this.keys.get(hash);
    if (row === undefined) {
      row = readKey(this.sql, hash);
      this.remember(hash, row);
    }
    return row;
  }

  /** The hold of generation `id`, or null when it has none (settled, expired or never placed). */
  hold(id: string): Hold | null {
    const cached = this.holds.get(id);
    if (cached) return cached;
    const row =
      this.sql.exec<Hold>("SELECT key_hash, amount_nanos FROM reservations WHERE id = ?", id).toArray()[0] ?? null;
    if (row) this.holds.set(id, row);
    return row;
  }

  /** A hold was placed: SQLite's reservations trigger moved the held totals; the cache follows. */
  holdPlaced(id: string, hold: Hold): void {
    this.holds.set(id, hold);
    this.moveHeld(hold.key_hash, hold.amount_nanos);
  }

  /** A hold was removed: SQLite's reservations trigger moved the held totals; the cache follows. */
  holdRemoved(id: string, hold: Hold): void {
    this.holds.delete(id);
    this.moveHeld(hold.key_hash, -hold.amount_nanos);
  }

  /**
   * A hold the caller's next statement removes: the cache moves first (the caller drops it if the
   * statement fails), so the rows it moves are loaded first, as SQL has them before the statement.
   */
  holdReleasing(id: string, hold: Hold): void {
    this.account();
    this.key(hold.key_hash);
    this.holdRemoved(id, hold);
  }

  /**
   * A lease's hold the caller's next statement shrinks by `by` (a charge taken out of it): as
   * holdReleasing, the cache moves first.
   */
  holdShrinking(id: string, hold: Hold, by: Nanos): void {
    this.account();
    this.key(hold.key_hash);
    this.holds.set(id, { ...hold, amount_nanos: hold.amount_nanos - by });
    this.moveHeld(hold.key_hash, -by);
  }

  /** A settlement charged `charge` to the account and left the key as `key` (null: no such key). */
  charged(charge: Nanos, key: KeyRow | null): void {
    const account = this.accountRow;
    if (account) this.accountRow = { ...account, usage_nanos: account.usage_nanos + charge };
    if (key) this.remember(key.hash, key);
  }

  /**
   * Runs `work`, which moves the cache ahead of SQL (a batch worked out before its statements
   * run), with the key bound set aside: starting over there would drop rows SQL does not have yet,
   * and read back stale ones (a key's windows without the batch's earlier charges). The bound is
   * applied once the work, and its writes, are done.
   */
  whileAhead<T>(work: () => T): T {
    this.ahead = true;
    try {
      return work();
    } finally {
      this.ahead = false;
      if (this.keys.size > MAX_CACHED_KEYS) this.keys.clear();
    }
  }

  /** Forgets everything: after a write that did not go through here, or a rollback. */
  clear(): void {
    this.accountRow = undefined;
    this.keys.clear();
    this.holds.clear();
  }

  private moveHeld(hash: string, amount: Nanos): void {
    const account = this.accountRow;
    if (account) this.accountRow = { ...account, reserved_nanos: account.reserved_nanos + amount };
    const key = this.keys.get(hash);
    if (key) this.keys.set(hash, { ...key, reserved_nanos: key.reserved_nanos + amount });
  }

  private remember(hash: string, row: KeyRow | null): void {
    if (!this.ahead && this.keys.size >= MAX_CACHED_KEYS && !this.keys.has(hash)) this.keys.clear();
    this.keys.set(hash, row);
  }
}

import { chargeKey, type KeyRow, readKey } from "./key-store";
import { type AccountRow, addAccountUsage, readAccount } from "./ledger";
import type { Nanos } from "./money";

/** Past this many cached keys the cache starts over (an account may have thousands of keys). */
const MAX_CACHED_KEYS = 1024;

/**
 * The account row and the key rows the request path reads, kept as they stand. The Durable
 * Object is the only writer of its database and the request path writes these rows only through
 * here, which applies each write to the cached row too (held totals, which SQLite moves by trigger
 * when a hold is placed or removed, are mirrored by holdMoved): a cached row is the row a SELECT would
 * read, so once the cache is warm reserve and settle read no wide row at all (materialising the
 * key row was the largest single cost of the Durable Object's SQL). Any other write clears the
 * cache, and so does a transaction that rolls back (a write SQLite refused never reaches the
 * cache: it throws first). Rows handed out are shared: callers copy before changing one.
 */
export class RowCache {
  private accountRow: AccountRow | null | undefined;
  private readonly keys = new Map<string, KeyRow | null>();

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

  /**
   * A hold of `amount` was placed (positive) or removed (negative) for `hash`: the reservations
   * triggers have already moved the held totals in SQL; this moves the cached ones alike.
   */
  holdMoved(hash: string, amount: Nanos): void {
    const account = this.accountRow;
    if (account) this.accountRow = { ...account, reserved_nanos: account.reserved_nanos + amount };
    const key = this.keys.get(hash);
    if (key) this.keys.set(hash, { ...key, reserved_nanos: key.reserved_nanos + amount });
  }

  addAccountUsage(charge: Nanos): void {
    addAccountUsage(this.sql, charge);
    const account = this.accountRow;
    if (account) this.accountRow = { ...account, usage_nanos: account.usage_nanos + charge };
  }

  chargeKey(row: KeyRow, charge: Nanos, now: number): void {
    this.remember(row.hash, chargeKey(this.sql, row, charge, now));
  }

  /** Forgets everything: after a write that did not go through here, or a rollback. */
  clear(): void {
    this.accountRow = undefined;
    this.keys.clear();
  }

  private remember(hash: string, row: KeyRow | null): void {
    if (this.keys.size >= MAX_CACHED_KEYS && !this.keys.has(hash)) this.keys.clear();
    this.keys.set(hash, row);
  }
}

/** Every request the emulators saw, for tests to inspect (by a nonce in the prompt). */
export type Outcome = "pending" | "completed" | "error" | "cut" | "stalled" | "reset" | "client_closed";

export interface LoggedRequest {
  seq: number;
  provider: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  rawBody: string;
  outcome: Outcome;
  status: number | null;
  startedAt: number;
  firstByteAt: number | null;
  endedAt: number | null;
  /** When the connection carrying the reply closed (null while it is open): the caller hung up or it ended. */
  closedAt: number | null;
}

const MAX_ENTRIES = 2000;

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;

  add(
    entry: Omit<LoggedRequest, "seq" | "outcome" | "status" | "firstByteAt" | "endedAt" | "closedAt">,
  ): LoggedRequest {
    const full: LoggedRequest = {
      ...entry,
      seq: ++this.seq,
      outcome: "pending",
      status: null,
      firstByteAt: null,
      endedAt: null,
      closedAt: null,
    };
    this.entries.push(full);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    return full;
  }

  find(contains: string | null): LoggedRequest[] {
    return contains === null ? [...this.entries] : this.entries.filter((e) => e.rawBody.includes(contains));
  }

  clear(): void {
    this.entries = [];
  }
}

const encoder = new TextEncoder();

/** Queued text past which a burst is written at once rather than at the next flush. */
const MAX_QUEUED_CHARS = 256 * 1024;

/**
 * Writes a stream's SSE text to the client, one write per burst rather than one per event.
 *
 * In workerd every write from JS into the response costs about as much as parsing, mapping and
 * re-serialising the event it carries, so a provider that sends tokens in bursts (hundreds per
 * network read is common at high throughput) would cost one write each. Text sent while the
 * stream is quiet goes out at once, so the first token and a slow stream's tokens are never
 * delayed; text arriving within `intervalMs` of the previous text write is queued and written
 * with the next flush, at most `intervalMs` later, unless it took half an interval to come: the
 * reads of a paced stream already wait about an interval for their batch (see byte-reader.ts),
 * and holding what they bring for the rest of the window only added a timer wake-up (half the
 * reads of a stream paced 5 ms a token armed one). Keep-alive comments do not count as writes
 * here: the one every stream opens with would otherwise hold back a first token arriving within
 * `intervalMs` of it.
 */
export class CoalescingWriter {
  private queued = "";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private lastSendAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly intervalMs: number,
    /** Called when a write fails: the client went away. */
    private readonly onError: () => void,
  ) {}

  /**
   * Sends text now if the stream was quiet, else queues it for the next flush. The promise
   * settles when a write it made was taken by the client (backpressure), at once when queued.
   */
  send(text: string): Promise<void> {
    if (text === "") return Promise.resolve();
    const now = Date.now();
    const sinceLastSend = now - this.lastSendAt;
    this.lastSendAt = now;
    this.queued += text;
    if (this.timer !== undefined && this.queued.length < MAX_QUEUED_CHARS) return Promise.resolve();
    const wait = this.lastWriteAt + this.intervalMs - now;
    const burst = sinceLastSend < this.intervalMs / 2;
    if (wait > 0 && burst && this.queued.length < MAX_QUEUED_CHARS) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, wait);
      return Promise.resolve();
    }
    return this.flush();
  }

  /** Writes raw bytes after whatever is queued (keep-alive comments); they start no window. */
  sendBytes(bytes: Uint8Array): Promise<void> {
    if (this.queued) void this.flush();
    return this.write(bytes);
  }

  /** Writes everything queued now (and the last text of the stream, if given). */
  flush(last = ""): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const text = this.queued + last;
    this.queued = "";
    if (text === "") return Promise.resolve();
    // Text writes alone open the window that send() holds the next text back for.
    this.lastWriteAt = Date.now();
    return this.write(encoder.encode(text));
  }

  /** When text was last written (keep-alives aside): how long the client has seen no chunk. */
  get lastTextWriteAt(): number {
    return this.lastWriteAt;
  }

  /** Drops queued text and any pending flush (the stream is being abandoned). */
  discard(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queued = "";
  }

  private write(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes).catch(this.onError);
  }
}

import type { UpstreamEvent } from "../providers/types";
import { byteReader } from "./byte-reader";

/** Bytes of an unfinished event past which it is parsed line by line (see SseParser.push). */
const LINE_BY_LINE_AFTER = 64 * 1024;

/**
 * Server-Sent Events, both ways, as TransformStreams so nothing is ever buffered whole.
 * The parser follows the SSE framing rules providers actually use: `\n`, `\r\n` or `\r` line
 * ends, events split anywhere across network reads, several `data:` lines joined with `\n`,
 * comment lines (`: keep-alive`) ignored.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event: string | undefined;
  /** True when the previous chunk ended on `\r`, so a leading `\n` belongs to that line end. */
  private pendingCr = false;
  /** Where to look for the next blank line: the buffer before it holds none (no rescans). */
  private blankSearchFrom = 0;
  /**
   * Reads that ended no line, kept apart until one does: a long line (an inline image, a large
   * tool call) arrives over many reads, and appending each to the buffer and searching it again
   * made such an event cost time quadratic in its size (an 8 MB event took 2 s of CPU).
   */
  private pieces: string[] = [];

  /** Feeds decoded text; returns the events completed by it. */
  push(text: string): UpstreamEvent[] {
    let input = text;
    if (this.pendingCr && input.startsWith("\n")) input = input.slice(1);
    this.pendingCr = false;
    if (input.indexOf("\n") === -1 && input.indexOf("\r") === -1) {
      if (input.length > 0) this.pieces.push(input);
      return [];
    }
    if (this.pieces.length > 0) {
      this.buffer += this.pieces.join("");
      this.pieces = [];
    }
    this.buffer += input;
    const events: UpstreamEvent[] = [];
    // What is left in the buffer never holds a `\r` (it ends a line, and lines are consumed).
    if (this.data.length === 0 && this.event === undefined && !input.includes("\r")) {
      this.takeBlocks(events);
      // An unfinished event kept whole would be copied again at every read that adds a line to
      // it: past a size, its finished lines are taken now, and it goes on line by line.
      if (this.buffer.length > LINE_BY_LINE_AFTER) this.takeLines(events);
    } else this.takeLines(events);
    return events;
  }

  /**
   * The common case, `\n` line ends and nothing half-parsed: whole events are cut at blank lines,
   * and an event that is one `data: ` line (nearly every chunk of every provider) is taken as it
   * stands. Runs once per streamed token, where splitting every line cost more than the JSON.
   * An unfinished event stays in the buffer as text until its blank line arrives.
   */
  private takeBlocks(events: UpstreamEvent[]): void {
    const buffer = this.buffer;
    let start = 0;
    for (;;) {
      const blank = buffer.indexOf("\n\n", Math.max(start, this.blankSearchFrom));
      if (blank === -1) {
        this.blankSearchFrom = Math.max(0, buffer.length - 1 - start);
        break;
      }
      this.blankSearchFrom = 0;
      if (buffer.startsWith("data: ", start) && buffer.indexOf("\n", start + 6) === blank) {
        events.push({ data: buffer.slice(start + 6, blank) });
      } else {
        for (const line of buffer.slice(start, blank).split("\n")) this.line(line, events);
        this.line("", events);
      }
      start = blank + 2;
    }
    this.buffer = start === 0 ? buffer : buffer.slice(start);
  }

  /** Line by line, for `\r` line ends and events whose lines arrived over several reads. */
  private takeLines(events: UpstreamEvent[]): void {
    this.blankSearchFrom = 0;
    let start = 0;
    // The next `\r` is searched for again only once passed: most providers send none, and
    // rescanning the rest of a large read for it at every line made parsing quadratic.
    let cr = this.buffer.indexOf("\r");
    for (;;) {
      const lf = this.buffer.indexOf("\n", start);
      if (cr !== -1 && cr < start) cr = this.buffer.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 === this.buffer.length) {
          this.pendingCr = true;
          next = cr + 1;
        } else next = this.buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else break;
      this.line(this.buffer.slice(start, end), events);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** Flushes a final event that was not followed by a blank line (its lines may be several). */
  end(): UpstreamEvent[] {
    const events: UpstreamEvent[] = [];
    const rest = this.buffer + this.pieces.join("");
    this.buffer = "";
    this.pieces = [];
    if (rest.length > 0) for (const line of rest.split(/\r\n|\r|\n/)) this.line(line, events);
    this.line("", events);
    return events;
  }

  private line(line: string, events: UpstreamEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        events.push(
          this.event === undefined ? { data: this.data.join("\n") } : { event: this.event, data: this.data.join("\n") },
        );
      }
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ":" */) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
  }
}

/**
 * Reads an SSE body in batches: each call returns every event completed by the next network read
 * (at least one), or null at the end. Batching keeps the per-chunk work, and the runtime's
 * per-read cost, to one pass per read rather than one stream stage per event.
 */
export function sseEventBatches(
  body: ReadableStream<Uint8Array>,
  batchWindowMs = 0,
): () => Promise<UpstreamEvent[] | null> {
  const read = byteReader(body, batchWindowMs);
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let finished = false;
  return async () => {
    if (finished) return null;
    for (;;) {
      const value = await read();
      if (value === null) {
        finished = true;
        const tail = [...parser.push(decoder.decode()), ...parser.end()];
        return tail.length > 0 ? tail : null;
      }
      const events = parser.push(decoder.decode(value, { stream: true }));
      if (events.length > 0) return events;
    }
  };
}

/** An SSE comment; clients ignore it, proxies see traffic. OpenRouter sends this text. */
export const KEEP_ALIVE_BYTES = new TextEncoder().encode(": OPENROUTER PROCESSING\n\n");

/** The headers of every event stream the gateway sends (no caching, no proxy buffering). */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

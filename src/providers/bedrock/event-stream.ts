import type { UpstreamEvent } from "../types";

/**
 * The AWS event-stream binary framing (ConverseStream's body): each message is a 12-byte
 * prelude (total length, headers length, CRC-32 of those 8 bytes), typed headers, a payload and
 * a CRC-32 of everything before it. Integers are big-endian; CRC-32 is the IEEE/zlib one.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One message with string-valued headers (the only kind Bedrock sends). */
export function encodeEventMessage(headers: Record<string, string>, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const headerParts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = encoder.encode(name);
    const v = encoder.encode(value);
    const part = new Uint8Array(1 + n.length + 1 + 2 + v.length);
    part[0] = n.length;
    part.set(n, 1);
    part[1 + n.length] = 7; // string
    new DataView(part.buffer).setUint16(2 + n.length, v.length);
    part.set(v, 4 + n.length);
    headerParts.push(part);
  }
  const headersLength = headerParts.reduce((sum, p) => sum + p.length, 0);
  const total = 12 + headersLength + body.length + 4;
  const message = new Uint8Array(total);
  const view = new DataView(message.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(message, 0, 8));
  let at = 12;
  for (const part of headerParts) {
    message.set(part, at);
    at += part.length;
  }
  message.set(body, at);
  view.setUint32(total - 4, crc32(message, 0, total - 4));
  return message;
}

export class EventStreamError extends Error {
  override name = "EventStreamError";
}

/** Headers of one message; only the types Bedrock uses are kept as strings, others skipped. */
function readHeaders(bytes: Uint8Array, start: number, end: number): Record<string, string> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers: Record<string, string> = {};
  let at = start;
  while (at < end) {
    const nameLength = bytes[at] as number;
    const name = decoder.decode(bytes.subarray(at + 1, at + 1 + nameLength));
    at += 1 + nameLength;
    const type = bytes[at] as number;
    at += 1;
    switch (type) {
      case 0:
      case 1:
        headers[name] = String(type === 0);
        break;
      case 2:
        at += 1;
        break;
      case 3:
        at += 2;
        break;
      case 4:
        at += 4;
        break;
      case 5:
      case 8:
        at += 8;
        break;
      case 6:
      case 7: {
        const length = view.getUint16(at);
        if (type === 7) headers[name] = decoder.decode(bytes.subarray(at + 2, at + 2 + length));
        at += 2 + length;
        break;
      }
      case 9:
        at += 16;
        break;
      default:
        throw new EventStreamError(`unknown event-stream header type ${type}`);
    }
  }
  return headers;
}

/**
 * Bytes ⇒ messages, as UpstreamEvents: `event` is the `:event-type` (or, for an exception, its
 * `:exception-type` prefixed with `exception:`), `data` the JSON payload. Messages may be split
 * anywhere across reads; a bad CRC or a truncated message at the end fails the stream.
 */
export function createEventStreamDecoder(): TransformStream<Uint8Array, UpstreamEvent> {
  // Reads since the last whole message, joined only once they hold the next message whole: a
  // large message (an inline image) arrives over many reads, and joining at every read made it
  // cost time quadratic in its size.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  /** Bytes the next message needs: its prelude's, until the prelude is read, then its whole length. */
  let needed = 12;
  return new TransformStream<Uint8Array, UpstreamEvent>({
    transform(chunk, controller) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < needed) return;
      const joined = joinBytes(pending, pendingBytes);
      let at = 0;
      needed = 12;
      while (joined.length - at >= 12) {
        const view = new DataView(joined.buffer, joined.byteOffset + at);
        const total = view.getUint32(0);
        const headersLength = view.getUint32(4);
        if (view.getUint32(8) !== crc32(joined, at, at + 8))
          throw new EventStreamError("event-stream prelude CRC mismatch");
        if (total < 16 || headersLength > total - 16) throw new EventStreamError("event-stream message length invalid");
        if (joined.length - at < total) {
          needed = total;
          break;
        }
        if (view.getUint32(total - 4) !== crc32(joined, at, at + total - 4)) {
          throw new EventStreamError("event-stream message CRC mismatch");
        }
        const headers = readHeaders(joined, at + 12, at + 12 + headersLength);
        const data = decoder.decode(joined.subarray(at + 12 + headersLength, at + total - 4));
        const kind = headers[":message-type"];
        if (kind === "exception" || kind === "error") {
          const type = headers[":exception-type"] ?? headers[":error-code"] ?? "error";
          controller.enqueue({
            event: `exception:${type}`,
            data: data || JSON.stringify({ message: headers[":error-message"] ?? type }),
          });
        } else {
          controller.enqueue({ event: headers[":event-type"] ?? "", data });
        }
        at += total;
      }
      const rest = joined.slice(at);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    },
    flush() {
      if (pendingBytes > 0) throw new EventStreamError("event-stream ended inside a message");
    },
  });
}

/** The reads in order as one array (the one read itself when there is one). */
function joinBytes(parts: Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const joined = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

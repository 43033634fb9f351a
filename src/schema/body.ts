import { GatewayError } from "./errors";

/** Largest accepted request body: long contexts with inline images fit, abuse does not. */
export const MAX_BODY_BYTES = 20 * 1024 * 1024;

const tooLarge = (maxBytes: number) => new GatewayError(413, `Request body exceeds ${maxBytes} bytes`);

/** What a body is read from: a request, or a response the gateway fetched (a PDF by URL). */
type WithBody = Pick<Request, "body" | "headers" | "text" | "arrayBuffer">;

/** How one reader keeps a body: the whole of it at once, or chunk by chunk as it arrives. */
interface BodySink<T> {
  whole(request: WithBody): Promise<T>;
  /** At most the bytes `whole` read: a text's length in characters (a character is a byte or more). */
  size(whole: T): number;
  add(chunk: Uint8Array): void;
  end(): T;
}

/**
 * A request's body, refused with a 413 past `maxBytes`. A declared length (a plain number) is
 * checked before anything is read (HTTP framing holds the body to it); a body without one
 * (chunked, or a Request built in a Worker, as RPC calls are) is counted as it is read and
 * abandoned at the limit. Read once, in place: hono's bodyLimit re-buffered such bodies into a
 * copy of the Request that the route then read again (~40 µs a request in an A/B in workerd),
 * which every RPC call paid.
 */
async function readBounded<T>(request: WithBody, maxBytes: number, sink: BodySink<T>): Promise<T | undefined> {
  // The body's stream is only taken for a body read in chunks: reading `request.body` makes the
  // runtime build a ReadableStream object for it, one more per request for its collector.
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && !request.headers.has("transfer-encoding")) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    const whole = await sink.whole(request);
    // A Request built in a Worker (a service binding's caller) is not held to the length it
    // declares: past the limit, its body is refused all the same.
    if (sink.size(whole) > maxBytes) throw tooLarge(maxBytes);
    return whole;
  }
  const body = request.body;
  if (!body) return undefined;
  const reader = body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return sink.end();
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    sink.add(value);
  }
}

/** A request's body as text (a JSON body), at most `maxBytes` (else a 413). */
export async function readBodyText(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  // Decoded as it arrives; `stream: true` carries a character split between chunks over. Made
  // only for a body read in chunks: a body of declared length (every chat request over HTTP) is
  // read whole and needs none.
  let decoder: TextDecoder | undefined;
  let text = "";
  const read = await readBounded(request, maxBytes, {
    whole: (r) => r.text(),
    size: (whole) => whole.length,
    add: (chunk) => {
      decoder ??= new TextDecoder();
      text += decoder.decode(chunk, { stream: true });
    },
    end: () => text + (decoder?.decode() ?? ""),
  });
  return read ?? "";
}

/** A body as bytes (a multipart upload; a PDF fetched by URL), at most `maxBytes` (else a 413). */
export async function readBodyBytes(request: WithBody, maxBytes = MAX_BODY_BYTES): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const read = await readBounded(request, maxBytes, {
    whole: async (r) => new Uint8Array(await r.arrayBuffer()),
    size: (whole) => whole.byteLength,
    add: (chunk) => {
      chunks.push(chunk);
    },
    end: () => {
      const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
      return bytes;
    },
  });
  return read ?? new Uint8Array();
}

import { GatewayError } from "./errors";

/** Largest accepted request body: long contexts with inline images fit, abuse does not. */
export const MAX_BODY_BYTES = 20 * 1024 * 1024;

const tooLarge = (maxBytes: number) => new GatewayError(413, `Request body exceeds ${maxBytes} bytes`);

/**
 * A request's body as text, refused with a 413 past `maxBytes`. A declared length (a plain
 * number) is checked before anything is read (HTTP framing holds the body to it); a body without one (chunked, or a
 * Request built in a Worker, as RPC calls are) is counted as it is read and abandoned at the
 * limit. Read once, in place: hono's bodyLimit re-buffered such bodies into a copy of the Request
 * that the route then read again (~40 µs a request in an A/B in workerd), which every RPC call paid.
 */
export async function readBodyText(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const body = request.body;
  if (!body) return "";
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && !request.headers.has("transfer-encoding")) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    const text = await request.text();
    // A Request built in a Worker (a service binding's caller) is not held to the length it
    // declares: past the limit, its body is refused all the same (a character is a byte or more).
    if (text.length > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  const reader = body.getReader();
  // Decoded as it arrives; `stream: true` carries a character split between chunks over.
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
}

import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * What the loopback fixtures (images.ts, web.ts) share: a whole reply with its length, a 302,
 * a reply that waits (and gives up when the client left), and a body streamed without a length.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function send(res: ServerResponse, status: number, type: string, body: Buffer | string): void {
  res.writeHead(status, { "content-type": type, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

/** `?to=URL` a 302 there; else `?hops=N` a 302 to itself with N-1 hops, then to `home`. */
export function redirect(res: ServerResponse, url: URL, home: string): void {
  const hops = Number(url.searchParams.get("hops") ?? 1);
  const to = url.searchParams.get("to") ?? (hops > 1 ? `redirect?hops=${hops - 1}` : home);
  res.writeHead(302, { location: to, "content-type": "text/plain", "content-length": "0" });
  res.end();
}

/** Whether the client hung up before the reply was finished (asked at any later time). */
export function watchGone(res: ServerResponse): () => boolean {
  let gone = false;
  res.on("close", () => {
    gone = !res.writableFinished;
  });
  return () => gone;
}

/** Waits `?ms=N` (`fallbackMs` if not sent); false when the client left meanwhile (nothing to send). */
export async function waitUnlessGone(url: URL, gone: () => boolean, fallbackMs: number): Promise<boolean> {
  const deadline = Date.now() + Number(url.searchParams.get("ms") ?? fallbackMs);
  while (!gone() && Date.now() < deadline) await sleep(20);
  return !gone();
}

/**
 * Streams `chunks` times `chunk` (between an optional head and tail), honouring backpressure and
 * stopping when the client left; `length` declares the total, else there is none (chunked).
 */
export async function stream(
  req: IncomingMessage,
  res: ServerResponse,
  gone: () => boolean,
  parts: { type: string; chunk: Buffer; chunks: number; head?: string; tail?: string; length?: number },
): Promise<void> {
  res.writeHead(200, {
    "content-type": parts.type,
    ...(parts.length !== undefined ? { "content-length": String(parts.length) } : {}),
  });
  if (parts.head) res.write(parts.head);
  for (let i = 0; i < parts.chunks && !gone(); i++) {
    if (!res.write(parts.chunk)) await new Promise<void>((resolve) => res.once("drain", () => resolve()));
  }
  if (gone()) {
    req.socket.destroy();
    return;
  }
  res.end(parts.tail ?? "");
}

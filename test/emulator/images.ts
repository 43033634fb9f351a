import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Images on the loopback, for what a client's `image_url` may point at (the tests' network is
 * loopback-only): `/__emulator/images/pixel.png` a 1×1 PNG; `page.html` something that is not an
 * image; `huge.png` 21 MiB of PNG-typed bytes, streamed without a length (`?declare=1` sends it);
 * `slow.png?ms=N` the pixel after N ms (10 s by default); `redirect?to=URL` a 302 to URL, and
 * `redirect?hops=N` a 302 to itself with N-1 hops, then to the pixel; any other name a 404.
 */
export const PIXEL_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const PIXEL = Buffer.from(PIXEL_PNG_BASE64, "base64");
const MIB = 1024 * 1024;
const HUGE_MIB = 21;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function send(res: ServerResponse, status: number, type: string, body: Buffer | string): void {
  res.writeHead(status, { "content-type": type, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

function redirect(res: ServerResponse, url: URL): void {
  const hops = Number(url.searchParams.get("hops") ?? 1);
  const to = url.searchParams.get("to") ?? (hops > 1 ? `redirect?hops=${hops - 1}` : "pixel.png");
  res.writeHead(302, { location: to, "content-type": "text/plain", "content-length": "0" });
  res.end();
}

export async function serveImage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let gone = false;
  res.on("close", () => {
    gone = !res.writableFinished;
  });
  const name = url.pathname.slice("/__emulator/images/".length);
  if (name === "pixel.png") return send(res, 200, "image/png", PIXEL);
  if (name === "redirect") return redirect(res, url);
  if (name === "page.html") return send(res, 200, "text/html; charset=utf-8", "<html><body>not an image</body></html>");
  if (name === "slow.png") {
    const deadline = Date.now() + Number(url.searchParams.get("ms") ?? 10_000);
    while (!gone && Date.now() < deadline) await sleep(20);
    if (gone) return;
    return send(res, 200, "image/png", PIXEL);
  }
  if (name === "huge.png") {
    const declare = url.searchParams.get("declare") === "1";
    res.writeHead(200, {
      "content-type": "image/png",
      ...(declare ? { "content-length": String(HUGE_MIB * MIB) } : {}),
    });
    const chunk = Buffer.alloc(MIB, 7);
    for (let i = 0; i < HUGE_MIB && !gone; i++) {
      if (!res.write(chunk)) await new Promise<void>((resolve) => res.once("drain", () => resolve()));
      if (gone) break;
    }
    if (!gone) res.end();
    else req.socket.destroy();
    return;
  }
  return send(res, 404, "text/plain", "not found");
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { redirect, send, stream, waitUnlessGone, watchGone } from "./loopback";

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

export async function serveImage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const gone = watchGone(res);
  const name = url.pathname.slice("/__emulator/images/".length);
  if (name === "pixel.png") return send(res, 200, "image/png", PIXEL);
  if (name === "redirect") return redirect(res, url, "pixel.png");
  if (name === "page.html") return send(res, 200, "text/html; charset=utf-8", "<html><body>not an image</body></html>");
  if (name === "slow.png") {
    if (await waitUnlessGone(url, gone, 10_000)) send(res, 200, "image/png", PIXEL);
    return;
  }
  if (name === "huge.png") {
    const declare = url.searchParams.get("declare") === "1";
    const length = declare ? HUGE_MIB * MIB : undefined;
    return stream(req, res, gone, { type: "image/png", chunk: Buffer.alloc(MIB, 7), chunks: HUGE_MIB, length });
  }
  return send(res, 404, "text/plain", "not found");
}

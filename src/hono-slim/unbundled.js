/**
 * What the Worker bundle has in place of three of hono's modules (wrangler.toml's `alias`):
 * `app.mount()` (utils/mount.js), `c.req.parseBody()` (utils/body.js) and
 * `c.html()` (utils/html.js). hono's core imports them whether or not they are called, and the
 * gateway calls none (its bodies are read by schema/body.ts, its routes are hono routers, it
 * answers JSON and streams): this keeps ~1.3 KiB of the gzip bundle out. Each throws if called.
 * The tests run real hono (vitest does not read the alias), and `npm run check:bundle` fails if
 * src/ starts calling one of them.
 */
export const unbundled = () => {
  throw new Error("this part of hono is left out of the Worker bundle (see src/hono-slim/)");
};

// hono's utils/body.js, for c.req.parseBody(): see ./unbundled.js.
export { unbundled as parseBody } from "./unbundled.js";

// hono's utils/mount.js, for app.mount(): see ./unbundled.js.
export { unbundled as createMountedRequest } from "./unbundled.js";

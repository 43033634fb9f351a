import type { Env as TollgateEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    /** `env` from "cloudflare:test" is the Worker's own Env. */
    interface Env extends TollgateEnv {}
  }
}

/**
 * The Worker's HTTP and cron handlers (index.ts exports them beside the Durable Object and RPC
 * classes). A module of their own so that TollgateRpc's `fetch` imports them statically: a
 * dynamic import would make esbuild wrap every module of the bundle in a lazy initialiser.
 */
import { buildApp } from "./app";
import { redeliverSettlements } from "./billing/redelivery";
import type { Env } from "./env";

/** Built once per isolate: routing tables and middleware are not rebuilt per request. */
const app = buildApp();

export default {
  fetch: app.fetch,
  /** The cron trigger (wrangler.toml): settlements the Account objects could not take, sent again. */
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(redeliverSettlements(env));
  },
} satisfies ExportedHandler<Env>;

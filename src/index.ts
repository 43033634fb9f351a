import { buildApp } from "./app";
import { redeliverSettlements } from "./billing/redelivery";
import type { Env } from "./env";

export { AccountDurableObject } from "./billing/account-do";
export { TollgateRpc } from "./rpc";

/** Built once per isolate: routing tables and middleware are not rebuilt per request. */
const app = buildApp();

export default {
  fetch: app.fetch,
  /** The cron trigger (wrangler.toml): settlements the Account objects could not take, sent again. */
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(redeliverSettlements(env));
  },
} satisfies ExportedHandler<Env>;

import { buildApp } from "./app";
import type { Env } from "./env";

export { AccountDurableObject } from "./billing/account-do";
export { TollgateRpc } from "./rpc";

/** Built once per isolate: routing tables and middleware are not rebuilt per request. */
const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

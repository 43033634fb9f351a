import { requireKey } from "../auth/middleware";
import { settledAccount, unwrap } from "../billing/client";
import { currentKeyData } from "../billing/present";
import { routes } from "../routes";

/** `GET /key` (and its older path `/auth/key`): the calling key's limits and usage. */
export const keyRoutes = routes();

for (const path of ["/key", "/auth/key"]) {
  keyRoutes.get(path, requireKey, async (c) => {
    const auth = c.get("auth");
    const account = await settledAccount(c.env, auth.accountId, c.executionCtx);
    const info = unwrap(await account.keyInfo(auth.keyHash));
    return c.json({ data: currentKeyData(info) });
  });
}

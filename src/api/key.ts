import { requireKey } from "../auth/middleware";
import { accountStub, settledAccount, unwrap } from "../billing/client";
import { currentKeyData } from "../billing/present";
import { routes } from "../routes";

/** `GET /key` (and its older path `/auth/key`): the calling key's limits and usage. */
export const keyRoutes = routes();

for (const path of ["/key", "/auth/key"]) {
  keyRoutes.get(path, requireKey, async (c) => {
    const auth = c.get("auth");
    const info = unwrap(await (await settledAccount(c.env, auth.accountId, c.executionCtx)).keyInfo(auth.keyHash));
    return c.json({ data: currentKeyData(info) });
  });
}

import { requireKey } from "../auth/middleware";
import { accountStub, unwrap } from "../billing/client";
import { currentKeyData } from "../billing/present";
import { routes } from "../routes";

/** `GET /key` (and its older path `/auth/key`): the calling key's limits and usage. */
export const keyRoutes = routes();

for (const path of ["/key", "/auth/key"]) {
  keyRoutes.get(path, requireKey, async (c) => {
    const auth = c.get("auth");
    const info = unwrap(await accountStub(c.env, auth.accountId).keyInfo(auth.keyHash));
    return c.json({ data: currentKeyData(info) });
  });
}

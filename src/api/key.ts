import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import { accountStub, unwrap } from "../billing/client";
import { currentKeyData } from "../billing/present";
import type { AppEnv } from "../context";

/** `GET /key` (and its older path `/auth/key`): the calling key's limits and usage. */
export const keyRoutes = new Hono<AppEnv>();

for (const path of ["/key", "/auth/key"]) {
  keyRoutes.get(path, requireKey, async (c) => {
    const auth = c.get("auth");
    const info = unwrap(await accountStub(c.env, auth.accountId).keyInfo(auth.keyHash));
    return c.json({ data: currentKeyData(info) });
  });
}

import { requireKey } from "../auth/middleware";
import { accountStub, settledAccount, unwrap } from "../billing/client";
import { issueKey, patchFromBody, revokeKey } from "../billing/keys-service";
import { keyData } from "../billing/present";
import { routes } from "../routes";
import { CreateKeyBodySchema, ListKeysQuerySchema, UpdateKeyBodySchema } from "../schema/accounting";
import { parseJsonBody, parseWith } from "../schema/validate";

/**
 * Key provisioning, OpenRouter's `/keys` API: called with a provisioning key, it manages the
 * inference keys of the provisioning key's account. The Account object checks the caller.
 */
export const keysRoutes = routes();

/** Keys per page of `GET /keys`; page on with `?offset=`. */
export const KEYS_PAGE_SIZE = 100;

keysRoutes.get("/keys", requireKey, async (c) => {
  const query = parseWith(ListKeysQuerySchema, c.req.query());
  const auth = c.get("auth");
  const account = await settledAccount(c.env, auth.accountId, c.executionCtx);
  const views = unwrap(
    await account.listKeys(auth.keyHash, {
      offset: query.offset,
      limit: KEYS_PAGE_SIZE,
      includeDisabled: query.include_disabled,
    }),
  );
  return c.json({ data: views.map((view) => keyData(view, auth.accountId)) });
});

keysRoutes.post("/keys", requireKey, async (c) => {
  const body = await parseJsonBody(c.req.raw, CreateKeyBodySchema);
  const auth = c.get("auth");
  const issued = await issueKey(c.env, auth.accountId, body, { callerHash: auth.keyHash, isProvisioning: false });
  return c.json({ key: issued.key, data: keyData(issued.view, auth.accountId) }, 201);
});

keysRoutes.get("/keys/:hash", requireKey, async (c) => {
  const auth = c.get("auth");
  const account = await settledAccount(c.env, auth.accountId, c.executionCtx);
  const view = unwrap(await account.getKey(auth.keyHash, c.req.param("hash")));
  return c.json({ data: keyData(view, auth.accountId) });
});

keysRoutes.patch("/keys/:hash", requireKey, async (c) => {
  const body = await parseJsonBody(c.req.raw, UpdateKeyBodySchema);
  const auth = c.get("auth");
  const view = unwrap(
    await accountStub(c.env, auth.accountId).updateKey(auth.keyHash, c.req.param("hash"), patchFromBody(body)),
  );
  return c.json({ data: keyData(view, auth.accountId) });
});

keysRoutes.delete("/keys/:hash", requireKey, async (c) => {
  const auth = c.get("auth");
  await revokeKey(c.env, auth.accountId, c.req.param("hash"), auth.keyHash);
  return c.json({ deleted: true as const });
});

import { requireKey } from "../auth/middleware";
import { settledAccount, unwrap } from "../billing/client";
import { generationData } from "../billing/present";
import { routes } from "../routes";
import { badRequest } from "../schema/errors";

/**
 * `GET /generation?id=gen-…`: one generation's stats. Read from the caller's own Account object,
 * so another account's generation id is simply not found.
 */
export const generationRoutes = routes();

generationRoutes.get("/generation", requireKey, async (c) => {
  const id = c.req.query("id");
  if (!id) throw badRequest("Invalid request: id: the generation id is required (`/generation?id=gen-…`)");
  const auth = c.get("auth");
  const account = await settledAccount(c.env, auth.accountId, c.executionCtx);
  const record = unwrap(await account.generation(auth.keyHash, id));
  return c.json({ data: generationData(record) });
});

import { requireKey } from "../auth/middleware";
import { accountStub, settledAccount, unwrap } from "../billing/client";
import { creditsData } from "../billing/present";
import { routes } from "../routes";

/** `GET /credits`: the account's credits granted and spent, for any live key of the account. */
export const creditsRoutes = routes();

creditsRoutes.get("/credits", requireKey, async (c) => {
  const auth = c.get("auth");
  const totals = unwrap(await (await settledAccount(c.env, auth.accountId, c.executionCtx)).credits(auth.keyHash));
  return c.json({ data: creditsData(totals) });
});

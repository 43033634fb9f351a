import { requireKey } from "../auth/middleware";
import { settledAccount, unwrap } from "../billing/client";
import { creditsData } from "../billing/present";
import { routes } from "../routes";

/** `GET /credits`: the account's credits granted and spent, for any live key of the account. */
export const creditsRoutes = routes();

creditsRoutes.get("/credits", requireKey, async (c) => {
  const auth = c.get("auth");
  const account = await settledAccount(c.env, auth.accountId, c.executionCtx);
  const totals = unwrap(await account.credits(auth.keyHash));
  return c.json({ data: creditsData(totals) });
});

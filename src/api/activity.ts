import { requireKey } from "../auth/middleware";
import type { ActivityRow } from "../billing/activity";
import { accountStub, unwrap } from "../billing/client";
import { nanosToUsd } from "../billing/money";
import { type CatalogIndex, getCatalog } from "../catalog/store";
import { routes } from "../routes";
import { ACTIVITY_DAYS, ActivityQuerySchema } from "../schema/accounting";
import { badRequest } from "../schema/errors";
import { parseWith } from "../schema/validate";

const DAY_MS = 86_400_000;

/**
 * `GET /activity` (OpenRouter's, behind a provisioning key): the account's generations of the
 * last 30 completed UTC days (today's are not in it yet), summed per day, model and provider.
 */
export const activityRoutes = routes();

activityRoutes.get("/activity", requireKey, async (c) => {
  const query = parseWith(ActivityQuerySchema, c.req.query());
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  let since = today - ACTIVITY_DAYS * DAY_MS;
  let until = today;
  if (query.date !== undefined) {
    const day = Date.parse(`${query.date}T00:00:00Z`);
    if (day < since || day >= until) {
      throw badRequest(`date must be one of the last ${ACTIVITY_DAYS} completed UTC days (YYYY-MM-DD)`, {
        date: query.date,
      });
    }
    since = day;
    until = day + DAY_MS;
  }
  const auth = c.get("auth");
  const rows = unwrap(
    await accountStub(c.env, auth.accountId).activity(auth.keyHash, {
      since,
      until,
      keyHash: query.api_key_hash,
      user: query.user_id,
    }),
  );
  const index = await getCatalog(c.env, c.executionCtx);
  return c.json({ data: rows.map((row) => activityItem(row, index)) });
});

/** A row as OpenRouter's ActivityItem: the endpoint named as routing names it (`provider:model`). */
function activityItem(row: ActivityRow, index: CatalogIndex) {
  const provider = index.catalog.providers.find((p) => p.name === row.provider_name);
  return {
    date: row.date,
    model: row.model,
    model_permaslug: index.models.get(row.model)?.canonical_slug ?? row.model,
    endpoint_id: `${provider?.slug ?? row.provider_name}:${row.model}`,
    provider_name: row.provider_name,
    usage: nanosToUsd(row.usage_nanos),
    byok_usage_inference: 0,
    requests: row.requests,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    reasoning_tokens: row.reasoning_tokens,
  };
}

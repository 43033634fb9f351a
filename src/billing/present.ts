import type { KeyInfo } from "./account-do";
import type { AccountSummary, AccountTotals, CreditEntry, KeyView } from "./account-types";
import type { GenerationRecord } from "./contract";
import { nanosToUsd } from "./money";

/**
 * The accounting API's replies in OpenRouter's shapes (see @openrouter/sdk's `getcurrentkey`,
 * `getkey`, `getcredits` and `generationresponse` schemas). Money goes out as USD numbers.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A key as `/keys` and `/keys/{hash}` show it. */
export function keyData(view: KeyView, accountId: string) {
  return {
    hash: view.hash,
    name: view.name,
    label: view.label,
    disabled: view.disabled,
    limit: view.limitNanos === null ? null : nanosToUsd(view.limitNanos),
    limit_remaining: view.limitRemainingNanos === null ? null : nanosToUsd(view.limitRemainingNanos),
    limit_reset: view.limitReset,
    include_byok_in_limit: view.includeByokInLimit,
    usage: nanosToUsd(view.usageNanos),
    usage_daily: nanosToUsd(view.usageDailyNanos),
    usage_weekly: nanosToUsd(view.usageWeeklyNanos),
    usage_monthly: nanosToUsd(view.usageMonthlyNanos),
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
    created_at: iso(view.createdAt) as string,
    updated_at: iso(view.updatedAt),
    expires_at: iso(view.expiresAt),
    creator_user_id: view.creatorUserId,
    external_user: null,
    workspace_id: accountId,
    // Tollgate extensions.
    is_provisioning_key: view.isProvisioning,
    rate_limit: view.rateLimit,
  };
}

/** OpenRouter reports "no rate limit" as -1 requests (the field is legacy there). */
function rateLimitData(view: KeyView) {
  if (!view.rateLimit) {
    return { requests: -1, interval: "10s", note: "No per-key rate limit is set for this key" };
  }
  return {
    requests: view.rateLimit.requests,
    interval: view.rateLimit.interval,
    note: "Per-key limit enforced by Tollgate; requests over it get 429 with retry-after",
  };
}

/** `GET /key`: the calling key. */
export function currentKeyData(info: KeyInfo) {
  const { key, totals } = info;
  return {
    label: key.label,
    limit: key.limitNanos === null ? null : nanosToUsd(key.limitNanos),
    limit_remaining: key.limitRemainingNanos === null ? null : nanosToUsd(key.limitRemainingNanos),
    limit_reset: key.limitReset,
    usage: nanosToUsd(key.usageNanos),
    usage_daily: nanosToUsd(key.usageDailyNanos),
    usage_weekly: nanosToUsd(key.usageWeeklyNanos),
    usage_monthly: nanosToUsd(key.usageMonthlyNanos),
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
    include_byok_in_limit: key.includeByokInLimit,
    is_free_tier: !info.everGranted,
    is_provisioning_key: key.isProvisioning,
    is_management_key: key.isProvisioning,
    rate_limit: rateLimitData(key),
    free_model_daily_requests: { limit: -1, remaining: -1, used: 0 },
    allowed_data_regions: ["global"],
    expires_at: iso(key.expiresAt),
    creator_user_id: key.creatorUserId,
    organization_id: null,
    workspace_id: totals.accountId,
  };
}

/** `GET /credits`. */
export function creditsData(totals: AccountTotals) {
  return { total_credits: nanosToUsd(totals.creditsNanos), total_usage: nanosToUsd(totals.usageNanos) };
}

/** `GET /generation?id=`. */
export function generationData(record: GenerationRecord) {
  const cost = nanosToUsd(record.costNanos);
  return {
    id: record.id,
    upstream_id: record.upstreamId,
    created_at: new Date(record.createdAt).toISOString(),
    model: record.model,
    provider_name: record.providerName,
    api_type: record.apiType,
    origin: record.appReferer ?? "",
    http_referer: record.appReferer,
    app_id: null,
    app_title: record.appTitle,
    external_user: record.user,
    user_agent: null,
    streamed: record.streamed,
    cancelled: record.cancelled,
    finish_reason: record.finishReason,
    native_finish_reason: record.nativeFinishReason,
    tokens_prompt: record.tokensPrompt,
    tokens_completion: record.tokensCompletion,
    native_tokens_prompt: record.nativeTokensPrompt,
    native_tokens_completion: record.nativeTokensCompletion,
    native_tokens_reasoning: record.nativeTokensReasoning,
    native_tokens_cached: record.nativeTokensCached,
    // Null for a generation that drew no image, as before these were recorded.
    native_tokens_completion_images: record.nativeTokensCompletionImages || null,
    num_media_prompt: null,
    num_media_completion: record.numMediaCompletion || null,
    num_input_audio_prompt: null,
    num_search_results: null,
    num_fetches: null,
    total_cost: cost,
    usage: cost,
    upstream_inference_cost: null,
    cache_discount: null,
    is_byok: false,
    latency: record.latencyMs,
    generation_time: record.generationTimeMs,
    moderation_latency: null,
    provider_responses: null,
    router: null,
    service_tier: null,
    web_search_engine: null,
    preset_id: record.presetId ?? null,
    session_id: record.sessionId ?? null,
    request_id: record.requestId ?? null,
    data_region: "global",
    workspace_id: null,
    // Tollgate extension: true when the provider reported no usage and tokens were estimated.
    usage_estimated: record.usageEstimated,
  };
}

export function creditEntryData(entry: CreditEntry) {
  return {
    idempotency_id: entry.idempotencyId,
    amount: nanosToUsd(entry.amountNanos),
    reason: entry.reason,
    created_at: new Date(entry.createdAt).toISOString(),
  };
}

/** The admin API's account object. */
export function accountData(summary: AccountSummary) {
  return {
    id: summary.accountId,
    name: summary.name,
    created_at: new Date(summary.createdAt).toISOString(),
    total_credits: nanosToUsd(summary.creditsNanos),
    total_usage: nanosToUsd(summary.usageNanos),
    reserved: nanosToUsd(summary.reservedNanos),
    balance: nanosToUsd(summary.balanceNanos),
    available: nanosToUsd(summary.balanceNanos - summary.reservedNanos),
    keys: summary.keys.map((key) => keyData(key, summary.accountId)),
  };
}

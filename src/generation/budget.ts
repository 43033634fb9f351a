import type { ReserveInput } from "../billing/contract";
import { worstCaseCost } from "../billing/cost";
import { priceAtto } from "../billing/money";
import type { Endpoint } from "../catalog/types";
import type { Attempt } from "../routing/plan";

/** The output cap assumed for an endpoint: the request's, or what the endpoint can produce. */
export function outputCap(endpoint: Endpoint, promptTokens: number, requested: number | null | undefined): number {
  const room = Math.max(1, endpoint.context_length - promptTokens);
  const endpointMax = endpoint.max_completion_tokens ?? room;
  return Math.max(1, Math.min(requested ?? endpointMax, endpointMax, room));
}

/**
 * The hold placed before the upstream call: the worst case over every attempt in the plan, so a
 * fallback to a pricier endpoint is still covered by the one reservation.
 */
export function reservationFor(
  attempts: Attempt[],
  promptTokens: number,
  requestedMaxTokens: number | null | undefined,
): Omit<ReserveInput, "keyHash" | "generationId"> {
  let worst: Omit<ReserveInput, "keyHash" | "generationId"> | undefined;
  for (const { endpoint } of attempts) {
    const cap = outputCap(endpoint, promptTokens, requestedMaxTokens);
    const worstCaseNanos = worstCaseCost(endpoint.pricing, promptTokens, cap);
    if (!worst || worstCaseNanos > worst.worstCaseNanos) {
      worst = {
        worstCaseNanos,
        promptCostNanos: worstCaseCost(endpoint.pricing, promptTokens, 0),
        completionPriceAtto: priceAtto(endpoint.pricing.completion).toString(),
        maxOutputTokens: cap,
        maxTokensRequested: requestedMaxTokens != null,
      };
    }
  }
  if (!worst) throw new Error("reservationFor: empty plan");
  return worst;
}

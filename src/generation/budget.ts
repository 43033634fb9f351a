import type { ReserveInput } from "../billing/contract";
import { outputTokenPrice, pricesAt, worstCaseCost } from "../billing/cost";
import type { Endpoint } from "../catalog/types";
import { requestedReasoning } from "../providers/parameters";
import { adapterFor } from "../providers/registry";
import type { Attempt } from "../routing/plan";
import { asksThinking, setsReasoning, withVariant } from "../routing/variants";
import type { ChatRequest } from "../schema/chat";

/** The output cap assumed for an endpoint: the request's, or what the endpoint can produce. */
export function outputCap(endpoint: Endpoint, promptTokens: number, requested: number | null | undefined): number {
  const room = Math.max(1, endpoint.context_length - promptTokens);
  const endpointMax = endpoint.max_completion_tokens ?? room;
  return Math.max(1, Math.min(requested ?? endpointMax, endpointMax, room));
}

/**
 * The output tokens of one generated image as Gemini counts them (1290 for a 1024×1024 image, its
 * image models' default size). A hold on an endpoint that bills images (`image_output`) covers at
 * least one per choice, whatever a small `max_tokens` says: whether Gemini stops an image at
 * maxOutputTokens is not documented, and an image past the hold would be charged beyond it.
 */
export const IMAGE_OUTPUT_TOKENS = 1290;

/** The output cap a hold assumes at an endpoint: one image at least where the endpoint bills images. */
function heldOutput(endpoint: Endpoint, cap: number): number {
  return endpoint.pricing.image_output === undefined ? cap : Math.max(cap, IMAGE_OUTPUT_TOKENS);
}

/**
 * Output tokens a request's reasoning may add on top of its `max_tokens` at each endpoint, or
 * undefined when the request says nothing of reasoning (most requests: no work per attempt).
 * Formats with a thinking budget of their own (Anthropic, Bedrock's Claude, Gemini, Cohere) send
 * the provider the visible cap plus that budget, and say which (ChatAdapter.reasoningAllowance,
 * from the rules their requests are built by). The others hand reasoning to the provider: an
 * explicit `reasoning.max_tokens` bounds it, an effort alone is the provider's own budget, so the
 * hold then allows up to the endpoint's whole output limit.
 */
export function reasoningAllowance(request: ChatRequest): ((attempt: Attempt) => number) | undefined {
  const thinking = asksThinking(request);
  if (!thinking && !setsReasoning(request) && request.include_reasoning == null) {
    return undefined;
  }
  const plain = allowanceOf(request);
  // The attempts of a `:thinking` model are sent with reasoning on (withVariant): held for as such.
  const thinkingAllowance = thinking ? allowanceOf(withVariant(request, { variant: "thinking" })) : plain;
  return (attempt) => (attempt.variant === "thinking" ? thinkingAllowance : plain)(attempt);
}

function allowanceOf(request: ChatRequest): (attempt: Attempt) => number {
  const asked = requestedReasoning(request);
  const leftToProvider = !asked ? 0 : "maxTokens" in asked ? asked.maxTokens : Number.POSITIVE_INFINITY;
  return (attempt) => {
    const adapter = adapterFor(attempt.provider.adapter);
    return adapter?.reasoningAllowance ? adapter.reasoningAllowance(request, attempt.endpoint) : leftToProvider;
  };
}

/**
 * The hold placed before the upstream call: the worst case over every attempt in the plan, so a
 * fallback to a pricier endpoint is still covered by the one reservation. Each of the `choices`
 * the client asked for (`n`) may produce the whole output cap; each image of the prompt costs the
 * endpoint's `image` price.
 */
export function reservationFor(
  attempts: Attempt[],
  promptTokens: number,
  requestedMaxTokens: number | null | undefined,
  {
    choices = 1,
    reasoningTokens,
    images = 0,
    searchUnits = 0,
    fixedNanos = 0,
  }: {
    choices?: number;
    reasoningTokens?: (attempt: Attempt) => number;
    images?: number;
    /** Search units a rerank may be billed, each at the endpoint's `search_unit` price. */
    searchUnits?: number;
    /** A charge beside the endpoint's token prices (a web search's), the same everywhere or by attempt. */
    fixedNanos?: number | ((attempt: Attempt) => number);
  } = {},
): Omit<ReserveInput, "keyHash" | "generationId"> {
  let worst: Omit<ReserveInput, "keyHash" | "generationId"> | undefined;
  for (const attempt of attempts) {
    const { endpoint } = attempt;
    // With a thinking budget on top, the output may reach the requested cap plus the budget
    // (without a cap, the endpoint's limit bounds both).
    const requested =
      requestedMaxTokens == null ? requestedMaxTokens : requestedMaxTokens + (reasoningTokens?.(attempt) ?? 0);
    const cap = heldOutput(endpoint, outputCap(endpoint, promptTokens, requested)) * Math.max(1, Math.floor(choices));
    const fixed = typeof fixedNanos === "number" ? fixedNanos : fixedNanos(attempt);
    const worstCaseNanos = worstCaseCost(endpoint.pricing, promptTokens, cap, images, searchUnits) + fixed;
    if (!worst || worstCaseNanos > worst.worstCaseNanos) {
      worst = {
        worstCaseNanos,
        promptCostNanos: worstCaseCost(endpoint.pricing, promptTokens, 0, images, searchUnits) + fixed,
        completionPriceAtto: outputTokenPrice(pricesAt(endpoint.pricing, promptTokens)).toString(),
        maxOutputTokens: cap,
        maxTokensRequested: requestedMaxTokens != null,
      };
    }
  }
  if (!worst) throw new Error("reservationFor: empty plan");
  return worst;
}

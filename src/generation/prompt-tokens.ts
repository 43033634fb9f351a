import type { CatalogIndex } from "../catalog/store";
import type { Model } from "../catalog/types";
import type { Env } from "../env";
import type { ChatRequest } from "../schema/chat";
import { encodingFor, loadedCounterFor, tokenCounterFor } from "../transforms/tokenizer";
import { estimatePromptTokens, estimateTextTokens, type TokenCounter } from "../transforms/tokens";

/**
 * Past this share of the smallest candidate context, the estimate is not good enough: exact
 * counts decide whether the prompt fits and what middle-out removes. Below it, nothing is loaded.
 */
const PRECISION_THRESHOLD = 0.75;
/**
 * Past this multiple of the largest candidate context, the prompt is refused (or cut by
 * middle-out) on its estimate: an exact count could only bring it within reach if the estimate
 * overcounted it more than this (it errs high on runs of one symbol, not by that much on text),
 * and an exact count costs CPU in proportion to the text (seconds a megabyte of random letters),
 * which a key with no credit could otherwise spend with a 20 MB body.
 */
const EXACT_CEILING = 4;

export interface PromptCount {
  /** The prompt's tokens, as routing and the reservation use them. */
  promptTokens: number;
  /** The counter middle-out uses for an attempt's model. */
  counterFor: (modelId: string) => TokenCounter;
}

function candidateModels(catalog: CatalogIndex, request: ChatRequest): Model[] {
  const models: Model[] = [];
  const add = (id: string) => {
    const model = catalog.models.get(id) ?? catalog.models.get(id.split(":")[0] ?? id);
    if (model) models.push(model);
  };
  // The request's model, then its list: without copying them into one array first.
  if (request.model) add(request.model);
  for (const id of request.models ?? []) add(id);
  return models;
}

/**
 * Counts the prompt: with the estimate on the hot path, and with the model family's tokenizer
 * (loaded once per isolate) when the prompt comes near a candidate endpoint's context window.
 * The exact count replaces the estimate for routing only when every candidate model shares the
 * tokenizer; middle-out always uses each attempt's own model's counter.
 */
export async function countPrompt(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  catalog: CatalogIndex,
  request: ChatRequest,
): Promise<PromptCount> {
  const estimate = estimatePromptTokens(request.messages, request.tools);
  const models = candidateModels(catalog, request);
  // The candidate endpoints' smallest and largest context windows (Infinity and -Infinity for none).
  let smallest = Number.POSITIVE_INFINITY;
  let largest = Number.NEGATIVE_INFINITY;
  for (const model of models) {
    for (const endpoint of model.endpoints) {
      smallest = Math.min(smallest, endpoint.context_length);
      largest = Math.max(largest, endpoint.context_length);
    }
  }
  if (!(estimate > PRECISION_THRESHOLD * smallest) || estimate > EXACT_CEILING * largest)
    return { promptTokens: estimate, counterFor: () => estimateTextTokens };

  await Promise.all(models.map((m) => tokenCounterFor(env, ctx, m.id)));
  const encodings = new Set(models.map((m) => encodingFor(m.id)));
  const first = models[0];
  const shared = encodings.size === 1 && first !== undefined && encodingFor(first.id) !== undefined;
  return {
    promptTokens: shared ? estimatePromptTokens(request.messages, request.tools, loadedCounterFor(first.id)) : estimate,
    counterFor: loadedCounterFor,
  };
}

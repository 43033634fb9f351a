import type { Endpoint, ThinkingLevel } from "../../catalog/types";
import type { ChatRequest } from "../../schema/chat";
import { nearestByBudget } from "../effort-ladder";
import { unsupportedParameters } from "../parameters";

/**
 * OpenRouter's `reasoning` ⇒ Gemini's `thinkingConfig`. Gemini 2.5 takes a token budget
 * (`thinkingBudget`); Gemini 3 takes a level (`thinkingLevel`), each model its own set (3.1 Pro
 * LOW/MEDIUM/HIGH, 3.8 Flash LOW/MEDIUM/HIGH, 3.5 Flash-Lite MINIMAL…HIGH) and refuses any other
 * with a 400, as it refuses a budget and a level together. Which one a model takes is catalog
 * data, the endpoint's `thinking_levels`, not a guess from its name: a new model is a catalog
 * entry, and an operator's catalog can say what its models take.
 */

export type GeminiThinkingConfig =
  | { includeThoughts?: boolean; thinkingBudget: number }
  | { includeThoughts?: boolean; thinkingLevel: Uppercase<ThinkingLevel> };

/**
 * The budget each effort stands for. A level model is sent the level nearest the asked budget,
 * and the level's budget is the room allowed for its thinking inside `maxOutputTokens`.
 */
const EFFORT_BUDGET: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 24576 };
const MEDIUM_BUDGET = EFFORT_BUDGET.medium as number;

/** Thinking-budget bounds of a 2.5 model family (2.5 Pro cannot turn thinking off). */
function budgetLimits(modelId: string): { min: number; max: number; canDisable: boolean } {
  if (/pro/i.test(modelId)) return { min: 128, max: 32768, canDisable: false };
  if (/lite/i.test(modelId)) return { min: 512, max: 24576, canDisable: true };
  return { min: 1, max: 24576, canDisable: true };
}

/** The level of `levels` nearest `budget` (a tie goes to the higher level, so an asked budget is not cut short). */
export function nearestLevel(levels: readonly ThinkingLevel[], budget: number): ThinkingLevel {
  return nearestByBudget(budget, EFFORT_BUDGET, levels, "higher") ?? (levels[0] as ThinkingLevel);
}

/**
 * `reasoning` ⇒ `thinkingConfig`: an explicit max_tokens is the budget, else the effort's, else
 * (reasoning only enabled, or `include_reasoning: true` alone) the medium effort's; thoughts are
 * included unless excluded. A level model gets the level nearest that budget; reasoning turned
 * off gets its lowest level with no thoughts shown (Gemini 3 Pro cannot stop thinking; where the
 * model takes MINIMAL, that level is Google's "no thinking" for most prompts). Nothing is sent
 * when the request says nothing about reasoning, nor to an endpoint that drops `reasoning`; an
 * `include_reasoning` the endpoint drops counts for nothing.
 */
export function thinkingConfig(
  request: ChatRequest,
  endpoint: Pick<Endpoint, "provider_model_id" | "thinking_levels">,
  dropped: readonly string[],
): GeminiThinkingConfig | undefined {
  if (dropped.includes("reasoning")) return undefined;
  const reasoning = request.reasoning;
  const effort = reasoning?.effort ?? request.reasoning_effort ?? undefined;
  const includeReasoning = dropped.includes("include_reasoning") ? undefined : request.include_reasoning;
  if (reasoning == null && effort === undefined && includeReasoning == null) return undefined;
  const levels = endpoint.thinking_levels;
  const limits = budgetLimits(endpoint.provider_model_id);
  const include = reasoning?.exclude !== true && includeReasoning !== false;
  if (reasoning?.enabled === false || effort === "none") {
    if (levels) return { includeThoughts: false, thinkingLevel: upper(levels[0] as ThinkingLevel) };
    return limits.canDisable ? { thinkingBudget: 0 } : { includeThoughts: false, thinkingBudget: limits.min };
  }
  let budget: number;
  if (reasoning?.max_tokens) budget = reasoning.max_tokens;
  else if (effort) budget = EFFORT_BUDGET[effort] ?? MEDIUM_BUDGET;
  else if (reasoning?.enabled || include) budget = MEDIUM_BUDGET;
  else return undefined;
  if (levels) return { includeThoughts: include, thinkingLevel: upper(nearestLevel(levels, budget)) };
  return { includeThoughts: include, thinkingBudget: Math.min(limits.max, Math.max(limits.min, budget)) };
}

const upper = (level: ThinkingLevel) => level.toUpperCase() as Uppercase<ThinkingLevel>;

/** The room a thinking config needs inside `maxOutputTokens`: its budget, or its level's. */
export function thinkingAllowance(thinking: GeminiThinkingConfig | undefined): number {
  if (!thinking) return 0;
  if ("thinkingBudget" in thinking) return thinking.thinkingBudget;
  return EFFORT_BUDGET[thinking.thinkingLevel.toLowerCase()] ?? 0;
}

/** The thinking allowance Gemini is sent on top of the request's max_tokens (the hold allows for it). */
export function geminiReasoningAllowance(request: ChatRequest, endpoint: Endpoint): number {
  return thinkingAllowance(thinkingConfig(request, endpoint, unsupportedParameters(request, endpoint)));
}

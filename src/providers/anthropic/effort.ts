import { nearestByBudget } from "../effort-ladder";

/**
 * Reasoning effort for Claude: the thinking budget each of OpenRouter's efforts stands for, and
 * the nearest `output_config.effort` a model takes (OpenRouter's ladder runs minimal…xhigh,
 * Anthropic's low…max, and each model takes its own part of it).
 */

/** The budget_tokens each OpenRouter effort is sent as on budget-thinking Claude models. */
export const EFFORT_BUDGET: Record<string, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32768,
};

/** Both ladders in one order, lowest first; `max` is Anthropic's top, above xhigh. */
const LADDER = ["minimal", "low", "medium", "high", "xhigh", "max"];

/**
 * The effort among `efforts` nearest `wanted` on the ladder (the lower of two as near: less
 * spent); undefined when the model lists none or `wanted` is not on the ladder and not listed.
 */
export function nearestEffort(wanted: string, efforts: readonly string[]): string | undefined {
  if (efforts.includes(wanted)) return wanted;
  const rank = LADDER.indexOf(wanted);
  if (rank < 0) return undefined;
  let best: string | undefined;
  let distance = Number.POSITIVE_INFINITY;
  for (const effort of efforts) {
    const at = LADDER.indexOf(effort);
    if (at < 0) continue;
    const d = Math.abs(at - rank);
    if (d < distance || (d === distance && best !== undefined && at < LADDER.indexOf(best))) {
      best = effort;
      distance = d;
    }
  }
  return best;
}

/**
 * A reasoning max_tokens budget as an effort, for models that take no budget: the effort whose
 * budget is nearest it (the lower of two as near), then the nearest the model takes.
 */
export function effortForBudget(budget: number, efforts: readonly string[]): string | undefined {
  const nearest = nearestByBudget(budget, EFFORT_BUDGET, Object.keys(EFFORT_BUDGET), "lower") ?? "medium";
  return nearestEffort(nearest, efforts);
}

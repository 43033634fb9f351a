/**
 * Which of a model's reasoning settings a token budget stands nearest: each provider maps
 * OpenRouter's efforts to budgets of its own (its EFFORT_BUDGET), and a model that takes levels or
 * efforts rather than a budget is sent the one whose budget is nearest the client's `max_tokens`.
 * Nearness is on a log scale: budgets double from one effort to the next, so 8192 is nearer
 * 16384 than 2048.
 */
export function nearestByBudget<K extends string>(
  budget: number,
  budgets: Readonly<Record<string, number>>,
  candidates: readonly K[],
  tie: "lower" | "higher",
): K | undefined {
  let best: K | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  // Candidates run lowest first: on a tie the later one is the higher.
  for (const candidate of candidates) {
    const tokens = budgets[candidate];
    if (tokens === undefined) continue;
    const distance = Math.abs(Math.log2(Math.max(1, budget)) - Math.log2(tokens));
    if (distance < bestDistance || (distance === bestDistance && tie === "higher")) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

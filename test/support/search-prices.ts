/**
 * What the web search tests' model and results cost (the `web` plugin's and the
 * `openrouter:web_search` server tool's): gpt-4o-mini at the bundled catalog's prices, and Exa's
 * results at OpenRouter's $4 per 1000.
 */
export const SEARCH_MODEL = "openai/gpt-4o-mini";
/** gpt-4o-mini's prices, USD per million tokens. */
const PROMPT_PRICE = 0.15;
const COMPLETION_PRICE = 0.6;
/** One result, in USD. */
export const PER_RESULT = 0.004;

/** What the model's tokens cost, in USD. */
export const tokensCost = (usage: { prompt_tokens: number; completion_tokens: number }) =>
  (usage.prompt_tokens * PROMPT_PRICE + usage.completion_tokens * COMPLETION_PRICE) / 1e6;

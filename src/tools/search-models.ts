import { topEndpoint } from "../catalog/present";
import type { Model } from "../catalog/types";

/**
 * OpenRouter's `openrouter:experimental__search_models` server tool: the model looks for models
 * in this gateway's catalog (the ones it could be asked to route to) by what it needs, and reads
 * each match's id, name, what it takes and gives, its context and its price.
 */

/** A description's length as the model reads it (the catalog's run to a few paragraphs). */
const DESCRIPTION_CHARACTERS = 300;

const MAX_QUERY_CHARACTERS = 1_000;
const MAX_QUERY_WORDS = 32;

/** The words a query is matched by (2 characters and up: "4o", "r1", not "a"). */
const wordsOf = (text: string) => text.toLowerCase().match(/[a-z0-9][a-z0-9.]*[a-z0-9]|[a-z0-9]{2,}/g) ?? [];

/**
 * The chat models that best match `query`, at most `max`: each of its words found in a model's
 * id or name scores two, in its description one; best first, the catalog's order between equals;
 * none that matches no word.
 */
export function searchModels(models: Iterable<Model>, query: string, max: number) {
  // A query's first words only: the model writes it, and each word is looked for in every model.
  const words = [...new Set(wordsOf(query.slice(0, MAX_QUERY_CHARACTERS)))].slice(0, MAX_QUERY_WORDS);
  const scored: Array<{ model: Model; score: number }> = [];
  for (const model of models) {
    if (model.kind !== "chat") continue;
    const title = `${model.id} ${model.name}`.toLowerCase();
    const description = model.description.toLowerCase();
    let score = 0;
    for (const word of words) score += title.includes(word) ? 2 : description.includes(word) ? 1 : 0;
    if (score > 0) scored.push({ model, score });
  }
  // A stable sort: equals keep the catalog's order.
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, max).map(({ model }) => {
    const top = topEndpoint(model);
    const { input_modalities, output_modalities } = model.architecture;
    return {
      id: model.id,
      name: model.name,
      description:
        model.description.length > DESCRIPTION_CHARACTERS
          ? `${model.description.slice(0, DESCRIPTION_CHARACTERS)}…`
          : model.description,
      context_length: model.context_length,
      input_modalities,
      output_modalities,
      // USD a token, as /models lists them, at the model's cheapest endpoint.
      pricing: { prompt: top.pricing.prompt, completion: top.pricing.completion },
    };
  });
}

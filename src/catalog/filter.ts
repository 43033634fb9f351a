import { priceAtto } from "../billing/money";
import { badRequest } from "../schema/errors";
import { topEndpoint } from "./present";
import type { Model } from "./types";

/** `/models` query filters, named as OpenRouter names them. */
export interface ModelFilters {
  supportedParameters?: string[];
  inputModalities?: string[];
  outputModalities?: string[];
  authors?: string[];
  providers?: string[];
  q?: string;
  minContext?: number;
  /** USD per million prompt tokens, on the model's top endpoint. */
  maxPrice?: number;
  minPrice?: number;
  kind: Model["kind"] | "all";
}

const list = (value: string | undefined) =>
  value
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

function number(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw badRequest(`Query parameter ${name} must be a number`);
  return value;
}

/**
 * OpenRouter's use-case categories (@openrouter/sdk's GetModelsCategory). OpenRouter ranks models
 * in them by its users' traffic, which a catalog does not hold: each is refused by name rather
 * than answered with the whole list.
 */
const RANKED_CATEGORIES = new Set([
  "programming",
  "roleplay",
  "marketing",
  "marketing/seo",
  "technology",
  "science",
  "translation",
  "legal",
  "finance",
  "health",
  "trivia",
  "academia",
]);
/** Categories the catalog can answer: embeddings, the models of kind "embedding". */
const CATALOG_CATEGORIES = ["embeddings"];

function checkCategory(category: string | null): void {
  if (!category || CATALOG_CATEGORIES.includes(category)) return;
  const supported = `supported: ${CATALOG_CATEGORIES.map((c) => JSON.stringify(c)).join(", ")}`;
  throw badRequest(
    RANKED_CATEGORIES.has(category)
      ? `category ${JSON.stringify(category)} is not supported: OpenRouter ranks it by its own traffic, which this catalog does not have (${supported})`
      : `Unknown category ${JSON.stringify(category)} (${supported})`,
    { category },
  );
}

export function parseModelFilters(query: URLSearchParams): ModelFilters {
  const category = query.get("category");
  checkCategory(category);
  const outputs = query.get("output_modalities");
  const embeddings = category === "embeddings" || outputs === "embeddings";
  // Rerank models, as OpenRouter's: out of the default (text) list, listed under `output_modalities=rerank`.
  const rerank = outputs === "rerank";
  // Speech-to-text and text-to-speech models likewise, under OpenRouter's `output_modalities=`
  // `transcription` and `speech`.
  const transcription = outputs === "transcription";
  const speech = outputs === "speech";
  // `output_modalities=all` is every model, whatever it outputs (chat and embedding models alike).
  const everything = outputs === "all";
  return {
    supportedParameters: list(query.get("supported_parameters") ?? undefined),
    inputModalities: list(query.get("input_modalities") ?? undefined),
    outputModalities:
      embeddings || rerank || transcription || speech || everything ? undefined : list(outputs ?? undefined),
    authors: list(query.get("model_authors") ?? query.get("author") ?? undefined),
    providers: list(query.get("providers") ?? undefined),
    q: query.get("q")?.toLowerCase() || undefined,
    minContext: number(query, "context") ?? number(query, "min_context"),
    maxPrice: number(query, "max_price"),
    minPrice: number(query, "min_price"),
    kind: everything
      ? "all"
      : embeddings
        ? "embedding"
        : rerank
          ? "rerank"
          : transcription
            ? "transcription"
            : speech
              ? "speech"
              : "chat",
  };
}

/** USD per million tokens of a decimal per-token price. */
const perMillion = (price: string) => Number(priceAtto(price)) / 1e12;

export function matchesFilters(model: Model, f: ModelFilters): boolean {
  if (f.kind !== "all" && model.kind !== f.kind) return false;
  const params = new Set(model.endpoints.flatMap((e) => e.supported_parameters));
  if (f.supportedParameters?.some((p) => !params.has(p))) return false;
  if (f.inputModalities?.some((m) => !model.architecture.input_modalities.includes(m))) return false;
  if (f.outputModalities?.some((m) => !model.architecture.output_modalities.includes(m))) return false;
  if (f.authors && !f.authors.includes(model.id.split("/")[0] ?? "")) return false;
  if (f.providers && !model.endpoints.some((e) => f.providers?.includes(e.provider))) return false;
  if (f.q && !`${model.id} ${model.name} ${model.description}`.toLowerCase().includes(f.q)) return false;
  if (f.minContext !== undefined && model.context_length < f.minContext) return false;
  const prompt = perMillion(topEndpoint(model).pricing.prompt);
  if (f.maxPrice !== undefined && prompt > f.maxPrice) return false;
  if (f.minPrice !== undefined && prompt < f.minPrice) return false;
  return true;
}

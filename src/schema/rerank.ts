import * as z from "zod/mini";
import { EndUser, ModelId, ProviderPreferences } from "./chat";
import { sparse } from "./sparse";

/** The most documents one request may rank (a sanity cap: each provider's own limit is its adapter's). */
export const MAX_RERANK_DOCUMENTS = 10_000;

/**
 * One document: a text, or OpenRouter's structured `{text?, image?}`. Only texts are ranked: the
 * catalog has no multimodal reranker, so a document that is an image alone is refused by name
 * rather than sent to a provider that would rank it as empty.
 */
const RerankDocument = z
  .custom<string | { text?: string; image?: string }>(
    (value) => typeof value === "string" || (typeof value === "object" && value !== null && !Array.isArray(value)),
    { error: "a document must be a string or an object with text" },
  )
  .check((ctx) => {
    const value = ctx.value;
    if (typeof value === "string" || typeof value?.text === "string") return;
    ctx.issues.push({
      code: "custom",
      message:
        value?.image !== undefined
          ? "image documents are not supported: no rerank model in the catalog takes images; send text"
          : "a document object must have text (a string)",
      input: value,
      path: ["text"],
    });
  });

/**
 * `POST /rerank`: OpenRouter's request (`model`, `query`, `documents`, `top_n`, `provider`, `user`,
 * `session_id`), plus `models` for a fallback list, as embeddings take it.
 */
export const RerankRequestSchema = sparse(
  z.looseObject({
    model: ModelId,
    models: z.optional(z.array(ModelId).check(z.maxLength(10))),
    query: z.string().check(z.minLength(1, "query must not be empty")),
    documents: z
      .array(RerankDocument)
      .check(
        z.minLength(1, "documents must contain at least one document"),
        z.maxLength(MAX_RERANK_DOCUMENTS, `documents takes at most ${MAX_RERANK_DOCUMENTS} documents`),
      ),
    top_n: z.optional(z.number().check(z.int(), z.positive("top_n must be a positive integer"))),
    user: EndUser,
    session_id: z.optional(z.string().check(z.maxLength(256, "at most 256 characters"))),
    provider: z.nullish(ProviderPreferences),
  }),
);
export type RerankRequest = z.infer<typeof RerankRequestSchema>;

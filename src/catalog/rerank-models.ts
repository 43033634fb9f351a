import type { Model } from "./types";

/**
 * The bundled catalog's rerank models (kind "rerank", answering `POST /rerank`), kept apart from
 * the chat and embedding models of default-catalog.ts. Cohere bills rerank per search unit (one
 * query with up to 100 documents; a document over 500 tokens with the query counts once per
 * chunk): $2.00 per 1,000 searches for Rerank 3.5 and 3.0, as OpenRouter lists it ($0.002/search).
 * Rerank 3.5 is also served by Amazon Bedrock (as on OpenRouter), at the same price per query.
 */
interface RerankSpec {
  id: string;
  providerModelId: string;
  /** Its model id on Amazon Bedrock, where Bedrock serves it too (InvokeModel, same price). */
  bedrockModelId?: string;
  name: string;
  created: string;
  description: string;
}

const endpoint = (provider: string, providerModelId: string): Model["endpoints"][number] => ({
  provider,
  provider_model_id: providerModelId,
  context_length: 4096,
  max_completion_tokens: null,
  max_prompt_tokens: null,
  quantization: null,
  pricing: { prompt: "0", completion: "0", search_unit: "0.002" },
  supported_parameters: ["top_n"],
  is_moderated: false,
  status: 0,
});

const cohereRerank = (m: RerankSpec): Model => ({
  id: m.id,
  canonical_slug: m.id,
  name: m.name,
  created: Math.floor(Date.parse(`${m.created}T00:00:00Z`) / 1000),
  description: m.description,
  context_length: 4096,
  kind: "rerank",
  architecture: {
    modality: "text->rerank",
    input_modalities: ["text"],
    output_modalities: ["rerank"],
    tokenizer: "Cohere",
    instruct_type: null,
  },
  hugging_face_id: null,
  knowledge_cutoff: null,
  distillable: false,
  endpoints: [
    endpoint("cohere", m.providerModelId),
    ...(m.bedrockModelId ? [endpoint("amazon-bedrock", m.bedrockModelId)] : []),
  ],
});

export const rerankModels: Model[] = [
  cohereRerank({
    id: "cohere/rerank-v3.5",
    providerModelId: "rerank-v3.5",
    bedrockModelId: "cohere.rerank-v3-5:0",
    name: "Cohere: Rerank v3.5",
    created: "2024-12-02",
    description:
      "Rerank v3.5 reorders search results by relevance to a query, over 100+ languages, semi-structured data included.",
  }),
  cohereRerank({
    id: "cohere/rerank-english-v3.0",
    providerModelId: "rerank-english-v3.0",
    name: "Cohere: Rerank English v3.0",
    created: "2024-04-11",
    description: "Cohere's English reranker of the Rerank 3 generation.",
  }),
  cohereRerank({
    id: "cohere/rerank-multilingual-v3.0",
    providerModelId: "rerank-multilingual-v3.0",
    name: "Cohere: Rerank Multilingual v3.0",
    created: "2024-04-11",
    description: "Cohere's multilingual reranker of the Rerank 3 generation.",
  }),
];

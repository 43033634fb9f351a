import type { AdapterKind } from "../catalog/types";
import { anthropicAdapter } from "./anthropic";
import { azureAdapter, azureEmbeddingsAdapter } from "./azure";
import { bedrockAdapter, bedrockEmbeddingsAdapter } from "./bedrock";
import { bedrockRerankAdapter } from "./bedrock/rerank";
import { cohereAdapter, cohereEmbeddingsAdapter } from "./cohere";
import { cohereRerankAdapter } from "./cohere/rerank";
import { googleAdapter, googleEmbeddingsAdapter } from "./google";
import { openaiAdapter } from "./openai";
import { openaiEmbeddingsAdapter } from "./openai/embeddings";
import { openaiSpeechAdapter } from "./openai/speech";
import { openaiTranscriptionAdapter } from "./openai/transcriptions";
import type { ChatAdapter, EmbeddingsAdapter, RerankAdapter, SpeechAdapter, TranscriptionAdapter } from "./types";

/** Chat adapters by wire format. A kind missing here makes its endpoints unroutable (not a crash). */
const chatAdapters: Partial<Record<AdapterKind, ChatAdapter>> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  azure: azureAdapter,
  bedrock: bedrockAdapter,
  cohere: cohereAdapter,
  google: googleAdapter,
};

/** Embeddings adapters by wire format (not every format has embeddings). */
const embeddingsAdapters: Partial<Record<AdapterKind, EmbeddingsAdapter>> = {
  openai: openaiEmbeddingsAdapter,
  azure: azureEmbeddingsAdapter,
  bedrock: bedrockEmbeddingsAdapter,
  cohere: cohereEmbeddingsAdapter,
  google: googleEmbeddingsAdapter,
};

export function adapterFor(kind: AdapterKind): ChatAdapter | undefined {
  return chatAdapters[kind];
}

export function embeddingsAdapterFor(kind: AdapterKind): EmbeddingsAdapter | undefined {
  return embeddingsAdapters[kind];
}

/** Rerank adapters by wire format (only formats with a rerank API). */
const rerankAdapters: Partial<Record<AdapterKind, RerankAdapter>> = {
  cohere: cohereRerankAdapter,
  bedrock: bedrockRerankAdapter,
};

export function rerankAdapterFor(kind: AdapterKind): RerankAdapter | undefined {
  return rerankAdapters[kind];
}

/** Speech-to-text adapters by wire format (only formats with a transcription API). */
const transcriptionAdapters: Partial<Record<AdapterKind, TranscriptionAdapter>> = {
  openai: openaiTranscriptionAdapter,
};

export function transcriptionAdapterFor(kind: AdapterKind): TranscriptionAdapter | undefined {
  return transcriptionAdapters[kind];
}

/** Text-to-speech adapters by wire format. */
const speechAdapters: Partial<Record<AdapterKind, SpeechAdapter>> = {
  openai: openaiSpeechAdapter,
};

export function speechAdapterFor(kind: AdapterKind): SpeechAdapter | undefined {
  return speechAdapters[kind];
}

import type { ChatAdapter } from "../types";
import { parseGeminiError } from "./errors";
import { buildGeminiBody, buildGeminiChatRequest, geminiReasoningAllowance } from "./request";
import { createGeminiStreamMapper, parseGeminiResponse } from "./response";

export { googleEmbeddingsAdapter } from "./embeddings";

/** Google Gemini (Generative Language API v1beta): `generateContent` / `streamGenerateContent?alt=sse`. */
export const googleAdapter: ChatAdapter = {
  readsFiles: { urls: false },
  // generationConfig.stopSequences takes up to five (providers.md §3.2).
  limits: () => ({ stopSequences: 5, imageChoices: 1 }),
  // Image models' `inlineData` parts come back as `message.images` (images.ts).
  drawsImages: true,
  buildChatRequest: buildGeminiChatRequest,
  parseChatResponse: (body) => parseGeminiResponse(body),
  createStreamMapper: () => createGeminiStreamMapper(),
  parseError: parseGeminiError,
  reasoningAllowance: geminiReasoningAllowance,
  droppedParameters: (request, target) => buildGeminiBody(request, target).dropped,
};

import type { ChatAdapter } from "../types";
import { cohereEmbeddingsAdapter } from "./embeddings";
import { parseCohereError } from "./errors";
import { buildCohereBody, buildCohereChatRequest, cohereReasoningAllowance } from "./request";
import { createCohereStreamMapper, parseCohereResponse } from "./response";

/** Cohere Chat v2 (`POST /v2/chat`) and Embed v2 (`POST /v2/embed`). */
export const cohereAdapter: ChatAdapter = {
  // Cohere refuses a sixth stop sequence (400).
  limits: () => ({ stopSequences: 5 }),
  buildChatRequest: buildCohereChatRequest,
  parseChatResponse: (body) => parseCohereResponse(body),
  createStreamMapper: () => createCohereStreamMapper(),
  parseError: parseCohereError,
  reasoningAllowance: cohereReasoningAllowance,
  droppedParameters: (request, target) => buildCohereBody(request, target, false).dropped,
};

export { cohereEmbeddingsAdapter };

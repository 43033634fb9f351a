import { claudeReasoningAllowance } from "../anthropic/request";
import type { ChatAdapter } from "../types";
import { awsSecrets } from "./credentials";
import { bedrockEmbeddingsAdapter } from "./embeddings";
import { parseBedrockError } from "./errors";
import { createEventStreamDecoder } from "./event-stream";
import { buildBedrockBody, buildBedrockChatRequest } from "./request";
import { createBedrockStreamMapper, parseBedrockResponse } from "./response";

/** AWS Bedrock Converse / ConverseStream, SigV4-signed; streams are AWS event-stream frames. */
export const bedrockAdapter: ChatAdapter = {
  buildChatRequest: buildBedrockChatRequest,
  parseChatResponse: (body) => parseBedrockResponse(body),
  createStreamMapper: () => createBedrockStreamMapper(),
  decodeStream: (body) => body.pipeThrough(createEventStreamDecoder()),
  parseError: parseBedrockError,
  credentialParts: awsSecrets,
  // The catalog's Bedrock models are Claude, sent Claude's thinking budget (request.ts).
  reasoningAllowance: claudeReasoningAllowance,
  droppedParameters: (request, target) => buildBedrockBody(request, target).dropped,
};

export { bedrockEmbeddingsAdapter };

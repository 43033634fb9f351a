import type { ReasoningDetail, ToolCall } from "../schema/chat";
import type { AssistantMessageOut } from "./types";

/**
 * The assistant message of a reply assembled from a provider's blocks: content is null only
 * when the turn is tool calls alone, and optional fields appear only when there is something in
 * them (OpenAI clients treat an empty `tool_calls` array as a tool turn).
 */
export function assistantMessage(parts: {
  text: string;
  reasoning?: string;
  details?: ReasoningDetail[];
  toolCalls?: ToolCall[];
}): AssistantMessageOut {
  const calls = parts.toolCalls ?? [];
  return {
    role: "assistant",
    content: parts.text || (calls.length > 0 ? null : ""),
    ...(parts.reasoning ? { reasoning: parts.reasoning } : {}),
    ...(parts.details && parts.details.length > 0 ? { reasoning_details: parts.details } : {}),
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
  };
}

import type { ReasoningDetail, ToolCall } from "../schema/chat";
import type {
  AssistantMessageOut,
  ChatChunkOut,
  ChatCompletionOut,
  DeltaOut,
  FinishReason,
  GeneratedImage,
  Usage,
} from "./types";

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
  images?: GeneratedImage[];
}): AssistantMessageOut {
  const calls = parts.toolCalls ?? [];
  return {
    role: "assistant",
    content: parts.text || (calls.length > 0 ? null : ""),
    ...(parts.images && parts.images.length > 0 ? { images: parts.images } : {}),
    ...(parts.reasoning ? { reasoning: parts.reasoning } : {}),
    ...(parts.details && parts.details.length > 0 ? { reasoning_details: parts.details } : {}),
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
  };
}

/** A reply of one choice, the shape of every provider that answers one candidate per request. */
export function singleChoiceReply(
  message: AssistantMessageOut,
  finish: FinishReason | null,
  native: string | null,
  usage: Usage | undefined,
): ChatCompletionOut {
  return {
    choices: [{ index: 0, message, finish_reason: finish, native_finish_reason: native }],
    ...(usage ? { usage } : {}),
  };
}

/** A stream chunk of choice 0; the provider's own finish reason rides along when there is one. */
export function singleChoiceChunk(
  delta: DeltaOut,
  finish: FinishReason | null = null,
  native?: string | null,
): ChatChunkOut {
  return {
    choices: [{ index: 0, delta, finish_reason: finish, ...(native ? { native_finish_reason: native } : {}) }],
  };
}

/**
 * What a message, or a streamed delta of one, produced, as billing counts it when the provider
 * reports no usage: the answer (content, or a refusal), the reasoning and the tool calls'
 * arguments. One function for both, so that what a whole reply is charged for and what its
 * stream is charged for cannot drift apart.
 */
export function producedText(part: AssistantMessageOut | DeltaOut): string {
  let text = `${part.content ?? ""}${part.refusal ?? ""}${part.reasoning ?? ""}`;
  for (const call of part.tool_calls ?? []) text += call.function?.arguments ?? "";
  return text;
}

import type { ChatRequest } from "../schema/chat";
import type { ActivePreset } from "../schema/presets";
import type { ResponsesRequest } from "../schema/responses";

/**
 * A Response echoes the settings it was made with (`instructions`, `temperature`,
 * `max_output_tokens`…), read from the Responses request. With a preset those are the preset's
 * where the request left them unset: this is the request as the echo should read it, its settings
 * taken from the chat request the preset was merged into. Only the settings a Response echoes as
 * plain values; tools and formats are echoed as the request sent them.
 */
export function echoedWithPreset(request: ResponsesRequest, chat: ChatRequest, preset: ActivePreset): ResponsesRequest {
  const reasoning = chat.reasoning ?? (chat.reasoning_effort ? { effort: chat.reasoning_effort } : null);
  return {
    ...request,
    // The model's system turns: the preset's prompt, then the request's instructions.
    instructions: [preset.system_prompt, request.instructions].filter(Boolean).join("\n\n") || request.instructions,
    max_output_tokens: chat.max_tokens ?? chat.max_completion_tokens ?? request.max_output_tokens,
    temperature: chat.temperature ?? request.temperature,
    top_p: chat.top_p ?? request.top_p,
    frequency_penalty: chat.frequency_penalty ?? request.frequency_penalty,
    presence_penalty: chat.presence_penalty ?? request.presence_penalty,
    parallel_tool_calls: chat.parallel_tool_calls ?? request.parallel_tool_calls,
    reasoning: request.reasoning ?? (reasoning ? { effort: reasoning.effort ?? null } : null),
  };
}

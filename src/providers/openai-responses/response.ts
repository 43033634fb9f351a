import type { ReasoningDetail, ToolCall } from "../../schema/chat";
import { assistantMessage, singleChoiceReply } from "../assistant-message";
import { asNumber } from "../openai/response";
import type { ChatCompletionOut, FinishReason, Usage } from "../types";
import { OPENAI_RESPONSES_FORMAT } from "./request";

/** What Tollgate reads of a Response (everything optional: the reply is not trusted). */
export interface ResponsesUsage {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number } | null;
  total_tokens?: number;
}

export interface ResponsesItem {
  type?: string;
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  summary?: Array<{ type?: string; text?: string }>;
  encrypted_content?: string | null;
  content?: Array<{ type?: string; text?: string; refusal?: string }>;
}

export interface ResponsesBody {
  status?: string;
  output?: ResponsesItem[];
  incomplete_details?: { reason?: string } | null;
  error?: { code?: string; message?: string } | null;
  usage?: ResponsesUsage | null;
}

/**
 * A Response's usage in chat's terms: input tokens are the prompt (cache reads within them, as in
 * chat's prompt_tokens, so they are priced at the cache-read rate), output tokens the completion
 * (reasoning within them).
 */
export function mapResponsesUsage(raw: ResponsesUsage | null | undefined): Usage | undefined {
  const prompt = asNumber(raw?.input_tokens);
  const completion = asNumber(raw?.output_tokens);
  if (prompt === undefined || completion === undefined) return undefined;
  const cached = asNumber(raw?.input_tokens_details?.cached_tokens);
  const written = asNumber(raw?.input_tokens_details?.cache_write_tokens);
  const reasoning = asNumber(raw?.output_tokens_details?.reasoning_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: asNumber(raw?.total_tokens) ?? prompt + completion,
    ...(cached || written
      ? {
          prompt_tokens_details: {
            ...(cached ? { cached_tokens: cached } : {}),
            ...(written ? { cache_write_tokens: written } : {}),
          },
        }
      : {}),
    ...(reasoning !== undefined ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
  };
}

/**
 * A Response's status as a finish reason: `incomplete` says why (the output cap, or the content
 * filter), `failed` is an error, and a completed turn that called functions is a tool turn.
 */
export function responsesFinish(
  status: string | undefined,
  incompleteReason: string | undefined,
  calledTools: boolean,
): { finish: FinishReason; native: string } {
  if (status === "incomplete") {
    const finish = incompleteReason === "content_filter" ? "content_filter" : "length";
    return { finish, native: incompleteReason ?? status };
  }
  if (status === "failed") return { finish: "error", native: status };
  return { finish: calledTools ? "tool_calls" : "stop", native: status ?? "completed" };
}

/** A reasoning item's summary parts as reasoning details (OpenRouter's `reasoning.summary`). */
export function summaryDetail(text: string, id: string | undefined, index: number): ReasoningDetail {
  return { type: "reasoning.summary", summary: text, ...(id ? { id } : {}), format: OPENAI_RESPONSES_FORMAT, index };
}

/** A reasoning item's encrypted content as a detail, for the client to send back next turn. */
export function encryptedDetail(data: string, id: string | undefined, index: number): ReasoningDetail {
  return { type: "reasoning.encrypted", data, ...(id ? { id } : {}), format: OPENAI_RESPONSES_FORMAT, index };
}

/** A function_call item as a chat tool call: the call_id is what the tool result answers. */
export function toolCallOf(item: ResponsesItem): ToolCall {
  return {
    id: item.call_id ?? item.id ?? "",
    type: "function",
    function: { name: item.name ?? "", arguments: item.arguments ?? "" },
  };
}

export function parseResponsesReply(raw: unknown): ChatCompletionOut {
  const body = (raw && typeof raw === "object" ? raw : {}) as ResponsesBody;
  let text = "";
  let refusal = "";
  const summaries: string[] = [];
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  for (const item of body.output ?? []) {
    if (item.type === "reasoning") {
      for (const part of item.summary ?? []) {
        if (!part.text) continue;
        summaries.push(part.text);
        details.push(summaryDetail(part.text, item.id, details.length));
      }
      if (item.encrypted_content) details.push(encryptedDetail(item.encrypted_content, item.id, details.length));
    } else if (item.type === "message") {
      for (const part of item.content ?? []) {
        if (part.type === "output_text") text += part.text ?? "";
        else if (part.type === "refusal") refusal += part.refusal ?? "";
      }
    } else if (item.type === "function_call") {
      toolCalls.push(toolCallOf(item));
    }
  }
  const message = assistantMessage({ text, reasoning: summaries.join("\n\n"), details, toolCalls });
  if (refusal) {
    message.refusal = refusal;
    message.content = text || null;
  }
  const { finish, native } = responsesFinish(body.status, body.incomplete_details?.reason, toolCalls.length > 0);
  return singleChoiceReply(message, finish, native, mapResponsesUsage(body.usage));
}

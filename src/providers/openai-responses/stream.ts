import { singleChoiceChunk as chunk } from "../assistant-message";
import { UpstreamStreamError } from "../openai/response";
import type { ChatChunkOut, StreamMapper } from "../types";
import {
  encryptedDetail,
  mapResponsesUsage,
  type ResponsesBody,
  type ResponsesItem,
  responsesFinish,
  summaryDetail,
  toolCallOf,
} from "./response";

/** What Tollgate reads of a Responses stream event (its `type` names it; the SSE event name agrees). */
interface ResponsesEvent {
  type?: string;
  output_index?: number;
  item_id?: string;
  summary_index?: number;
  delta?: string;
  item?: ResponsesItem;
  response?: ResponsesBody;
  code?: string | null;
  message?: string;
}

/**
 * Responses stream events ⇒ chat chunks. Text, refusal and reasoning-summary deltas pass straight
 * on; function calls are numbered among calls only (the event's `output_index` counts every
 * item), opened by output_item.added and filled by their arguments' deltas; a reasoning item's
 * encrypted content is whole only in output_item.done, so it goes out then. The terminal event
 * (completed or incomplete) carries the finish and the usage; `response.failed` and `error` fail
 * the stream as a provider's error.
 */
export function createResponsesStreamMapper(): StreamMapper {
  let done = false;
  const toolIndexes = new Map<number, number>();
  /** Reasoning details sent so far, for their `index` (summary parts, then the encrypted item). */
  let detailCount = 0;
  const end = (response: ResponsesBody | undefined): ChatChunkOut[] => {
    done = true;
    const { finish, native } = responsesFinish(
      response?.status,
      response?.incomplete_details?.reason,
      toolIndexes.size > 0,
    );
    const usage = mapResponsesUsage(response?.usage);
    return [chunk({}, finish, native), { choices: [], ...(usage ? { usage } : {}) }];
  };
  return {
    get done() {
      return done;
    },
    map(event) {
      const data = JSON.parse(event.data) as ResponsesEvent;
      switch (data.type) {
        case "response.created":
          return [chunk({ role: "assistant", content: "" })];
        case "response.output_item.added": {
          if (data.item?.type !== "function_call") return [];
          const index = toolIndexes.size;
          toolIndexes.set(Number(data.output_index), index);
          const call = toolCallOf(data.item);
          return [
            chunk({
              tool_calls: [
                { index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } },
              ],
            }),
          ];
        }
        case "response.output_text.delta":
          return data.delta ? [chunk({ content: data.delta })] : [];
        case "response.refusal.delta":
          return data.delta ? [chunk({ refusal: data.delta })] : [];
        case "response.reasoning_summary_text.delta": {
          if (!data.delta) return [];
          const detail = summaryDetail(data.delta, data.item_id, detailCount);
          return [chunk({ reasoning: data.delta, reasoning_details: [detail] })];
        }
        case "response.reasoning_summary_part.done":
          detailCount++;
          return [];
        case "response.reasoning_summary_part.added":
          // Summary parts are apart in the reasoning text, as in a whole reply's.
          return (data.summary_index ?? 0) > 0 ? [chunk({ reasoning: "\n\n" })] : [];
        case "response.function_call_arguments.delta": {
          const index = toolIndexes.get(Number(data.output_index));
          if (index === undefined || !data.delta) return [];
          return [chunk({ tool_calls: [{ index, function: { arguments: data.delta } }] })];
        }
        case "response.output_item.done": {
          const item = data.item;
          if (item?.type !== "reasoning" || !item.encrypted_content) return [];
          return [chunk({ reasoning_details: [encryptedDetail(item.encrypted_content, item.id, detailCount++)] })];
        }
        case "response.completed":
        case "response.incomplete":
          return end(data.response);
        case "response.failed": {
          const error = data.response?.error;
          throw new UpstreamStreamError(error?.message ?? "response failed", error?.code ?? undefined);
        }
        case "error":
          throw new UpstreamStreamError(data.message ?? "stream error", data.code ?? undefined);
        default:
          return []; // in_progress, content_part and *.done events repeat what the deltas said
      }
    },
  };
}

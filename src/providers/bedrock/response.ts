import type { ReasoningDetail, ToolCall } from "../../schema/chat";
import { JSON_TOOL } from "../anthropic/request";
import {
  CLAUDE_REASONING_FORMAT,
  mapStopReason as mapClaudeStopReason,
  mapUsage as mapClaudeUsage,
  thinkingPiece,
  toolInputDelta,
} from "../anthropic/response";
import { assistantMessage, singleChoiceChunk, singleChoiceReply } from "../assistant-message";
import { UpstreamStreamError } from "../openai/response";
import type { ChatCompletionOut, FinishReason, StreamMapper, Usage } from "../types";

/** Converse replies and ConverseStream events ⇒ OpenAI's shapes. */

/** What Tollgate reads of Converse's wire shapes (everything optional: the reply is not trusted). */
interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

interface ConverseToolUse {
  toolUseId?: string;
  name?: string;
  input?: unknown;
}

interface ConverseReasoning {
  reasoningText?: { text?: string; signature?: string };
  redactedContent?: string;
}

interface ConverseBlock {
  text?: string;
  toolUse?: ConverseToolUse;
  reasoningContent?: ConverseReasoning;
}

interface ConverseReply {
  output?: { message?: { content?: ConverseBlock[] } };
  stopReason?: string;
  usage?: ConverseUsage;
}

/** One ConverseStream event payload; which fields appear depends on the event type. */
interface ConverseStreamPayload {
  message?: string;
  contentBlockIndex?: number;
  start?: { toolUse?: ConverseToolUse };
  delta?: {
    text?: string;
    toolUse?: { input?: string };
    reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
  };
  stopReason?: string;
  usage?: ConverseUsage;
}

export function mapStopReason(reason: string | null | undefined, jsonTool = false): FinishReason | null {
  switch (reason) {
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    case "malformed_model_output":
    case "malformed_tool_use":
      return "error";
    default:
      return mapClaudeStopReason(reason, jsonTool);
  }
}

/** Converse usage is Claude's in camelCase: cache reads and writes come on top of inputTokens. */
export function mapUsage(raw: ConverseUsage | undefined, reasoningText = ""): Usage | undefined {
  if (!raw) return undefined;
  return mapClaudeUsage(
    {
      input_tokens: raw.inputTokens ?? 0,
      output_tokens: raw.outputTokens ?? 0,
      cache_read_input_tokens: raw.cacheReadInputTokens ?? 0,
      cache_creation_input_tokens: raw.cacheWriteInputTokens ?? 0,
    },
    undefined,
    reasoningText,
  );
}

export function parseBedrockResponse(raw: unknown): ChatCompletionOut {
  const body = (raw ?? {}) as ConverseReply;
  let text = "";
  let reasoning = "";
  let jsonTool = false;
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of body.output?.message?.content ?? []) {
    if (typeof block.text === "string") text += block.text;
    else if (block.toolUse) {
      const use = block.toolUse;
      if (use.name === JSON_TOOL) {
        // response_format json_schema rode on a forced tool: its input is the answer.
        jsonTool = true;
        text += JSON.stringify(use.input ?? {});
      } else {
        toolCalls.push({
          id: String(use.toolUseId),
          type: "function",
          function: { name: String(use.name), arguments: JSON.stringify(use.input ?? {}) },
        });
      }
    } else if (block.reasoningContent?.reasoningText) {
      const { text: thought = "", signature } = block.reasoningContent.reasoningText;
      reasoning += thought;
      details.push({
        type: "reasoning.text",
        text: thought,
        signature: signature ?? null,
        format: CLAUDE_REASONING_FORMAT,
        index: details.length,
      });
    } else if (block.reasoningContent?.redactedContent) {
      details.push({
        type: "reasoning.encrypted",
        data: block.reasoningContent.redactedContent,
        format: CLAUDE_REASONING_FORMAT,
        index: details.length,
      });
    }
  }
  const native = typeof body.stopReason === "string" ? body.stopReason : null;
  return singleChoiceReply(
    assistantMessage({ text, reasoning, details, toolCalls }),
    // Calls of the client's own tools next to the JSON tool's answer are still calls to make.
    mapStopReason(native, jsonTool && toolCalls.length === 0),
    native,
    mapUsage(body.usage, reasoning),
  );
}

interface BlockState {
  kind: "text" | "tool" | "json" | "reasoning";
  toolIndex?: number;
  /** A tool block received a non-empty input fragment. */
  hasInput?: boolean;
  signature?: string;
}

/**
 * ConverseStream events ⇒ OpenAI chunks. Tool calls are numbered among tool blocks; a reasoning
 * block streams as Anthropic's does (text pieces, then its signature); the stop reason comes
 * in messageStop and usage after it, in metadata, which ends the stream.
 */
export function createBedrockStreamMapper(): StreamMapper {
  let done = false;
  let tools = 0;
  let jsonTool = false;
  let reasoningText = "";
  const blocks = new Map<number, BlockState>();
  const chunk = singleChoiceChunk;
  const blockAt = (index: number, kind: BlockState["kind"]): BlockState => {
    let block = blocks.get(index);
    if (!block) {
      block = { kind };
      blocks.set(index, block);
    }
    return block;
  };
  return {
    get done() {
      return done;
    },
    map(event) {
      const type = event.event ?? "";
      const data = JSON.parse(event.data || "{}") as ConverseStreamPayload;
      const blockIndex = Number(data.contentBlockIndex ?? 0);
      if (type.startsWith("exception:")) {
        throw new UpstreamStreamError(
          String(data.message ?? type.slice("exception:".length)),
          type.slice("exception:".length),
        );
      }
      switch (type) {
        case "messageStart":
          return [chunk({ role: "assistant", content: "" })];
        case "contentBlockStart": {
          const use = data.start?.toolUse;
          if (!use) return [];
          if (use.name === JSON_TOOL) {
            jsonTool = true;
            blockAt(blockIndex, "json");
            return [];
          }
          const block = blockAt(blockIndex, "tool");
          block.toolIndex = tools++;
          return [
            chunk({
              tool_calls: [
                {
                  index: block.toolIndex,
                  id: String(use.toolUseId),
                  type: "function",
                  function: { name: String(use.name), arguments: "" },
                },
              ],
            }),
          ];
        }
        case "contentBlockDelta": {
          const delta = data.delta ?? {};
          if (typeof delta.text === "string") return delta.text ? [chunk({ content: delta.text })] : [];
          if (delta.toolUse) {
            const block = blockAt(blockIndex, "tool");
            const input = String(delta.toolUse.input ?? "");
            if (!input) return [];
            block.hasInput = true;
            return [chunk(toolInputDelta(block, input))];
          }
          const thought = delta.reasoningContent;
          if (thought) {
            const block = blockAt(blockIndex, "reasoning");
            if (typeof thought.text === "string" && thought.text) {
              reasoningText += thought.text;
              return [chunk({ reasoning: thought.text, reasoning_details: [thinkingPiece(thought.text)] })];
            }
            if (typeof thought.signature === "string") block.signature = (block.signature ?? "") + thought.signature;
            if (typeof thought.redactedContent === "string") {
              return [
                chunk({
                  reasoning_details: [
                    { type: "reasoning.encrypted", data: thought.redactedContent, format: CLAUDE_REASONING_FORMAT },
                  ],
                }),
              ];
            }
          }
          return [];
        }
        case "contentBlockStop": {
          const block = blocks.get(blockIndex);
          // A tool without arguments may stream no (or only empty) input: its input is {}, as in
          // a Converse reply, and a client's JSON.parse of "" would throw.
          if ((block?.kind === "tool" || block?.kind === "json") && !block.hasInput) {
            return [chunk(toolInputDelta(block, "{}"))];
          }
          // The signature closes the block its text pieces streamed (see thinkingPiece).
          if (block?.kind === "reasoning" && block.signature) {
            return [chunk({ reasoning_details: [thinkingPiece("", block.signature)] })];
          }
          return [];
        }
        case "messageStop": {
          const native = typeof data.stopReason === "string" ? data.stopReason : "end_turn";
          return [chunk({}, mapStopReason(native, jsonTool && tools === 0), native)];
        }
        case "metadata": {
          done = true;
          const usage = mapUsage(data.usage, reasoningText);
          return usage ? [{ choices: [], usage }] : [];
        }
        default:
          return [];
      }
    },
  };
}

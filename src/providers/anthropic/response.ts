import type { ReasoningDetail, ToolCall } from "../../schema/chat";
import { estimateTextTokens } from "../../transforms/tokens";
import { assistantMessage, singleChoiceChunk, singleChoiceReply } from "../assistant-message";
import { UpstreamStreamError } from "../openai/response";
import type { ChatCompletionOut, DeltaOut, FinishReason, StreamMapper, UrlCitation, Usage } from "../types";
import { nativeSearchesOf } from "./native-searches";
import { JSON_TOOL } from "./request";

/** The `format` of Claude's reasoning details, from Anthropic and from Bedrock alike. */
export const CLAUDE_REASONING_FORMAT = "anthropic-claude-v1";

/** What Tollgate reads of Anthropic's wire shapes (everything optional: the reply is not trusted). */
interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** The writes by lifetime (their sum is cache_creation_input_tokens): 1-hour ones cost more. */
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
  output_tokens_details?: { thinking_tokens?: number };
  /** Searches the web search server tool ran: billed by Anthropic per search. */
  server_tool_use?: { web_search_requests?: number } | null;
}

/** A text block's citation of a web search result (`web_search_result_location`). */
interface AnthropicCitation {
  type?: string;
  url?: string;
  title?: string | null;
  cited_text?: string;
}

interface AnthropicBlock {
  type?: string;
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
  citations?: AnthropicCitation[] | null;
}

interface AnthropicMessage {
  content?: AnthropicBlock[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

interface AnthropicStreamEvent {
  type?: string;
  index?: number;
  message?: AnthropicMessage;
  content_block?: AnthropicBlock;
  delta?: {
    type?: string;
    text?: string;
    thinking?: string;
    signature?: string;
    partial_json?: string;
    stop_reason?: string | null;
    citation?: AnthropicCitation;
  };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

/** Anthropic stop reasons ⇒ OpenAI finish reasons (`native_finish_reason` keeps the original). */
export function mapStopReason(reason: string | null | undefined, jsonTool = false): FinishReason | null {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return jsonTool ? "stop" : "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}

/**
 * Anthropic's input_tokens excludes cache reads and writes; OpenAI's prompt_tokens includes them,
 * so they are added back and also reported in the details (for pricing at cache rates).
 */
export function mapUsage(raw: AnthropicUsage | undefined, outputTokens?: number, thinkingText = ""): Usage | undefined {
  if (!raw) return undefined;
  const input = Number(raw.input_tokens ?? 0);
  const read = Number(raw.cache_read_input_tokens ?? 0);
  const write = Number(raw.cache_creation_input_tokens ?? 0);
  // 1-hour writes are billed at their own rate; never more of them than writes in all.
  const write1h = Math.min(Number(raw.cache_creation?.ephemeral_1h_input_tokens ?? 0), write);
  const output = Number(outputTokens ?? raw.output_tokens ?? 0);
  const prompt = input + read + write;
  // Anthropic counts thinking inside output_tokens without a breakdown (unless it sends one).
  const thinking = Number(raw.output_tokens_details?.thinking_tokens ?? estimateTextTokens(thinkingText));
  const searches = Number(raw.server_tool_use?.web_search_requests ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: {
      cached_tokens: read,
      cache_write_tokens: write,
      ...(write1h > 0 ? { cache_write_1h_tokens: write1h } : {}),
    },
    ...(thinking > 0 ? { completion_tokens_details: { reasoning_tokens: Math.min(thinking, output) } } : {}),
    ...(searches > 0 ? { billed_apart: { web_searches: searches } } : {}),
  };
}

/**
 * A web search result a text block cites, as OpenRouter's `url_citation`: located at the text it
 * cites (`start`..`end` of the reply's content), with the passage cited as its content.
 */
function urlCitation(citation: AnthropicCitation, start: number, end: number): UrlCitation | undefined {
  if (citation.type !== "web_search_result_location" || typeof citation.url !== "string") return undefined;
  return {
    type: "url_citation",
    url_citation: {
      url: citation.url,
      title: citation.title || citation.url,
      content: citation.cited_text ?? "",
      start_index: start,
      end_index: end,
    },
  };
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

function partialUsageOf(raw: AnthropicUsage | undefined, outputTokens: number): { partialUsage?: Usage } {
  const usage = raw && isCount(raw.input_tokens) ? mapUsage(raw, outputTokens) : undefined;
  return usage ? { partialUsage: usage } : {};
}

const isJsonTool = (block: AnthropicBlock) => block.type === "tool_use" && block.name === JSON_TOOL;

export function parseAnthropicResponse(raw: unknown): ChatCompletionOut {
  const body = (raw ?? {}) as AnthropicMessage;
  const blocks = Array.isArray(body.content) ? body.content : [];
  let text = "";
  let reasoning = "";
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  let jsonTool = false;
  const cited: UrlCitation[] = [];
  // server_tool_use and web_search_tool_result blocks (a native web search) are not content: what
  // the reply takes of them is the text's citations (and, apart, the searches: nativeSearches).
  for (const block of blocks) {
    if (block.type === "text") {
      const start = text.length;
      text += block.text ?? "";
      for (const citation of block.citations ?? []) {
        const annotation = urlCitation(citation, start, text.length);
        if (annotation) cited.push(annotation);
      }
    } else if (block.type === "thinking") {
      reasoning += block.thinking ?? "";
      details.push({
        type: "reasoning.text",
        text: block.thinking ?? "",
        signature: block.signature ?? null,
        format: CLAUDE_REASONING_FORMAT,
        index: details.length,
      });
    } else if (block.type === "redacted_thinking") {
      details.push({
        type: "reasoning.encrypted",
        data: block.data ?? "",
        format: CLAUDE_REASONING_FORMAT,
        index: details.length,
      });
    } else if (isJsonTool(block)) {
      // response_format json_schema rode on a forced tool: its input is the answer.
      jsonTool = true;
      text += JSON.stringify(block.input ?? {});
    } else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id ?? "",
        type: "function",
        function: { name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const native = body.stop_reason ?? null;
  const message = assistantMessage({ text, reasoning, details, toolCalls });
  if (cited.length > 0) message.annotations = cited;
  const searches = nativeSearchesOf(blocks);
  return {
    ...(searches.length > 0 ? { nativeSearches: searches } : {}),
    ...singleChoiceReply(
      message,
      // Calls of the client's own tools next to the JSON tool's answer are still calls to make.
      mapStopReason(native, jsonTool && toolCalls.length === 0),
      native,
      mapUsage(body.usage, undefined, reasoning),
    ),
    system_fingerprint: null,
  };
}

/**
 * A fragment of a Claude tool block's input as a delta: the forced JSON tool's input is the
 * reply's content (response_format json_schema), a tool's is its call's arguments.
 */
export function toolInputDelta(block: { kind: string; toolIndex?: number }, input: string): DeltaOut {
  return block.kind === "json"
    ? { content: input }
    : { tool_calls: [{ index: block.toolIndex ?? 0, function: { arguments: input } }] };
}

/**
 * One streamed piece of a thinking block, as OpenRouter streams them: each `reasoning` delta
 * carries its text as a `reasoning.text` detail too, and the signature closes the block in a last
 * piece with no text. Clients merge consecutive pieces into the block (the AI SDK provider does;
 * thinkingBlocks does for clients that send the pieces back as they came). Handing the whole block
 * over again at its end, as this once did, made clients that read reasoning from reasoning_details
 * show (and count) it twice.
 */
export function thinkingPiece(text: string, signature?: string): ReasoningDetail {
  return { type: "reasoning.text", text, ...(signature ? { signature } : {}), format: CLAUDE_REASONING_FORMAT };
}

/**
 * Anthropic stream events ⇒ OpenAI chunks. Tool calls are numbered among tool_use blocks only
 * (Anthropic's `index` counts every block); usage comes from message_start (input side) and the
 * last message_delta (cumulative output); `message_stop` is the natural end.
 */
export function createAnthropicStreamMapper(): StreamMapper {
  let done = false;
  let inputUsage: AnthropicUsage | undefined;
  let outputTokens = 0;
  let stopReason: string | null = null;
  let jsonTool = false;
  const blockKinds = new Map<
    number,
    {
      kind: string;
      toolIndex?: number;
      signature?: string;
      hasInput?: boolean;
      start?: number;
      cites?: AnthropicCitation[];
    }
  >();
  // A native web search's citations: located once their text block is whole, sent at the end in
  // one annotations delta (as the gateway's Exa search sends its citations: streaming/chat-stream.ts).
  let textLength = 0;
  const cited: UrlCitation[] = [];
  let toolCount = 0;
  let thinkingText = "";
  const chunk = singleChoiceChunk;
  return {
    get done() {
      return done;
    },
    map(event) {
      const data = JSON.parse(event.data) as AnthropicStreamEvent;
      switch (data.type) {
        case "message_start":
          inputUsage = data.message?.usage;
          outputTokens = Number(data.message?.usage?.output_tokens ?? 0);
          // The prompt side is final here (cache reads and writes too): a stream cut before
          // message_stop is charged it rather than the gateway's estimate of the prompt.
          return [{ ...chunk({ role: "assistant", content: "" }), ...partialUsageOf(inputUsage, outputTokens) }];
        case "content_block_start": {
          const block = data.content_block ?? {};
          const index = Number(data.index);
          if (isJsonTool(block)) {
            jsonTool = true;
            blockKinds.set(index, { kind: "json" });
            return [];
          }
          if (block.type === "tool_use") {
            const toolIndex = toolCount++;
            blockKinds.set(index, { kind: "tool", toolIndex });
            return [
              chunk({
                tool_calls: [
                  {
                    index: toolIndex,
                    id: block.id ?? "",
                    type: "function",
                    function: { name: block.name ?? "", arguments: "" },
                  },
                ],
              }),
            ];
          }
          if (block.type === "redacted_thinking") {
            return [
              chunk({
                reasoning_details: [
                  { type: "reasoning.encrypted", data: block.data ?? "", format: CLAUDE_REASONING_FORMAT },
                ],
              }),
            ];
          }
          blockKinds.set(index, { kind: block.type ?? "", start: textLength });
          if (block.type === "text" && block.text) {
            textLength += block.text.length;
            return [chunk({ content: block.text })];
          }
          return [];
        }
        case "content_block_delta": {
          const delta = data.delta ?? {};
          const block = blockKinds.get(Number(data.index));
          if (delta.type === "text_delta") {
            textLength += delta.text?.length ?? 0;
            return [chunk({ content: delta.text ?? "" })];
          }
          if (delta.type === "citations_delta" && block && delta.citation) {
            block.cites = [...(block.cites ?? []), delta.citation];
            return [];
          }
          if (delta.type === "thinking_delta") {
            const text = delta.thinking ?? "";
            thinkingText += text;
            return [chunk({ reasoning: text, reasoning_details: [thinkingPiece(text)] })];
          }
          if (delta.type === "signature_delta" && block) {
            block.signature = (block.signature ?? "") + (delta.signature ?? "");
            return [];
          }
          // An empty fragment says nothing (a tool without arguments streams only those).
          if (
            delta.type === "input_json_delta" &&
            (block?.kind === "json" || block?.kind === "tool") &&
            delta.partial_json
          ) {
            block.hasInput = true;
            return [chunk(toolInputDelta(block, delta.partial_json))];
          }
          return [];
        }
        case "content_block_stop": {
          const block = blockKinds.get(Number(data.index));
          for (const citation of block?.cites ?? []) {
            const annotation = urlCitation(citation, block?.start ?? 0, textLength);
            if (annotation) cited.push(annotation);
          }
          // A tool without arguments streams only empty partial_json: its input is {} (as in a
          // non-streamed reply), and a client's JSON.parse of "" would throw.
          if ((block?.kind === "tool" || block?.kind === "json") && !block.hasInput) {
            return [chunk(toolInputDelta(block, "{}"))];
          }
          // The signature arrives last, closing the block its text pieces streamed.
          if (block?.kind === "thinking" && block.signature) {
            return [chunk({ reasoning_details: [thinkingPiece("", block.signature)] })];
          }
          return [];
        }
        case "message_delta": {
          // The delta's counts are cumulative and replace message_start's, but only where it gives
          // one: its usage fields are nullable, and a null (or absent) input_tokens or cache count
          // taken over would drop those prompt tokens from the charge.
          const delta = data.usage ?? {};
          if (isCount(delta.output_tokens)) outputTokens = delta.output_tokens;
          const merged: AnthropicUsage = { ...inputUsage };
          for (const key of ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"] as const) {
            const value = delta[key];
            if (isCount(value)) merged[key] = value;
          }
          // The split goes with the total it splits (both final in message_start, maybe repeated).
          if (delta.cache_creation && isCount(delta.cache_creation.ephemeral_1h_input_tokens))
            merged.cache_creation = delta.cache_creation;
          if (isCount(delta.output_tokens_details?.thinking_tokens))
            merged.output_tokens_details = delta.output_tokens_details;
          if (isCount(delta.server_tool_use?.web_search_requests)) merged.server_tool_use = delta.server_tool_use;
          inputUsage = merged;
          stopReason = data.delta?.stop_reason ?? stopReason;
          return [];
        }
        case "message_stop": {
          done = true;
          const usage = mapUsage(inputUsage ?? {}, outputTokens, thinkingText);
          const final = chunk(
            {},
            mapStopReason(stopReason ?? "end_turn", jsonTool && toolCount === 0),
            stopReason ?? "end_turn",
          );
          const annotations = cited.length > 0 ? [chunk({ annotations: cited })] : [];
          return [...annotations, final, { choices: [], ...(usage ? { usage } : {}) }];
        }
        case "error":
          throw new UpstreamStreamError(data.error?.message ?? "stream error", data.error?.type);
        default:
          return []; // ping and future event types
      }
    },
  };
}

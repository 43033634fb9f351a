import type { UrlCitation } from "../providers/types";
import type { MessagesRequest } from "../schema/messages";
import type { ServerToolCallRecord } from "../tools/server-tools";
import {
  type ChatChunk,
  type ChatReasoningDetail,
  type ChatToolCallDelta,
  type ChunkTranslator,
  citationsIn,
  translateChatStream,
} from "./chat-events";
import { errorBody, messagesUsage, stopOf, webSearchCitation } from "./messages";
import { serverToolBlocks } from "./messages-server-blocks";

/**
 * The chat stream as Anthropic's Messages events: `message_start`, then each content block in
 * index order (`content_block_start`, its deltas, `content_block_stop`), then `message_delta`
 * with the stop reason and the usage, then `message_stop` (providers.md §2.4). The chat stream
 * gives the usage at its end only: `message_start` carries zeros, and `message_delta` the whole
 * usage (input and cache tokens too, as Anthropic's recent streams repeat them, and the cost).
 * A failure after the stream began is Anthropic's `error` event, and the stream ends there.
 */
export function messagesEventStream(
  chat: ReadableStream<Uint8Array>,
  request: MessagesRequest,
  /** The server-tool calls the chat request's loop runs (filled as they run): all run by the answer's first chunk. */
  serverCalls: readonly ServerToolCallRecord[] = [],
): ReadableStream<Uint8Array> {
  return translateChatStream(chat, new MessagesStreamState(request, serverCalls));
}

type OpenBlock =
  | { kind: "text"; index: number }
  | { kind: "redacted"; index: number }
  | { kind: "thinking"; index: number; signed: boolean }
  | { kind: "tool"; index: number }
  /** A server tool's call or result (messages-server-blocks.ts). */
  | { kind: "server"; index: number };

interface ToolState {
  id: string;
  name: string;
  /** Arguments that came before the block could be opened (its name not yet known). */
  pending: string;
  /** The block's index once opened. */
  index: number | undefined;
}

class MessagesStreamState implements ChunkTranslator {
  private out = "";
  private started = false;
  private ended = false;
  private nextIndex = 0;
  private open: OpenBlock | undefined;
  private readonly tools = new Map<number, ToolState>();
  /** The last text block's index: web search citations come after the text they cite. */
  private lastText: number | undefined;
  private finishReason: string | null = null;
  private nativeFinishReason: string | null = null;

  constructor(
    private readonly request: MessagesRequest,
    private readonly serverCalls: readonly ServerToolCallRecord[],
  ) {}

  chunk(chunk: ChatChunk): string {
    this.out = "";
    if (this.ended) return "";
    if (!this.started) this.start(chunk);
    const choice = chunk.choices.find((c) => c.index === 0);
    if (choice) {
      const { delta } = choice;
      if (delta.reasoning) this.thinkingDelta(delta.reasoning);
      if (delta.reasoning_details) for (const detail of delta.reasoning_details) this.reasoningDetail(detail);
      const text = (delta.content ?? "") + (delta.refusal ?? "");
      if (text) this.textDelta(text);
      const cited = citationsIn(delta.annotations);
      if (cited?.length) this.citationsDelta(cited);
      if (delta.tool_calls) for (const call of delta.tool_calls) this.toolCallDelta(call);
      if (choice.finish_reason && choice.finish_reason !== "error") {
        this.finishReason = choice.finish_reason;
        this.nativeFinishReason = choice.native_finish_reason ?? null;
      }
    }
    if (chunk.error) this.fail(chunk.error);
    else if (chunk.usage) this.complete(chunk);
    return this.out;
  }

  private emit(type: string, fields: object): void {
    this.out += `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
  }

  private start(chunk: ChatChunk): void {
    this.started = true;
    this.emit("message_start", {
      message: {
        id: chunk.id,
        type: "message",
        role: "assistant",
        model: chunk.model,
        ...(chunk.provider ? { provider: chunk.provider } : {}),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    this.serverToolBlocks(chunk.id);
  }

  /**
   * The searches and fetches, each call's block and its result's, ahead of the answer's, as
   * Anthropic streams them: the call opened with an empty input, its input as one JSON delta;
   * the result whole at its start. A loop's stream sends its answer once the loop has ended
   * (keep-alive comments until then), so all have run by the first chunk.
   */
  private serverToolBlocks(messageId: string): void {
    for (const [use, result] of serverToolBlocks(this.serverCalls, messageId)) {
      const callIndex = this.nextIndex++;
      this.openBlock({ kind: "server", index: callIndex }, { ...use, input: {} });
      this.delta(callIndex, { type: "input_json_delta", partial_json: JSON.stringify(use.input) });
      this.openBlock({ kind: "server", index: this.nextIndex++ }, result);
    }
    this.closeBlock();
  }

  private openBlock(block: OpenBlock, contentBlock: object): void {
    this.closeBlock();
    this.open = block;
    this.emit("content_block_start", { index: block.index, content_block: contentBlock });
  }

  private closeBlock(): void {
    if (!this.open) return;
    this.emit("content_block_stop", { index: this.open.index });
    this.open = undefined;
  }

  private delta(index: number, delta: object): void {
    this.emit("content_block_delta", { index, delta });
  }

  /** The open thinking block, or a new one: thinking after a signed block starts the next block. */
  private thinkingBlock(): Extract<OpenBlock, { kind: "thinking" }> {
    if (this.open?.kind === "thinking" && !this.open.signed) return this.open;
    const block = { kind: "thinking" as const, index: this.nextIndex++, signed: false };
    this.openBlock(block, { type: "thinking", thinking: "", signature: "" });
    return block;
  }

  private thinkingDelta(thinking: string): void {
    this.delta(this.thinkingBlock().index, { type: "thinking_delta", thinking });
  }

  /** A signature closes the thinking it signs (a signature alone, Gemini's, is a block of its own); redacted thinking is a whole block. */
  private reasoningDetail(detail: ChatReasoningDetail): void {
    if (detail.type === "reasoning.encrypted") {
      if (!detail.data) return;
      const index = this.nextIndex++;
      this.openBlock({ kind: "redacted", index }, { type: "redacted_thinking", data: detail.data });
      this.closeBlock();
    } else if (detail.signature) {
      const block = this.thinkingBlock();
      block.signed = true;
      this.delta(block.index, { type: "signature_delta", signature: detail.signature });
    }
  }

  private textDelta(text: string): void {
    if (this.open?.kind !== "text") {
      this.lastText = this.nextIndex++;
      this.openBlock({ kind: "text", index: this.lastText }, { type: "text", text: "" });
    }
    this.delta((this.open as OpenBlock).index, { type: "text_delta", text });
  }

  /**
   * Web search citations, on the last text block (Anthropic's SDK adds a delta to the block its
   * index names, open or not); an answer with no text has nothing to cite them on.
   */
  private citationsDelta(cited: UrlCitation[]): void {
    if (this.lastText === undefined) return;
    for (const citation of cited) {
      this.delta(this.lastText, { type: "citations_delta", citation: webSearchCitation(citation) });
    }
  }

  /**
   * A tool call is a tool_use block, opened once its name is known (some providers name it on a
   * later delta; arguments before then go out with it). Providers stream parallel calls one after
   * another; a piece for a call whose block is already closed still names that block's index,
   * which Anthropic's SDK adds to that block.
   */
  private toolCallDelta(call: ChatToolCallDelta): void {
    let tool = this.tools.get(call.index);
    if (!tool) {
      tool = { id: "", name: "", pending: "", index: undefined };
      this.tools.set(call.index, tool);
    }
    if (call.id && !tool.id) tool.id = call.id;
    if (call.function?.name && !tool.name) tool.name = call.function.name;
    const piece = call.function?.arguments ?? "";
    if (tool.index === undefined) {
      tool.pending += piece;
      if (tool.name) this.openTool(tool);
    } else if (piece) {
      this.delta(tool.index, { type: "input_json_delta", partial_json: piece });
    }
  }

  private openTool(tool: ToolState): void {
    const index = this.nextIndex++;
    tool.index = index;
    this.openBlock({ kind: "tool", index }, { type: "tool_use", id: tool.id, name: tool.name, input: {} });
    if (tool.pending) this.delta(index, { type: "input_json_delta", partial_json: tool.pending });
    tool.pending = "";
  }

  private complete(chunk: ChatChunk): void {
    this.ended = true;
    // A call never named (a provider's fault) is still shown, with what it gave.
    for (const tool of this.tools.values()) if (tool.index === undefined) this.openTool(tool);
    this.closeBlock();
    const usage = messagesUsage(chunk.usage as NonNullable<ChatChunk["usage"]>);
    this.emit("message_delta", {
      delta: stopOf(this.finishReason, this.nativeFinishReason, this.request.stop_sequences),
      usage,
    });
    // The router's metadata, for a request that opted in: on the terminal event, as OpenRouter sends it.
    this.emit("message_stop", chunk.openrouter_metadata ? { openrouter_metadata: chunk.openrouter_metadata } : {});
  }

  private fail(error: NonNullable<ChatChunk["error"]>): void {
    this.ended = true;
    this.closeBlock();
    this.emit("error", { error: errorBody(error.code, error.message).error });
  }
}

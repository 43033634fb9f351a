import type { Annotation, UrlCitation } from "../providers/types";
import type { RouterMetadata } from "./router-metadata";
import type { PublicUsage } from "./usage";

/**
 * What the chat path's reply and stream carry, as the APIs translated from it (the Responses API,
 * Anthropic's Messages API) read them: the reply's message, the stream's chunks, and a reader
 * that turns the chat stream's SSE frames into another API's events.
 */

/** A reasoning detail as the chat reply carries it (providers/types.ts, schema/chat.ts). */
export interface ChatReasoningDetail {
  type: string;
  text?: string | null;
  summary?: string | null;
  data?: string | null;
  signature?: string | null;
  format?: string | null;
}

/**
 * The web results an answer cites, of its annotations: what /responses and /messages translate
 * (a PDF's annotation, files/request-files.ts, has no place in their replies).
 */
export const citationsIn = (annotations: Annotation[] | undefined): UrlCitation[] | undefined =>
  annotations?.filter((annotation): annotation is UrlCitation => annotation.type === "url_citation");

/** A non-streaming chat reply's message, as far as a translation reads it. */
export interface ChatMessage {
  content?: string | null;
  refusal?: string | null;
  reasoning?: string | null;
  reasoning_details?: ChatReasoningDetail[];
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
  /** Web search results cited (search/web.ts) and PDFs read (files/request-files.ts). */
  annotations?: Annotation[];
}

/** A non-streaming chat reply's choice. */
export interface ChatChoice {
  message: ChatMessage;
  finish_reason: string | null;
  native_finish_reason?: string | null;
}

/** A streamed tool-call delta (its id and name come first, its arguments in pieces). */
export interface ChatToolCallDelta {
  index: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/** One chunk of the chat stream (streaming/chat-stream.ts). */
export interface ChatChunk {
  id: string;
  model: string;
  provider?: string;
  created: number;
  choices: Array<{
    index: number;
    delta: {
      content?: string | null;
      refusal?: string | null;
      reasoning?: string | null;
      reasoning_details?: ChatReasoningDetail[];
      tool_calls?: ChatToolCallDelta[];
      /** Web search results cited and PDFs read, in one delta before the finish (streaming/chat-stream.ts). */
      annotations?: Annotation[];
    };
    finish_reason: string | null;
    native_finish_reason?: string | null;
  }>;
  usage?: PublicUsage;
  error?: { code: number; message: string; metadata?: { error_type?: string } };
  /** `debug.echo_upstream_body`'s chunk, the stream's first (streaming/chat-stream.ts). */
  debug?: { echo_upstream_body: unknown };
  /** The router's metadata, on the final chunk of a request that opted in (router-metadata.ts). */
  openrouter_metadata?: RouterMetadata;
}

/**
 * One block of the model's reasoning: its text, and what a provider needs to continue from it
 * (Claude's signature, its redacted thinking as `encrypted`, Gemini's thought signature).
 */
export interface ReasoningBlock {
  text: string;
  signature?: string | null;
  encrypted?: string | null;
  format?: string | null;
}

/** A reply's reasoning as blocks: one per reasoning detail, or its reasoning text alone. */
export function reasoningBlocks(message: ChatMessage): ReasoningBlock[] {
  const blocks: ReasoningBlock[] = (message.reasoning_details ?? []).map((detail) =>
    detail.type === "reasoning.encrypted"
      ? { text: "", encrypted: detail.data, format: detail.format }
      : { text: detail.text ?? detail.summary ?? "", signature: detail.signature, format: detail.format },
  );
  // Details that hold no text (Gemini's signatures alone): the text comes first, in a block of its own.
  if (message.reasoning && !blocks.some((block) => block.text)) blocks.unshift({ text: message.reasoning });
  return blocks;
}

/** Turns each chat chunk into another API's serialised events (state kept per stream). */
export interface ChunkTranslator {
  chunk(chunk: ChatChunk): string;
}

/**
 * The chat stream's chunks (SSE, as streaming/chat-stream.ts writes them) translated one by one;
 * keep-alive comments go on as they are (SSE clients skip them) and `[DONE]` is dropped. Per
 * chunk: one JSON parse and what the translator writes.
 */
export function translateChatStream(
  chat: ReadableStream<Uint8Array>,
  translator: ChunkTranslator,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffered = "";
  return chat.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, controller) {
        buffered += decoder.decode(bytes, { stream: true });
        if (!buffered.includes("\n\n")) return;
        const frames = buffered.split("\n\n");
        buffered = frames.pop() ?? "";
        let out = "";
        for (const frame of frames) {
          if (frame.startsWith("data: ")) {
            const data = frame.slice(6);
            if (data !== "[DONE]") out += translator.chunk(JSON.parse(data) as ChatChunk);
          } else if (frame.startsWith(":")) {
            out += `${frame}\n\n`;
          }
        }
        if (out) controller.enqueue(encoder.encode(out));
      },
    }),
  );
}

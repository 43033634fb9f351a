import type { CompletionReply } from "../generation/reply-shape";
import type { ChoiceOut, ChunkChoiceOut } from "../providers/types";
import { type ChunkEnvelope, chunkPrefix } from "./chunk-envelope";

/**
 * A reply the gateway already has whole (a server-tool loop's answer: its turns run upstream
 * unstreamed), sent to a client that asked to stream as the chunks a relayed stream sends (same
 * envelope, chat-stream.ts): each choice's message in one delta, its finish, its annotations in a
 * delta of their own, then the usage chunk and `[DONE]`.
 */
export function wholeReplyEvents(reply: CompletionReply<ChoiceOut>, chunkObject: string): string {
  const frame = framer(reply, chunkObject);
  const message = (choice: ChoiceOut) => {
    const { annotations: _cited, tool_calls: calls, ...rest } = choice.message;
    return {
      ...rest,
      ...(calls ? { tool_calls: calls.map((call, index) => ({ index, ...call })) } : {}),
    };
  };
  let events = frame(reply.choices.map((c) => ({ index: c.index, delta: message(c), finish_reason: null })));
  events += frame(
    reply.choices.map((c) => ({
      index: c.index,
      delta: {},
      finish_reason: c.finish_reason,
      native_finish_reason: c.native_finish_reason,
    })),
  );
  const cited = reply.choices.filter((c) => c.message.annotations);
  if (cited.length > 0) {
    events += frame(
      cited.map((c) => ({ index: c.index, delta: { annotations: c.message.annotations }, finish_reason: null })),
    );
  }
  const metadata = reply.openrouter_metadata
    ? `,"openrouter_metadata":${JSON.stringify(reply.openrouter_metadata)}`
    : "";
  return `${events}${frame([], `,"usage":${JSON.stringify(reply.usage)}${metadata}`)}data: [DONE]\n\n`;
}

/** One chunk's SSE frame, in the envelope every chunk of the stream shares (as chat-stream.ts frames them). */
function framer(envelope: ChunkEnvelope, chunkObject: string) {
  const prefix = chunkPrefix(envelope, chunkObject);
  return (choices: ChunkChoiceOut[], extra = "") => `${prefix}${JSON.stringify(choices)}${extra}}\n\n`;
}

/** A stream that failed before its answer: its choice ends with the error (as a relayed stream's does), then `[DONE]`. */
export function errorEvents(envelope: ChunkEnvelope, chunkObject: string, code: number, message: string): string {
  const choices: ChunkChoiceOut[] = [
    { index: 0, delta: { content: "" }, finish_reason: "error", native_finish_reason: "error" },
  ];
  return `${framer(envelope, chunkObject)(choices, `,"error":${JSON.stringify({ code, message })}`)}data: [DONE]\n\n`;
}

import type {
  ChatAdapter,
  ChatChunkOut,
  FinishReason,
  StreamMapper,
  UpstreamEvent,
  UpstreamTarget,
  Usage,
} from "../providers/types";
import { KEEP_ALIVE_BYTES, SseParser } from "./sse";

/** What the stream knew when it ended, handed to settlement. */
export interface StreamSummary {
  usage: Usage | undefined;
  /** Text produced (content + reasoning + tool arguments), for estimating usage when none came. */
  producedText: string;
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  /** The client went away before the end. */
  cancelled: boolean;
  /** The upstream failed mid-stream (cut, stall, malformed chunk, in-band error). */
  error: string | undefined;
  /** Milliseconds from the stream's start to its first content chunk (undefined if none came). */
  firstChunkAt: number | undefined;
}

/** The final chunk's usage and cost, computed by the caller from the summary (charging rules). */
export type FinalizeUsage = (summary: StreamSummary) => Record<string, unknown>;

export interface ChatStreamOptions {
  body: ReadableStream<Uint8Array>;
  adapter: ChatAdapter;
  target: UpstreamTarget;
  /** Stamped on every chunk. */
  header: { id: string; model: string; provider: string; created: number };
  /** Interval of `: OPENROUTER PROCESSING` comments until the first chunk. */
  keepAliveMs: number;
  /** Milliseconds of upstream silence after which the stream is failed (a stall). */
  idleTimeoutMs: number;
  finalizeUsage: FinalizeUsage;
  /** Called exactly once when the stream is over, however it ended. */
  onEnd: (summary: StreamSummary) => void;
  /** Aborts the upstream fetch. */
  abortUpstream: () => void;
}

/**
 * Upstream events ⇒ adapter chunk map ⇒ OpenAI chunks stamped with the gateway's id/model/provider
 * ⇒ SSE. Pull-based: each upstream event is forwarded as soon as it is read, nothing is buffered
 * whole. Upstream usage is held back and re-emitted, with cost, in one final chunk before
 * `[DONE]`; a broken upstream ends the stream with an error chunk, never a clean-looking end.
 */
export function createChatStream(options: ChatStreamOptions): ReadableStream<Uint8Array> {
  const { header } = options;
  const nextEvents = eventSource(options.body, options.adapter);
  const mapper: StreamMapper = options.adapter.createStreamMapper(options.target);
  const startedAt = Date.now();
  const summary: StreamSummary = {
    usage: undefined,
    producedText: "",
    finishReason: null,
    nativeFinishReason: null,
    cancelled: false,
    error: undefined,
    firstChunkAt: undefined,
  };
  // Every chunk shares its envelope, so it is serialised once and choices are spliced in.
  const prefix = `data: {"id":${JSON.stringify(header.id)},"provider":${JSON.stringify(header.provider)},"model":${JSON.stringify(header.model)},"object":"chat.completion.chunk","created":${header.created},"choices":`;
  const frame = (choices: unknown, extra = "") => `${prefix}${JSON.stringify(choices)}${extra}}\n\n`;
  let ended = false;
  let lastActivity = Date.now();
  let watchdog: ReturnType<typeof setInterval> | undefined;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;

  const end = () => {
    if (ended) return false;
    ended = true;
    if (watchdog !== undefined) clearInterval(watchdog);
    options.onEnd(summary);
    return true;
  };

  const finish = (controller: ReadableStreamDefaultController<Uint8Array>, pending: string) => {
    if (!end()) return;
    const usage = `,"usage":${JSON.stringify(options.finalizeUsage(summary))}`;
    controller.enqueue(encoder.encode(`${pending}${frame([], usage)}data: [DONE]\n\n`));
    controller.close();
  };

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, message: string, pending = "") => {
    if (ended) return;
    summary.error = message;
    options.abortUpstream();
    if (!end()) return;
    const error = {
      code: 502,
      message,
      metadata: { error_type: "provider_unavailable", provider_name: header.provider },
    };
    const extra = `,"error":${JSON.stringify(error)},"usage":${JSON.stringify(options.finalizeUsage(summary))}`;
    const choices = [{ index: 0, delta: { content: "" }, finish_reason: "error", native_finish_reason: "error" }];
    controller.enqueue(encoder.encode(`${pending}${frame(choices, extra)}data: [DONE]\n\n`));
    controller.close();
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
        // Headers are already out; the comment tells clients and proxies the stream is alive.
        controller.enqueue(KEEP_ALIVE_BYTES);
        // One timer per stream does both jobs: keep-alives before the first token, and failing a
        // stream whose upstream went silent (a per-read timer would cost a timer per chunk).
        const tick = Math.max(50, Math.min(options.keepAliveMs, options.idleTimeoutMs / 4));
        let lastKeepAlive = Date.now();
        watchdog = setInterval(() => {
          if (ended || !controllerRef) return;
          const now = Date.now();
          if (now - lastActivity >= options.idleTimeoutMs) {
            fail(controllerRef, `The provider's stream stalled (no data for ${options.idleTimeoutMs} ms)`);
            return;
          }
          if (summary.firstChunkAt === undefined && now - lastKeepAlive >= options.keepAliveMs) {
            lastKeepAlive = now;
            controllerRef.enqueue(KEEP_ALIVE_BYTES);
          }
        }, tick);
      },
      async pull(controller) {
        let pending = "";
        try {
          for (;;) {
            const events = await nextEvents();
            if (ended) return;
            lastActivity = Date.now();
            if (events === null) {
              // A natural end needs `[DONE]` (or its format's end event) or at least a finish
              // reason; anything else is a truncated answer and must not look complete.
              if (mapper.done || summary.finishReason !== null) finish(controller, pending);
              else fail(controller, "The provider's stream ended before the answer was complete", pending);
              return;
            }
            for (const event of events) {
              for (const chunk of mapper.map(event)) {
                if (chunk.usage) summary.usage = chunk.usage;
                if (chunk.choices.length === 0) continue;
                record(summary, chunk, startedAt);
                pending += frame(chunk.choices);
              }
              if (mapper.done) {
                finish(controller, pending);
                return;
              }
            }
            if (pending) {
              controller.enqueue(encoder.encode(pending));
              return;
            }
          }
        } catch (error) {
          fail(controller, describeStreamError(error), pending);
        }
      },
      cancel() {
        summary.cancelled = true;
        options.abortUpstream();
        end();
      },
    },
    { highWaterMark: 0 },
  );
}

const encoder = new TextEncoder();

/**
 * Reads the upstream in batches: all events completed by one network read at once. SSE is parsed
 * inline (no extra stream stage per event); formats with their own framing supply decodeStream.
 */
function eventSource(body: ReadableStream<Uint8Array>, adapter: ChatAdapter): () => Promise<UpstreamEvent[] | null> {
  if (adapter.decodeStream) {
    const reader = adapter.decodeStream(body).getReader();
    return async () => {
      const { value, done } = await reader.read();
      return done ? null : [value];
    };
  }
  const reader = body.getReader();
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let finished = false;
  return async () => {
    if (finished) return null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        const tail = [...parser.push(decoder.decode()), ...parser.end()];
        return tail.length > 0 ? tail : null;
      }
      const events = parser.push(decoder.decode(value, { stream: true }));
      if (events.length > 0) return events;
    }
  };
}

function describeStreamError(error: unknown): string {
  if (error instanceof SyntaxError) return "The provider sent a malformed stream chunk";
  if (error instanceof Error && error.name === "UpstreamStreamError") return `Provider error: ${error.message}`;
  return "The provider's stream was interrupted";
}
function record(summary: StreamSummary, chunk: ChatChunkOut, startedAt: number): void {
  for (const choice of chunk.choices) {
    const delta = choice.delta;
    if (delta.content) summary.producedText += delta.content;
    if (delta.reasoning) summary.producedText += delta.reasoning;
    if (delta.tool_calls) {
      for (const call of delta.tool_calls) summary.producedText += call.function?.arguments ?? "";
    }
    if (summary.firstChunkAt === undefined && (delta.content || delta.reasoning || delta.tool_calls)) {
      summary.firstChunkAt = Date.now() - startedAt;
    }
    if (choice.finish_reason) {
      summary.finishReason = choice.finish_reason;
      summary.nativeFinishReason = choice.native_finish_reason ?? choice.finish_reason;
    }
  }
}

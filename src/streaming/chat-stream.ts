import type {
  ChatAdapter,
  ChatChunkOut,
  FinishReason,
  StreamMapper,
  UpstreamEvent,
  UpstreamTarget,
  Usage,
} from "../providers/types";
import { DONE_BYTES, KEEP_ALIVE_BYTES, sseData, sseEventStream } from "./sse";

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
  const events: ReadableStreamDefaultReader<UpstreamEvent> = (options.adapter.decodeStream ?? sseEventStream)(
    options.body,
  ).getReader();
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
  let ended = false;
  let keepAlive: ReturnType<typeof setInterval> | undefined;

  const end = () => {
    if (ended) return false;
    ended = true;
    if (keepAlive !== undefined) clearInterval(keepAlive);
    options.onEnd(summary);
    return true;
  };

  const stamp = (chunk: ChatChunkOut): Record<string, unknown> => ({
    id: header.id,
    provider: header.provider,
    model: header.model,
    object: "chat.completion.chunk",
    created: header.created,
    choices: chunk.choices,
  });

  const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (!end()) return;
    controller.enqueue(sseData({ ...stamp({ choices: [] }), usage: options.finalizeUsage(summary) }));
    controller.enqueue(DONE_BYTES);
    controller.close();
  };

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, message: string) => {
    summary.error = message;
    options.abortUpstream();
    if (!end()) return;
    controller.enqueue(
      sseData({
        ...stamp({
          choices: [{ index: 0, delta: { content: "" }, finish_reason: "error", native_finish_reason: "error" }],
        }),
        error: { code: 502, message, metadata: { error_type: "provider_unavailable", provider_name: header.provider } },
        usage: options.finalizeUsage(summary),
      }),
    );
    controller.enqueue(DONE_BYTES);
    controller.close();
  };

  const readWithIdleTimeout = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StallError(options.idleTimeoutMs)), options.idleTimeoutMs);
    });
    try {
      return await Promise.race([events.read(), stalled]);
    } finally {
      clearTimeout(timer);
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // Headers are already out; the comment tells clients and proxies the stream is alive.
        controller.enqueue(KEEP_ALIVE_BYTES);
        keepAlive = setInterval(() => {
          if (summary.firstChunkAt === undefined && !ended) controller.enqueue(KEEP_ALIVE_BYTES);
        }, options.keepAliveMs);
      },
      async pull(controller) {
        try {
          for (;;) {
            const { value: event, done } = await readWithIdleTimeout();
            if (done) {
              // A natural end needs `[DONE]` (or its format's end event) or at least a finish
              // reason; anything else is a truncated answer and must not look complete.
              if (mapper.done || summary.finishReason !== null) finish(controller);
              else fail(controller, "The provider's stream ended before the answer was complete");
              return;
            }
            const chunks = mapper.map(event);
            let forwarded = false;
            for (const chunk of chunks) {
              if (chunk.usage) summary.usage = chunk.usage;
              if (chunk.choices.length === 0) continue;
              record(summary, chunk, startedAt);
              controller.enqueue(sseData(stamp(chunk)));
              forwarded = true;
            }
            if (mapper.done) {
              finish(controller);
              return;
            }
            if (forwarded) return;
          }
        } catch (error) {
          fail(controller, describeStreamError(error));
        }
      },
      async cancel() {
        summary.cancelled = true;
        options.abortUpstream();
        end();
        await events.cancel().catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

class StallError extends Error {
  constructor(ms: number) {
    super(`The provider's stream stalled (no data for ${ms} ms)`);
  }
}

function describeStreamError(error: unknown): string {
  if (error instanceof StallError) return error.message;
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

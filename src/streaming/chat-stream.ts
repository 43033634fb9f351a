import type { ChunkPresenter } from "../generation/reply-shape";
import { producedText } from "../providers/assistant-message";
import { credentialSecrets, sanitizeUpstreamText, streamErrorType } from "../providers/errors";
import type {
  Annotation,
  ChatAdapter,
  ChatChunkOut,
  ChunkChoiceOut,
  FinishReason,
  StreamMapper,
  UpstreamEvent,
  UpstreamTarget,
  Usage,
} from "../providers/types";
import { chunkPrefix } from "./chunk-envelope";
import { CoalescingWriter } from "./coalescing-writer";
import { KEEP_ALIVE_BYTES, sseEventBatches } from "./sse";

/** What the stream knew when it ended, handed to settlement. */
export interface StreamSummary {
  usage: Usage | undefined;
  /** The provider's usage so far, when it gives its final one only at the end (see ChatChunkOut). */
  partialUsage: Usage | undefined;
  /** Text produced (content + reasoning + tool arguments), for estimating usage when none came. */
  producedText: string;
  /** Images the model drew (`delta.images`), for the generation's record. */
  images: number;
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  /** The client went away before the end. */
  cancelled: boolean;
  /** The upstream failed mid-stream (cut, stall, malformed chunk, in-band error). */
  error: string | undefined;
  /**
   * When (epoch ms) the provider's first token came: any output, hidden reasoning included
   * (undefined if none came). It shows the provider is alive and producing, so it ends the
   * first-token clock, starts the stall one, and is the generation's latency. Not counted from the
   * relay's start: that is after the upstream's headers.
   */
  providerFirstTokenAt: number | undefined;
  /**
   * When (epoch ms) the client's first token came: the first chunk it is sent with something it
   * sees (content, refusal, tool calls, reasoning only when shown). Until then the client has seen
   * nothing of this answer, so a failing upstream may still be replaced, and a failed or abandoned
   * stream costs nothing.
   */
  clientFirstTokenAt: number | undefined;
}

/** The final chunk's usage and cost, computed by the caller from the summary (charging rules). */
export type FinalizeUsage = (summary: StreamSummary) => Record<string, unknown>;

/** One upstream stream being relayed: its body, its format, and who it is from. */
export interface StreamSource {
  body: ReadableStream<Uint8Array>;
  adapter: ChatAdapter;
  target: UpstreamTarget;
  /** Stamped on every chunk: the model and provider that answer. */
  model: string;
  provider: string;
  /** Aborts this upstream fetch. */
  abort: () => void;
}

export interface ChatStreamOptions {
  source: StreamSource;
  /** Stamped on every chunk. */
  header: { id: string; created: number };
  /** `object` of the chunks and, for legacy completions, how choices are presented. */
  shape?: { chunkObject: string; chunkPresenter?: () => ChunkPresenter };
  /** How many choices the request asked for (`n`): a failure ends each one still open. */
  choices?: number;
  /**
   * Fires when the client disconnects (the request's signal): the relay stops and the upstream is
   * cancelled at once, rather than at the next write that finds the connection gone (up to a
   * keep-alive interval of the provider's work later, in a pause or hidden reasoning).
   */
  clientSignal?: AbortSignal;
  /** `reasoning.exclude`: the model reasons (and is billed for it) but its reasoning is not relayed. */
  hideReasoning?: boolean;
  /** Interval of `: OPENROUTER PROCESSING` comments while the client is sent nothing else. */
  keepAliveMs: number;
  /**
   * The latency a stream may trade for fewer wake-ups: events arriving within this many
   * milliseconds of the last write share the next one, and reads of a fast upstream ask for about
   * this long's worth of bytes at once.
   */
  flushIntervalMs: number;
  /** Milliseconds of upstream silence after which the stream is failed (a stall). */
  idleTimeoutMs: number;
  /**
   * Milliseconds a client may take nothing of what it was sent before it counts as gone (the
   * upstream is cancelled, the stream charged as cancelled): a caller that opens a stream and
   * never reads would otherwise keep the provider's stream and the generation's hold open.
   */
  clientStallTimeoutMs: number;
  /** Milliseconds to wait for the first token before failing over (or failing). */
  firstTokenTimeoutMs: number;
  /**
   * Until the client's first token (hidden reasoning is none), a failing upstream (error, stall,
   * slow first token, truncated stream) is replaced by the next endpoint's stream, if there is one.
   */
  failover?: (reason: string) => Promise<StreamSource | null>;
  finalizeUsage: FinalizeUsage;
  /**
   * Web search results the answer was given and PDFs read for it, sent as each choice's
   * `annotations` in a delta of their own once the answer is whole (OpenRouter's `url_citation`
   * and `file` annotations); undefined for none.
   */
  annotations?: () => Annotation[] | undefined;
  /** More fields of the final (usage) chunk, as a JSON fragment (`,"name":value`): the router's metadata. */
  finalFields?: () => string;
  /** Keeps the relay running after the Response is returned (ctx.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** Called exactly once when the stream is over, however it ended. */
  onEnd: (summary: StreamSummary) => void;
  /**
   * `debug.echo_upstream_body`: the body sent to the provider, shown in a chunk of its own (no
   * choices, a `debug` field) ahead of the answer, as OpenRouter sends it.
   */
  echoUpstreamBody?: unknown;
}

/**
 * Upstream events ⇒ adapter chunk map ⇒ OpenAI chunks stamped with the gateway's id/model/provider
 * ⇒ SSE. Each upstream read is forwarded as soon as it is mapped (one write per read, waiting on
 * the client for backpressure; bursts share a write); nothing is buffered whole. Upstream usage is held back and re-emitted, with cost, in one final chunk before
 * `[DONE]`; a broken upstream ends the stream with an error chunk, never a clean-looking end.
 */
export function createChatStream(options: ChatStreamOptions): ReadableStream<Uint8Array> {
  const { header } = options;
  let source = options.source;
  let nextEvents = eventSource(source.body, source.adapter, options.flushIntervalMs);
  let mapper: StreamMapper = source.adapter.createStreamMapper(source.target);
  let startedAt = Date.now();
  const summary: StreamSummary = {
    usage: undefined,
    partialUsage: undefined,
    producedText: "",
    images: 0,
    finishReason: null,
    nativeFinishReason: null,
    cancelled: false,
    error: undefined,
    providerFirstTokenAt: undefined,
    clientFirstTokenAt: undefined,
  };
  // Every chunk shares its envelope, so it is serialised once and choices are spliced in.
  let prefix = "";
  /** Choices that already streamed their finish reason: a failure does not end them again. */
  const finished = new Set<number>();
  const stampFor = (s: StreamSource) => {
    prefix = chunkPrefix(
      { id: header.id, provider: s.provider, model: s.model, created: header.created },
      options.shape?.chunkObject ?? "chat.completion.chunk",
    );
  };
  stampFor(source);
  // Per upstream: a replacement's answer starts over (nothing of the failed one reached the client).
  let present = options.shape?.chunkPresenter?.();
  /** A chunk's SSE frame, or "" when the shape shows nothing of its choices. */
  const frame = (choices: ChunkChoiceOut[], extra = "", serialized?: string) => {
    if (serialized !== undefined) return `${prefix}${serialized}${extra}}\n\n`;
    const shown = present ? present(choices) : choices;
    return shown === null ? "" : `${prefix}${JSON.stringify(shown)}${extra}}\n\n`;
  };
  // A mapper's ready-made JSON holds only when the choices go out as they came.
  const spliceable = present === undefined && options.hideReasoning !== true;
  /** Set by the watchdog when it gives up on the current upstream (read by pull's catch). */
  let giveUpReason: string | undefined;
  let ended = false;
  let lastActivity = Date.now();
  /** True while the pump waits for the client to take what it wrote (backpressure). */
  let awaitingClient = false;
  /** When the pump started waiting on the client, while awaitingClient. */
  let awaitingClientSince = 0;
  /**
   * True while the next endpoint is being called after a failure before the first token: the
   * failed upstream's clocks have run out, and the search is bounded by the attempt loop's own
   * timeouts, so the watchdog only keeps the client's connection alive meanwhile.
   */
  let switching = false;
  let watchdog: ReturnType<typeof setInterval> | undefined;

  // A native IdentityTransformStream carries the bytes to the client: JS only writes into it, which
  // costs the runtime less per chunk than a JS ReadableStream whose pulls it has to drive.
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  const clientGone = () => {
    out.discard();
    // The reply ends too (for a client that stopped reading, its connection is cut): left open,
    // the runtime keeps the request in flight, as a service-binding caller that cancels does not
    // error it.
    writer.abort(new Error("The client went away or stopped reading")).catch(() => undefined);
    if (ended) return;
    summary.cancelled = true;
    source.abort();
    end();
  };
  writer.closed.catch(clientGone);
  options.clientSignal?.addEventListener("abort", clientGone, { once: true });
  const out = new CoalescingWriter(writer, options.flushIntervalMs, clientGone);

  const end = () => {
    if (ended) return false;
    ended = true;
    if (watchdog !== undefined) clearInterval(watchdog);
    options.clientSignal?.removeEventListener("abort", clientGone);
    options.onEnd(summary);
    return true;
  };

  const finish = async (pending: string) => {
    if (!end()) return;
    const usage = `,"usage":${JSON.stringify(options.finalizeUsage(summary))}${options.finalFields?.() ?? ""}`;
    const annotations = options.annotations?.();
    const cited = annotations
      ? frame(
          Array.from({ length: options.choices ?? 1 }, (_, index) => ({
            index,
            delta: { annotations },
            finish_reason: null,
          })),
        )
      : "";
    await out.flush(`${pending}${cited}${frame([], usage)}data: [DONE]\n\n`);
    await writer.close().catch(() => undefined);
  };

  const fail = async ({ message, errorType, providerCode }: StreamFailure, pending = "") => {
    if (ended) return;
    summary.error = message;
    source.abort();
    if (!end()) return;
    const error = {
      code: 502,
      message,
      metadata: {
        error_type: errorType,
        ...(providerCode ? { provider_code: providerCode } : {}),
        provider_name: source.provider,
      },
    };
    const extra = `,"error":${JSON.stringify(error)},"usage":${JSON.stringify(options.finalizeUsage(summary))}`;
    // Every choice still open ends with the error (n > 1 streams them side by side or in turn);
    // choice 0 does when none is, so that the error chunk always says how the stream ended.
    const open: number[] = [];
    for (let index = 0; index < (options.choices ?? 1); index++) if (!finished.has(index)) open.push(index);
    const choices: ChunkChoiceOut[] = (open.length > 0 ? open : [0]).map((index) => ({
      index,
      delta: { content: "" },
      finish_reason: "error",
      native_finish_reason: "error",
    }));
    await out.flush(`${pending}${frame(choices, extra)}data: [DONE]\n\n`);
    await writer.close().catch(() => undefined);
  };

  // One timer per stream does both jobs: keep-alives while the client is sent nothing, and giving up on an
  // upstream that is too slow to start or went silent (a per-read timer would cost one per chunk).
  const tick = Math.max(
    50,
    Math.min(
      options.keepAliveMs,
      options.idleTimeoutMs / 4,
      options.firstTokenTimeoutMs / 4,
      options.clientStallTimeoutMs / 4,
    ),
  );
  let lastKeepAlive = Date.now();
  watchdog = setInterval(() => {
    // Only the provider's silence counts: while a slow client holds up the pump, the upstream is
    // not being read, and that is not the provider stalling (nor is there a keep-alive to send:
    // the client has not yet taken what it was sent). The client's own silence has its clock.
    if (ended || giveUpReason) return;
    const now = Date.now();
    if (awaitingClient) {
      // A client that stopped reading is treated as one that left: its reply is cut.
      if (now - awaitingClientSince >= options.clientStallTimeoutMs) clientGone();
      return;
    }
    // Before the provider's first token the first-token timeout governs; after it, the idle
    // (stall) one. Hidden reasoning counts: the provider is producing, though the client sees none.
    if (switching) {
      // Nothing to give up on yet: the replacement's clocks start when it is relayed.
    } else if (summary.providerFirstTokenAt === undefined) {
      if (now - startedAt >= options.firstTokenTimeoutMs) {
        giveUpReason = `No first token from the provider within ${options.firstTokenTimeoutMs} ms`;
      }
    } else if (now - lastActivity >= options.idleTimeoutMs) {
      giveUpReason = `The provider's stream stalled (no data for ${options.idleTimeoutMs} ms)`;
    }
    if (giveUpReason) {
      // Aborting makes the pending read reject; the pump decides between failover and failing.
      source.abort();
      return;
    }
    // Not only before the first token: whenever the client has seen nothing for an interval. A
    // model whose reasoning is hidden, or that pauses mid-answer, is still working, and a client's
    // or a proxy's read timeout must not cut it off meanwhile.
    if (now - Math.max(lastKeepAlive, out.lastTextWriteAt) >= options.keepAliveMs) {
      lastKeepAlive = now;
      void out.sendBytes(KEEP_ALIVE_BYTES);
    }
  }, tick);

  /** Relays the upstream until the stream is over; each write waits for the client (backpressure). */
  const pump = async () => {
    // Headers are already out; the comment tells clients and proxies the stream is alive. Not
    // awaited: a client that has not started reading must not keep the provider's stream unread
    // (the first-token clock would run out on the client's account, blamed on the provider).
    void out.sendBytes(KEEP_ALIVE_BYTES);
    let pending =
      options.echoUpstreamBody === undefined
        ? ""
        : frame([], `,"debug":${JSON.stringify({ echo_upstream_body: options.echoUpstreamBody })}`);
    /** The provider's reason (and its words, if it gave any), once a choice of the current upstream ended in error. */
    let endedInError: ErrorFinish | undefined;
    while (!ended) {
      try {
        const events = await nextEvents();
        if (ended) return;
        if (giveUpReason) throw new Error(giveUpReason);
        lastActivity = Date.now();
        if (events === null) {
          if (endedInError !== undefined) throw new ProviderEndedInError(endedInError);
          // A natural end needs `[DONE]` (or its format's end event) or at least a finish
          // reason; anything else is a truncated answer and must not look complete.
          if (mapper.done || summary.finishReason !== null) return finish(pending);
          throw new TruncatedError();
        }
        for (const event of events) {
          for (const chunk of mapper.map(event)) {
            if (chunk.usage) summary.usage = chunk.usage;
            if (chunk.partialUsage) summary.partialUsage = chunk.partialUsage;
            if (chunk.choices.length === 0) continue;
            const errorFinish = takeErrorFinish(chunk);
            endedInError ??= errorFinish;
            record(summary, chunk, finished, options.hideReasoning === true);
            // The generation's record keeps the provider's reason (OpenRouter's native_finish_reason):
            // taken off the chunk, it was null there.
            if (endedInError !== undefined) summary.nativeFinishReason = endedInError.reason;
            if (options.hideReasoning && !withoutReasoning(chunk.choices)) continue;
            if (errorFinish !== undefined && !worthSending(chunk.choices)) continue;
            pending += frame(chunk.choices, "", spliceable ? chunk.serializedChoices : undefined);
          }
          if (mapper.done) {
            // Thrown at the end the provider gives, so that the usage it sends after the finish
            // (Bedrock's metadata event) is in.
            if (endedInError !== undefined) throw new ProviderEndedInError(endedInError);
            return finish(pending);
          }
        }
        // Content-less chunks (the role delta) wait for the client's first token, so that an
        // upstream failing before it (hidden reasoning or not) can still be replaced without the
        // client having seen anything.
        if (pending && summary.clientFirstTokenAt !== undefined) {
          const text = pending;
          pending = "";
          awaitingClient = true;
          awaitingClientSince = Date.now();
          try {
            await out.send(text);
          } finally {
            awaitingClient = false;
          }
          lastActivity = Date.now();
        }
      } catch (error) {
        if (ended) return;
        const failure = giveUpReason ? unavailable(giveUpReason) : describeStreamError(error, source);
        const reason = failure.message;
        giveUpReason = undefined;
        // Nothing the client sees reached it yet: another endpoint may still answer, silently. The
        // failed upstream may have reasoned (hidden): that attempt failed, and costs nothing.
        let next: StreamSource | null | undefined = null;
        if (summary.clientFirstTokenAt === undefined && options.failover) {
          switching = true;
          try {
            next = await options.failover(reason);
          } finally {
            switching = false;
          }
        }
        // A client that left while the next endpoint answered: that upstream is not read either.
        if (ended) next?.abort();
        if (!next || ended) return fail(failure, pending);
        source.abort();
        source = next;
        pending = "";
        stampFor(source);
        present = options.shape?.chunkPresenter?.();
        nextEvents = eventSource(source.body, source.adapter, options.flushIntervalMs);
        mapper = source.adapter.createStreamMapper(source.target);
        startedAt = Date.now();
        lastActivity = startedAt;
        summary.providerFirstTokenAt = undefined;
        summary.usage = undefined;
        summary.partialUsage = undefined;
        summary.producedText = "";
        summary.images = 0;
        summary.finishReason = null;
        summary.nativeFinishReason = null;
        finished.clear();
        endedInError = undefined;
      }
    }
  };
  options.waitUntil(pump().catch((error: unknown) => fail(describeStreamError(error, source))));
  return readable;
}

/**
 * The upstream's events in batches: SSE is parsed inline; a format with its own framing (Bedrock's
 * binary event stream) supplies decodeStream and is read one event at a time.
 */
function eventSource(
  body: ReadableStream<Uint8Array>,
  adapter: ChatAdapter,
  batchWindowMs: number,
): () => Promise<UpstreamEvent[] | null> {
  if (!adapter.decodeStream) return sseEventBatches(body, batchWindowMs);
  const reader = adapter.decodeStream(body).getReader();
  return async () => {
    const { value, done } = await reader.read();
    return done ? null : [value];
  };
}

/**
 * A choice the provider itself ended in error (Cohere's ERROR or TIMEOUT, Gemini's OTHER or
 * MALFORMED_FUNCTION_CALL, Bedrock's malformed output), which its format says with a finish reason
 * and no error event. It fails the stream like any in-band error: before the client's first token
 * the next endpoint answers; after it the client gets the error chunk with a top-level `error`,
 * which is what clients look for (the OpenAI SDK throws on it), not a finish reason before a clean
 * end.
 */
class ProviderEndedInError extends Error {
  readonly nativeReason: string;
  constructor({ reason, text }: ErrorFinish) {
    super(`The provider ended the answer with an error (${reason})${text ? `: ${text}` : ""}`);
    this.nativeReason = reason;
  }
}

/** A provider's error finish: its own reason, and its own words for it where its format has them. */
interface ErrorFinish {
  reason: string;
  text?: string;
}

/**
 * Takes an error finish off the chunk's choices, keeping what they carried besides; returns the
 * provider's own reason for it (and its words), or undefined when no choice ended in error.
 */
function takeErrorFinish(chunk: ChatChunkOut): ErrorFinish | undefined {
  let reason: string | undefined;
  for (const choice of chunk.choices) {
    if (choice.finish_reason !== "error") continue;
    reason ??= choice.native_finish_reason ?? "error";
    choice.finish_reason = null;
    delete choice.native_finish_reason;
    chunk.serializedChoices = undefined;
  }
  return reason === undefined ? undefined : { reason, text: chunk.errorText };
}

/** False for choices left with nothing to say (an error finish taken off an empty delta). */
function worthSending(choices: ChunkChoiceOut[]): boolean {
  return choices.some((choice) => choice.finish_reason !== null || Object.keys(choice.delta).length > 0);
}

class TruncatedError extends Error {
  constructor() {
    super("The provider's stream ended before the answer was complete");
  }
}

/** Why a started stream failed, as its error chunk says it: the message and OpenRouter's error type. */
interface StreamFailure {
  message: string;
  errorType: string;
  /** The provider's own code for an error it reported in the stream. */
  providerCode?: string;
}

const unavailable = (message: string): StreamFailure => ({ message, errorType: "provider_unavailable" });

/** What the client is told of a stream's failure; a provider's own words are cleaned of its credential. */
function describeStreamError(error: unknown, source: StreamSource): StreamFailure {
  if (error instanceof TruncatedError) return unavailable(error.message);
  if (error instanceof ProviderEndedInError) {
    return {
      // The provider's words may repeat what it was sent, its credential included.
      message: `Provider error: ${sanitizeUpstreamText(error.message, credentialSecrets(source.target, source.adapter))}`,
      errorType: streamErrorType(error.nativeReason),
      providerCode: error.nativeReason,
    };
  }
  if (error instanceof SyntaxError) return unavailable("The provider sent a malformed stream chunk");
  if (error instanceof Error && error.name === "UpstreamStreamError") {
    const text = sanitizeUpstreamText(error.message, credentialSecrets(source.target, source.adapter));
    const { code } = error as Error & { code?: string };
    return {
      message: `Provider error: ${text}`,
      errorType: streamErrorType(code),
      ...(code ? { providerCode: code } : {}),
    };
  }
  return unavailable("The provider's stream was interrupted");
}
/**
 * Notes what a chunk produced (before reasoning is taken off it when hidden): its text, its finish,
 * and whether it is the provider's or the client's first token.
 */
function record(summary: StreamSummary, chunk: ChatChunkOut, finished: Set<number>, hideReasoning: boolean): void {
  for (const choice of chunk.choices) {
    const delta = choice.delta;
    summary.producedText += producedText(delta);
    if (delta.images) summary.images += delta.images.length;
    // A refusal (OpenAI's structured outputs) is the model's answer as much as content is: it
    // counts as the first token (else it was held back, and failed as a first-token timeout).
    const answer = Boolean(delta.content || delta.refusal || delta.tool_calls || delta.images);
    const reasoning = Boolean(delta.reasoning);
    if (summary.providerFirstTokenAt === undefined && (answer || reasoning)) summary.providerFirstTokenAt = Date.now();
    if (summary.clientFirstTokenAt === undefined && (answer || (reasoning && !hideReasoning))) {
      summary.clientFirstTokenAt = Date.now();
    }
    if (choice.finish_reason) {
      finished.add(choice.index);
      summary.finishReason = choice.finish_reason;
      summary.nativeFinishReason = choice.native_finish_reason ?? choice.finish_reason;
    }
  }
}

/** Removes reasoning from streamed choices; false when nothing is left worth sending. */
function withoutReasoning(choices: ChunkChoiceOut[]): boolean {
  let left = false;
  for (const choice of choices) {
    delete choice.delta.reasoning;
    delete choice.delta.reasoning_details;
    if (choice.finish_reason || Object.keys(choice.delta).length > 0) left = true;
  }
  return left;
}

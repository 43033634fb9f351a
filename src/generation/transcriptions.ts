import type { Context } from "hono";
import { nanosToUsd } from "../billing/money";
import { getCatalog } from "../catalog/store";
import type { AppEnv } from "../context";
import { transcriptionAdapterFor } from "../providers/registry";
import type { TranscriptionRequestIn, Usage } from "../providers/types";
import { planLive } from "../routing/live-plan";
import type { Attempt } from "../routing/plan";
import type { TranscriptionRequest } from "../schema/audio";
import { sessionIdOf } from "../schema/chat";
import { estimateTextTokens } from "../transforms/tokens";
import {
  readAnswer,
  record,
  replyHeaders,
  settleGeneration,
  startGeneration,
  wholeReplyOutcome,
  wholeReplyRun,
} from "./lifecycle";
import { priceUsage } from "./usage";

/**
 * The most input tokens a transcription may be billed at any planned endpoint: its whole context
 * but the room its output needs. How many tokens an audio file makes is not known before the
 * provider has read it (its length is not in its size: the bitrate varies by format and encoder),
 * so the hold takes the bound the model's own limits set, not an estimate from the bytes.
 */
export function transcriptionInputBound(attempts: Attempt[]): number {
  return Math.max(
    1,
    ...attempts.map(({ endpoint }) => endpoint.context_length - (endpoint.max_completion_tokens ?? 0)),
  );
}

/**
 * One `/audio/transcriptions` request along the path embeddings take: plan over the transcription
 * model's endpoints ⇒ reserve the worst case (transcriptionInputBound at the input price, plus the
 * endpoint's whole output at the output price) ⇒ attempts with failover ⇒ reply ⇒ settle the
 * provider's reported tokens. A provider that reports no usage is charged the input bound (the
 * most it could have billed) and the gateway's count of the text it returned.
 */
export async function createTranscription(c: Context<AppEnv>, request: TranscriptionRequest): Promise<Response> {
  const receivedAt = c.get("receivedAt");
  c.set("requestedModel", request.model);
  const env = c.env;
  const catalog = await getCatalog(env, c.executionCtx);
  const attempts = planLive(env, {
    request: { model: request.model, provider: request.provider },
    catalog,
    promptTokens: 0,
    parameters: [
      ...(request.language !== undefined ? ["language"] : []),
      ...(request.prompt !== undefined ? ["prompt"] : []),
      ...(request.temperature !== undefined ? ["temperature"] : []),
    ],
    kind: "transcription",
    hasAdapter: (provider) => transcriptionAdapterFor(provider.adapter) !== undefined,
  });
  const inputBound = transcriptionInputBound(attempts);
  const upstreamRequest: TranscriptionRequestIn = {
    // The bytes (decoded from base64 by the schema, or an upload's), sent again on each attempt.
    audio: request.input_audio.data,
    format: request.input_audio.format,
    verbose: request.response_format === "verbose_json",
    ...(request.language !== undefined ? { language: request.language } : {}),
    ...(request.prompt !== undefined ? { prompt: request.prompt } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.timestamp_granularities ? { timestampGranularities: request.timestamp_granularities } : {}),
  };
  const { gen, success } = await startGeneration(
    c,
    attempts,
    {
      apiType: "stt",
      requestedModel: request.model,
      stream: false,
      user: request.user ?? null,
      sessionId: sessionIdOf(c.req.raw, request.session_id),
      receivedAt,
      promptTokens: inputBound,
      // The endpoint's whole output (outputCap: its max_completion_tokens, within its context).
      maxOutputTokens: null,
    },
    wholeReplyRun(env, attempts, {
      request: upstreamRequest,
      adapterFor: (attempt) => transcriptionAdapterFor(attempt.provider.adapter),
      buildCall: (adapter, req, target) => adapter.buildTranscriptionRequest(req, target),
    }),
  );
  const out = readAnswer(gen, () => success.adapter.parseTranscriptionResponse(success.json, success.target));

  const reportedInput = out.usage?.input_tokens;
  const reportedOutput = out.usage?.output_tokens;
  const input = reportedInput ?? inputBound;
  const output = reportedOutput ?? estimateTextTokens(out.text);
  const usage: Usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
  const { costNanos } = priceUsage(success.attempt.endpoint.pricing, usage);
  settleGeneration(
    gen,
    record(
      gen,
      success,
      wholeReplyOutcome(
        { usage, estimated: reportedInput === undefined || reportedOutput === undefined, costNanos },
        { json: success.json },
      ),
    ),
  );
  const seconds = out.usage?.seconds;
  const body: TranscriptionReply = {
    ...out.extra,
    text: out.text,
    usage: {
      cost: nanosToUsd(costNanos),
      input_tokens: input,
      output_tokens: output,
      total_tokens: input + output,
      ...(seconds !== undefined ? { seconds } : {}),
    },
  };
  const headers = replyHeaders(gen, success);
  headers["x-generation-id"] = gen.id;
  // `text` is OpenAI's plain reply: the transcript alone (its usage and cost are in /generation).
  if (request.response_format === "text") {
    return new Response(out.text, { headers: { ...headers, "content-type": "text/plain; charset=utf-8" } });
  }
  return Response.json(body, { headers });
}

/**
 * `POST /audio/transcriptions`: OpenRouter's reply (the SDK's STTResponse): the text and its
 * usage with the cost charged (with `response_format: "text"`, the text alone); with `verbose_json`, the provider's task, language, duration,
 * segments and words beside them. The generation id is in the `x-generation-id` header, as
 * OpenRouter gives it (the body has no id).
 */
export interface TranscriptionReply {
  text: string;
  usage: { cost: number; input_tokens: number; output_tokens: number; total_tokens: number; seconds?: number };
  [extra: string]: unknown;
}

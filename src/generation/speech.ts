import type { Context } from "hono";
import { getCatalog } from "../catalog/store";
import type { AppEnv } from "../context";
import { speechAdapterFor } from "../providers/registry";
import type { SpeechRequestIn, Usage } from "../providers/types";
import { runAttempts } from "../routing/attempts";
import { planLive } from "../routing/live-plan";
import { SPEECH_MEDIA_TYPES, type SpeechRequest } from "../schema/audio";
import { sessionIdOf } from "../schema/chat";
import { record, replyHeaders, settleGeneration, startGeneration, wholeReplyOutcome } from "./lifecycle";
import { timeoutsOf } from "./timeouts";
import { priceUsage } from "./usage";

/** OpenAI's default voice, for a request that names none (OpenRouter's `voice` is optional, OpenAI's is not). */
const DEFAULT_VOICE = "alloy";

/**
 * One `/audio/speech` request: plan over the speech model's endpoints ⇒ reserve ⇒ attempts with
 * failover (until an endpoint answers 200) ⇒ the audio streamed to the client as it comes.
 * Speech is priced per character of input (OpenRouter's pricing; the catalog's `prompt` price of a
 * speech model is per character), so the hold is the exact charge, and the generation is settled
 * as soon as the provider accepts the text: it bills the characters then, whether or not the
 * client reads the audio to its end.
 */
export async function createSpeech(c: Context<AppEnv>, request: SpeechRequest): Promise<Response> {
  const receivedAt = c.get("receivedAt");
  c.set("requestedModel", request.model);
  const env = c.env;
  const catalog = await getCatalog(env, c.executionCtx);
  // Characters as OpenAI counts them: code points, not UTF-16 units.
  const characters = [...request.input].length;
  // PCM when none is named: the default of OpenRouter's API (its SDK sends it when none is set).
  const format = request.response_format ?? "pcm";
  const attempts = planLive(env, {
    request: { model: request.model, provider: request.provider },
    catalog,
    promptTokens: characters,
    parameters: [
      ...(request.speed !== undefined ? ["speed"] : []),
      ...(request.instructions !== undefined ? ["instructions"] : []),
    ],
    kind: "speech",
    hasAdapter: (provider) => speechAdapterFor(provider.adapter) !== undefined,
  });
  const settings = timeoutsOf(env);
  const upstreamRequest: SpeechRequestIn = {
    input: request.input,
    voice: request.voice ?? DEFAULT_VOICE,
    format,
    ...(request.speed !== undefined ? { speed: request.speed } : {}),
    ...(request.instructions !== undefined ? { instructions: request.instructions } : {}),
  };
  const { gen, success } = await startGeneration(
    c,
    attempts,
    {
      apiType: "tts",
      requestedModel: request.model,
      stream: false,
      user: request.user ?? null,
      sessionId: sessionIdOf(c.req.raw, request.session_id),
      receivedAt,
      promptTokens: characters,
      maxOutputTokens: 0,
    },
    // The reply is audio, not JSON: taken as a stream (its body left unread) once its headers come.
    (gate) =>
      runAttempts(attempts, {
        request: upstreamRequest,
        adapterFor: (attempt) => speechAdapterFor(attempt.provider.adapter),
        buildCall: (adapter, req, target) => adapter.buildSpeechRequest(req, target),
        stream: true,
        ...gate,
        headersTimeoutMs: settings.UPSTREAM_HEADERS_TIMEOUT_MS,
        deadlineMs: settings.ROUTING_DEADLINE_MS,
      }),
  );

  const usage: Usage = { prompt_tokens: characters, completion_tokens: 0, total_tokens: characters };
  const { costNanos } = priceUsage(success.attempt.endpoint.pricing, usage);
  settleGeneration(
    gen,
    record(gen, success, wholeReplyOutcome({ usage, estimated: false, costNanos }, { streamed: true })),
  );
  const headers = new Headers(replyHeaders(gen, success));
  headers.set("content-type", success.response.headers.get("content-type") ?? SPEECH_MEDIA_TYPES[format]);
  headers.set("x-generation-id", gen.id);
  return new Response(success.response.body, { status: 200, headers });
}

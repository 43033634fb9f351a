import { parseStandardError } from "../errors";
import type { SpeechAdapter, SpeechRequestIn, UpstreamCall, UpstreamTarget } from "../types";

/**
 * OpenAI's `POST /audio/speech`: JSON in, the audio's bytes out. A parameter the endpoint does not
 * list (`speed`, `instructions`) is dropped and named, as chat's are.
 */
export function buildOpenAISpeechRequest(request: SpeechRequestIn, target: UpstreamTarget): UpstreamCall {
  const params = target.endpoint.supported_parameters;
  const body: Record<string, unknown> = {
    model: target.endpoint.provider_model_id,
    input: request.input,
    voice: request.voice,
    response_format: request.format,
  };
  const dropped: string[] = [];
  const optional: Array<[name: string, value: unknown]> = [
    ["speed", request.speed],
    ["instructions", request.instructions],
  ];
  for (const [name, value] of optional) {
    if (value === undefined) continue;
    if (params.includes(name)) body[name] = value;
    else dropped.push(name);
  }
  return {
    url: `${target.baseUrl}/audio/speech`,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${target.apiKey}` },
      body: JSON.stringify(body),
    },
    dropped,
  };
}

export const openaiSpeechAdapter: SpeechAdapter = {
  buildSpeechRequest: buildOpenAISpeechRequest,
  parseError: parseStandardError,
};

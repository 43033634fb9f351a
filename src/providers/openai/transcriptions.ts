import { EndpointRefusal } from "../../schema/errors";
import { parseStandardError } from "../errors";
import type {
  TranscriptionAdapter,
  TranscriptionOut,
  TranscriptionRequestIn,
  UpstreamCall,
  UpstreamTarget,
} from "../types";

/** The media type of each container OpenAI reads (its upload is typed by this and the file name). */
const MEDIA_TYPES: Record<string, string> = {
  flac: "audio/flac",
  m4a: "audio/mp4",
  mp3: "audio/mpeg",
  mp4: "audio/mp4",
  mpeg: "audio/mpeg",
  mpga: "audio/mpeg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  webm: "audio/webm",
};

/**
 * OpenAI's `POST /audio/transcriptions`, which takes only a multipart upload: the gateway turns
 * OpenRouter's JSON (base64 audio) into the form, the bytes as a file named by their container,
 * which is how OpenAI tells the format. `verbose_json` (segments, words) is an option of the
 * endpoints that list `response_format` (whisper's); the GPT-4o transcribers answer `json` only, so
 * a request for it skips them, and is a 400 naming the field when none other could take it.
 */
export function buildOpenAITranscriptionRequest(
  request: TranscriptionRequestIn,
  target: UpstreamTarget,
): UpstreamCall<FormData> {
  const params = target.endpoint.supported_parameters;
  if (request.verbose && !params.includes("response_format")) {
    throw new EndpointRefusal(
      `response_format "verbose_json" is not supported by ${target.model.id}: it answers "json" only`,
    );
  }
  const form = new FormData();
  const type = MEDIA_TYPES[request.format] ?? "application/octet-stream";
  form.append("file", new Blob([request.audio], { type }), `audio.${request.format}`);
  form.append("model", target.endpoint.provider_model_id);
  form.append("response_format", request.verbose ? "verbose_json" : "json");
  const dropped: string[] = [];
  const optional: Array<[name: string, value: string | undefined]> = [
    ["language", request.language],
    ["prompt", request.prompt],
    ["temperature", request.temperature === undefined ? undefined : String(request.temperature)],
  ];
  for (const [name, value] of optional) {
    if (value === undefined) continue;
    if (params.includes(name)) form.append(name, value);
    else dropped.push(name);
  }
  if (request.verbose) {
    for (const granularity of request.timestampGranularities ?? [])
      form.append("timestamp_granularities[]", granularity);
  }
  return {
    url: `${target.baseUrl}/audio/transcriptions`,
    // No content-type: fetch writes the multipart one, with its boundary.
    init: { method: "POST", headers: { authorization: `Bearer ${target.apiKey}` }, body: form },
    dropped,
  };
}

const finite = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;

/**
 * OpenAI's transcription: `text`, and `usage` either in tokens (`type: "tokens"`, the GPT-4o
 * transcribers) or in seconds of audio (`type: "duration"`, whisper). verbose_json's fields beside
 * them are kept as they came.
 */
export function parseOpenAITranscriptionResponse(raw: unknown): TranscriptionOut {
  const body = (raw ?? {}) as Record<string, unknown>;
  const { text, usage, ...rest } = body;
  const extra: Record<string, unknown> = {};
  for (const name of ["task", "language", "duration", "segments", "words"]) {
    if (rest[name] !== undefined) extra[name] = rest[name];
  }
  const reported = (usage ?? {}) as Record<string, unknown>;
  const counts = {
    input_tokens: finite(reported.input_tokens),
    output_tokens: finite(reported.output_tokens),
    seconds: finite(reported.seconds),
  };
  const present = Object.fromEntries(Object.entries(counts).filter(([, v]) => v !== undefined));
  return {
    text: typeof text === "string" ? text : "",
    extra,
    ...(Object.keys(present).length > 0 ? { usage: present } : {}),
  };
}

export const openaiTranscriptionAdapter: TranscriptionAdapter = {
  buildTranscriptionRequest: buildOpenAITranscriptionRequest,
  parseTranscriptionResponse: (body) => parseOpenAITranscriptionResponse(body),
  parseError: parseStandardError,
};

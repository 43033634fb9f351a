import * as z from "zod/mini";
import { base64Bytes, base64Problem, withoutWhitespace } from "./base64";
import { EndUser, MAX_SESSION_ID_LENGTH, ModelId, ProviderPreferences } from "./chat";
import { sparse } from "./sparse";

/**
 * The audio containers OpenAI's transcription API reads (its documented list). A format outside it
 * is refused here by name: sent on, the provider's own 400 would not say which field was wrong.
 */
export const TRANSCRIPTION_FORMATS = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "ogg", "wav", "webm"] as const;
export type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];

const AudioFormat = z.enum(TRANSCRIPTION_FORMATS, {
  error: `input_audio.format must be one of ${TRANSCRIPTION_FORMATS.join(", ")}`,
});

/**
 * OpenRouter's `input_audio`: the raw bytes in base64 (not a data: URL) and their container.
 * Line-wrapped base64 is unwrapped, as for images (base64.ts); data that is not base64 is refused.
 * Parsed into the bytes, which is what an upload (`file`) brings too, so both forms are one request.
 */
const InputAudio = z.looseObject({
  data: z.pipe(
    z
      .string({ error: "input_audio.data must be a string of base64 audio" })
      .check(z.overwrite(withoutWhitespace), (ctx) => {
        const problem = base64Problem(ctx.value);
        if (problem) ctx.issues.push({ code: "custom", message: `input_audio.data: ${problem}`, input: ctx.value });
      }),
    z.transform(base64Bytes),
  ),
  format: z.pipe(
    z.pipe(
      z.string({ error: "input_audio.format must be a string" }),
      z.transform((format) => format.toLowerCase()),
    ),
    AudioFormat,
  ),
});

/** A multipart upload's audio, checked (present, not empty, its format told) where it was read (transcription-upload.ts). */
const UploadedAudio = z.looseObject({ data: z.instanceof(Uint8Array), format: AudioFormat });

/**
 * What Tollgate answers: `json` (OpenRouter's reply), `verbose_json` (with the provider's
 * segments and words, where the endpoint lists `response_format`) and `text` (the transcript
 * alone as text/plain, cut from the JSON reply, so any model answers it). OpenAI's `srt`, `vtt` and
 * `diarized_json` need timings or speakers no model in the catalog returns: refused by name.
 */
export const TRANSCRIPTION_REPLY_FORMATS = ["json", "text", "verbose_json"] as const;

/**
 * `POST /audio/transcriptions`: OpenRouter's JSON form (the SDK's STTRequest), and OpenAI's
 * multipart upload (its SDK's `audio.transcriptions.create`) read into the same request with the
 * upload's bytes as `input_audio`. `provider` takes the routing preferences chat takes
 * (OpenRouter's STT `provider` carries only `options`, which are accepted and not forwarded: no
 * provider option is passed through).
 */
function transcriptionRequest<Audio extends typeof InputAudio | typeof UploadedAudio>(inputAudio: Audio) {
  return sparse(
    z.looseObject({
      model: ModelId,
      input_audio: inputAudio,
      language: z.optional(z.string().check(z.regex(/^[a-z]{2,3}$/i, "an ISO-639-1 language code, e.g. en"))),
      // OpenAI's: text to guide the transcript's style or carry on from a previous segment.
      prompt: z.optional(z.string({ error: "prompt must be text" })),
      temperature: z.optional(z.number().check(z.gte(0, "between 0 and 1"), z.lte(1, "between 0 and 1"))),
      response_format: z.optional(
        z.enum(TRANSCRIPTION_REPLY_FORMATS, {
          error: `response_format must be one of ${TRANSCRIPTION_REPLY_FORMATS.join(", ")} (srt, vtt and diarized_json are not supported)`,
        }),
      ),
      timestamp_granularities: z.optional(z.array(z.enum(["word", "segment"])).check(z.maxLength(2))),
      // OpenAI's streamed transcription (server-sent events) is not served: a client asking for it
      // would read a JSON reply as a broken stream.
      stream: z.optional(
        z.literal(false, { error: "stream: streamed transcription is not supported; leave it out or false" }),
      ),
      user: EndUser,
      session_id: z.optional(
        z.string().check(z.maxLength(MAX_SESSION_ID_LENGTH, `at most ${MAX_SESSION_ID_LENGTH} characters`)),
      ),
      provider: z.nullish(ProviderPreferences),
    }),
  );
}

export const TranscriptionRequestSchema = transcriptionRequest(InputAudio);
/** An upload's fields and audio, as transcription-upload.ts reads them from the form. */
export const TranscriptionUploadSchema = transcriptionRequest(UploadedAudio);
export type TranscriptionRequest = z.output<typeof TranscriptionRequestSchema>;

/** The containers OpenAI's speech API writes, and the media type each is served with. */
export const SPEECH_MEDIA_TYPES = {
  mp3: "audio/mpeg",
  opus: "audio/ogg",
  aac: "audio/aac",
  flac: "audio/flac",
  wav: "audio/wav",
  pcm: "audio/pcm",
} as const;
export type SpeechFormat = keyof typeof SPEECH_MEDIA_TYPES;
const SPEECH_FORMATS = Object.keys(SPEECH_MEDIA_TYPES) as [SpeechFormat, ...SpeechFormat[]];

/**
 * `POST /audio/speech`: OpenRouter's SpeechRequest (`model`, `input`, `voice`, `response_format`,
 * `speed`, `provider`, `user`, `session_id`), plus OpenAI's `instructions` (the tone, for
 * gpt-4o-mini-tts). Voice cloning (`input_references`) needs a provider that clones voices, which
 * the catalog has none of: a 400 that names it.
 */
export const SpeechRequestSchema = sparse(
  z.looseObject({
    model: ModelId,
    input: z.string({ error: "input must be the text to speak" }).check(z.minLength(1, "input must not be empty")),
    voice: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    response_format: z.optional(
      z.enum(SPEECH_FORMATS, { error: `response_format must be one of ${SPEECH_FORMATS.join(", ")}` }),
    ),
    speed: z.optional(z.number().check(z.gte(0.25, "between 0.25 and 4"), z.lte(4, "between 0.25 and 4"))),
    instructions: z.optional(z.string().check(z.maxLength(4096))),
    input_references: z.optional(
      z.unknown().check(
        z.refine((value) => value === undefined, {
          error: "input_references (voice cloning) is not supported: no speech model in the catalog clones voices",
        }),
      ),
    ),
    user: EndUser,
    session_id: z.optional(
      z.string().check(z.maxLength(MAX_SESSION_ID_LENGTH, `at most ${MAX_SESSION_ID_LENGTH} characters`)),
    ),
    provider: z.nullish(ProviderPreferences),
  }),
);
export type SpeechRequest = z.infer<typeof SpeechRequestSchema>;

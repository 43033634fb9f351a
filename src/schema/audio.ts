import * as z from "zod";
import { base64Problem, withoutWhitespace } from "./base64";
import { EndUser, ModelId, ProviderPreferences } from "./chat";
import { sparse } from "./sparse";

/**
 * The audio containers OpenAI's transcription API reads (its documented list). A format outside it
 * is refused here by name: sent on, the provider's own 400 would not say which field was wrong.
 */
export const TRANSCRIPTION_FORMATS = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "ogg", "wav", "webm"] as const;
export type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];

/**
 * OpenRouter's `input_audio`: the raw bytes in base64 (not a data: URL) and their container.
 * Line-wrapped base64 is unwrapped, as for images (base64.ts); data that is not base64 is refused.
 */
const InputAudio = z.looseObject({
  data: z
    .string({ error: "input_audio.data must be a string of base64 audio" })
    .overwrite(withoutWhitespace)
    .check((ctx) => {
      const problem = base64Problem(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", message: `input_audio.data: ${problem}`, input: ctx.value });
    }),
  format: z
    .string({ error: "input_audio.format must be a string" })
    .transform((format) => format.toLowerCase())
    .pipe(
      z.enum(TRANSCRIPTION_FORMATS, {
        error: `input_audio.format must be one of ${TRANSCRIPTION_FORMATS.join(", ")}`,
      }),
    ),
});

/**
 * `POST /audio/transcriptions`: OpenRouter's JSON form (the SDK's STTRequest). `provider` takes the
 * routing preferences chat takes (OpenRouter's STT `provider` carries only `options`, which are
 * accepted and not forwarded: no provider option is passed through).
 */
export const TranscriptionRequestSchema = sparse(
  z.looseObject({
    model: ModelId,
    input_audio: InputAudio,
    language: z
      .string()
      .regex(/^[a-z]{2,3}$/i, "an ISO-639-1 language code, e.g. en")
      .optional(),
    temperature: z.number().min(0, "between 0 and 1").max(1, "between 0 and 1").optional(),
    response_format: z.enum(["json", "verbose_json"]).optional(),
    timestamp_granularities: z
      .array(z.enum(["word", "segment"]))
      .max(2)
      .optional(),
    user: EndUser,
    session_id: z.string().max(256, "at most 256 characters").optional(),
    provider: ProviderPreferences.nullish(),
  }),
);
export type TranscriptionRequest = z.infer<typeof TranscriptionRequestSchema>;

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
    input: z.string({ error: "input must be the text to speak" }).min(1, "input must not be empty"),
    voice: z.string().min(1).max(64).optional(),
    response_format: z
      .enum(SPEECH_FORMATS, { error: `response_format must be one of ${SPEECH_FORMATS.join(", ")}` })
      .optional(),
    speed: z.number().min(0.25, "between 0.25 and 4").max(4, "between 0.25 and 4").optional(),
    instructions: z.string().max(4096).optional(),
    input_references: z
      .unknown()
      .refine((value) => value === undefined, {
        error: "input_references (voice cloning) is not supported: no speech model in the catalog clones voices",
      })
      .optional(),
    user: EndUser,
    session_id: z.string().max(256, "at most 256 characters").optional(),
    provider: ProviderPreferences.nullish(),
  }),
);
export type SpeechRequest = z.infer<typeof SpeechRequestSchema>;

import { requireKey } from "../auth/middleware";
import { createSpeech } from "../generation/speech";
import { createTranscription } from "../generation/transcriptions";
import { routes } from "../routes";
import { SpeechRequestSchema, TranscriptionRequestSchema } from "../schema/audio";
import { isMultipart, parseTranscriptionUpload } from "../schema/transcription-upload";
import { parseJsonBody } from "../schema/validate";

export const audioRoutes = routes();

/** OpenRouter's JSON form, or OpenAI's multipart upload (its SDK's), read into the same request. */
audioRoutes.post("/audio/transcriptions", requireKey, async (c) => {
  const request = isMultipart(c.req.header("content-type"))
    ? await parseTranscriptionUpload(c.req.raw)
    : await parseJsonBody(c.req.raw, TranscriptionRequestSchema);
  return createTranscription(c, request);
});

audioRoutes.post("/audio/speech", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, SpeechRequestSchema);
  return createSpeech(c, request);
});

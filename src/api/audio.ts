import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { createSpeech } from "../generation/speech";
import { createTranscription } from "../generation/transcriptions";
import { SpeechRequestSchema, TranscriptionRequestSchema } from "../schema/audio";
import { parseJsonBody } from "../schema/validate";

export const audioRoutes = new Hono<AppEnv>();

audioRoutes.post("/audio/transcriptions", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, TranscriptionRequestSchema);
  return createTranscription(c, request);
});

audioRoutes.post("/audio/speech", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, SpeechRequestSchema);
  return createSpeech(c, request);
});

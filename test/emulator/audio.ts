import type { Script } from "./script";
import { countTokens } from "./tokens";

/**
 * OpenAI's audio API as the emulator plays it: `POST /audio/transcriptions` (a multipart upload,
 * parsed by the server into `body`: the form's fields, and `file` described by uploadOf).
 */

const JSON_HEADERS = { "content-type": "application/json" };

/** An uploaded file as the emulator logs and reads it: never its bytes, which may be megabytes. */
export interface Upload {
  name: string;
  type: string;
  size: number;
  /** The printable ASCII runs of its bytes (4 characters or more), joined by spaces. */
  text: string;
}

export async function uploadOf(file: File): Promise<Upload> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const runs = new TextDecoder("latin1").decode(bytes).match(/[\x20-\x7e]{4,}/g) ?? [];
  return { name: file.name, type: file.type, size: bytes.length, text: runs.join(" ").trim() };
}

/** What the emulator "hears" in audio with no text in its bytes. */
export const SILENT_TRANSCRIPT = "Hello from the emulated transcription.";

/**
 * Audio tokens billed for an upload: one per 100 bytes, at least one. Not OpenAI's rate (which
 * depends on the audio's length), but stable, so tests can compute the exact charge.
 */
export const audioTokensOf = (size: number) => Math.max(1, Math.ceil(size / 100));

/**
 * A transcription: the upload's printable text stands for its speech (so a test can put a marker,
 * or an `[[emulate …]]` directive, in the audio), with usage as OpenAI gives it: tokens for the
 * GPT-4o transcribers (audio tokens in, text tokens out), seconds for whisper.
 */
export function openaiTranscription(body: Record<string, unknown>): Script {
  const file = body.file as Upload | undefined;
  if (!file || typeof file !== "object") {
    return openaiAudioError(400, "Missing required parameter: 'file'.", "file");
  }
  const model = String(body.model ?? "");
  const text = file.text || SILENT_TRANSCRIPT;
  const seconds = Math.max(1, Math.ceil(file.size / 16_000));
  const audioTokens = audioTokensOf(file.size);
  const outputTokens = countTokens(text);
  const usage = model.startsWith("whisper")
    ? { type: "duration", seconds }
    : {
        type: "tokens",
        input_tokens: audioTokens,
        input_token_details: { text_tokens: 0, audio_tokens: audioTokens },
        output_tokens: outputTokens,
        total_tokens: audioTokens + outputTokens,
      };
  const reply: Record<string, unknown> = { text, usage };
  if (body.response_format === "verbose_json") {
    reply.task = "transcribe";
    reply.language = typeof body.language === "string" ? body.language : "english";
    reply.duration = seconds;
    reply.segments = [{ id: 0, seek: 0, start: 0, end: seconds, text, tokens: [], temperature: 0 }];
    const granularities = body["timestamp_granularities[]"];
    if (granularities === "word" || (Array.isArray(granularities) && granularities.includes("word"))) {
      const words = text.split(/\s+/).filter(Boolean);
      reply.words = words.map((word, i) => ({
        word,
        start: (i * seconds) / words.length,
        end: ((i + 1) * seconds) / words.length,
      }));
    }
  }
  return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(reply) };
}

function openaiAudioError(status: number, message: string, param: string): Script {
  return {
    status,
    headers: JSON_HEADERS,
    body: JSON.stringify({ error: { message, type: "invalid_request_error", param, code: null } }),
  };
}

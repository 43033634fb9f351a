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

/** The media type OpenAI serves each speech format with. */
const SPEECH_TYPES: Record<string, string> = {
  mp3: "audio/mpeg",
  opus: "audio/ogg",
  aac: "audio/aac",
  flac: "audio/flac",
  wav: "audio/wav",
  pcm: "audio/pcm",
};

/** 24 kHz 16-bit mono (OpenAI's pcm), silence: samples for ~60 ms a character, as speech runs. */
const silence = (characters: number) => new Uint8Array(2 * Math.min(24_000 * 5, characters * 1_440));

/** The first bytes of a real container of each format, enough for a player to tell it. */
function speechBytes(format: string, characters: number): Uint8Array {
  const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));
  const le = (value: number, bytes: number) => Array.from({ length: bytes }, (_, i) => (value >>> (8 * i)) & 0xff);
  const samples = silence(characters);
  switch (format) {
    case "wav":
      return new Uint8Array([
        ...ascii("RIFF"),
        ...le(36 + samples.length, 4),
        ...ascii("WAVEfmt "),
        ...le(16, 4),
        ...le(1, 2), // PCM
        ...le(1, 2), // mono
        ...le(24_000, 4),
        ...le(48_000, 4),
        ...le(2, 2),
        ...le(16, 2),
        ...ascii("data"),
        ...le(samples.length, 4),
        ...samples,
      ]);
    case "pcm":
      return samples;
    case "flac":
      // The stream marker, then the last metadata block: STREAMINFO (34 bytes, zeroed).
      return new Uint8Array([...ascii("fLaC"), 0x80, 0, 0, 34, ...new Uint8Array(34)]);
    case "opus":
      // An Ogg page opening the stream, carrying OpusHead.
      return new Uint8Array([
        ...ascii("OggS"),
        0,
        2,
        ...new Uint8Array(20),
        1,
        19,
        ...ascii("OpusHead"),
        1,
        1,
        ...le(312, 2),
        ...le(24_000, 4),
        0,
        0,
        0,
      ]);
    case "aac":
      // One ADTS frame header (MPEG-4 AAC LC, 24 kHz, mono) and a silent frame.
      return new Uint8Array([0xff, 0xf1, 0x58, 0x40, 0x02, 0x1f, 0xfc, 0x21, 0x00, 0x49, 0x90, 0x02, 0x19, 0x00]);
    default:
      // mp3: an ID3v2.4 tag, then one MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz) of silence.
      return new Uint8Array([...ascii("ID3"), 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x64, ...new Uint8Array(413)]);
  }
}

/** OpenAI's `POST /audio/speech`: the audio's bytes in the format asked for (mp3 by default). */
export function openaiSpeech(body: Record<string, unknown>): Script {
  if (typeof body.input !== "string" || body.input.length === 0) {
    return openaiAudioError(400, "Missing required parameter: 'input'.", "input");
  }
  if (typeof body.voice !== "string") return openaiAudioError(400, "Missing required parameter: 'voice'.", "voice");
  const format = typeof body.response_format === "string" ? body.response_format : "mp3";
  const type = SPEECH_TYPES[format];
  if (!type) return openaiAudioError(400, `Invalid response_format: '${format}'.`, "response_format");
  return { status: 200, headers: { "content-type": type }, body: speechBytes(format, [...body.input].length) };
}

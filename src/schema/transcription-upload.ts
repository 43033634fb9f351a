import {
  TRANSCRIPTION_FORMATS,
  type TranscriptionFormat,
  type TranscriptionRequest,
  TranscriptionUploadSchema,
} from "./audio";
import { readBodyBytes } from "./body";
import { badRequest } from "./errors";
import { assertNesting } from "./nesting";
import { parseWith } from "./validate";

/** Whether a request's body is a multipart form (OpenAI's upload) rather than OpenRouter's JSON. */
export const isMultipart = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^multipart\/form-data\s*(;|$)/i.test(contentType);

/** The containers media types name, for an upload whose file name has no known extension. */
const FORMAT_OF_TYPE: Record<string, TranscriptionFormat> = {
  "audio/flac": "flac",
  "audio/x-flac": "flac",
  "audio/m4a": "m4a",
  "audio/x-m4a": "m4a",
  "audio/mp4": "mp4",
  "video/mp4": "mp4",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/ogg": "ogg",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/webm": "webm",
  "video/webm": "webm",
};

const isFormat = (value: string): value is TranscriptionFormat =>
  (TRANSCRIPTION_FORMATS as readonly string[]).includes(value);

/**
 * The upload's container, as OpenAI tells it: by the file name's extension (`speech.mp3`), else by
 * the part's media type (a Blob sent unnamed, which the form names `blob`).
 */
function formatOf(file: File): TranscriptionFormat | undefined {
  const extension = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase();
  if (extension !== undefined && isFormat(extension)) return extension;
  return FORMAT_OF_TYPE[file.type.split(";")[0]?.trim().toLowerCase() ?? ""];
}

/**
 * Form fields are text; the schema's numbers and booleans are read from it here, and anything
 * unreadable is left as the text it is, so the schema names the field ("expected number").
 */
function fieldValue(name: string, text: string): unknown {
  if (name === "temperature") return /^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : text;
  if (name === "stream") return text === "true" ? true : text === "false" ? false : text;
  if (name === "provider") {
    // A JSON object in a field, held to the depth a JSON body is.
    assertNesting(text);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * `POST /audio/transcriptions` as OpenAI's SDK sends it: a multipart form with the audio as a
 * `file` part and the other parameters as fields (arrays as repeated `name[]` fields, as the SDK
 * writes `timestamp_granularities[]`). Read within the body limit as a JSON body is (a 413 past
 * it), then validated as the same request the JSON form makes, with the upload as `input_audio`:
 * what is wrong with the file is a 400 that names `file`, the rest the schema's own.
 */
export async function parseTranscriptionUpload(request: Request): Promise<TranscriptionRequest> {
  const bytes = await readBodyBytes(request);
  let form: FormData;
  try {
    form = await new Response(bytes, {
      headers: { "content-type": request.headers.get("content-type") ?? "" },
    }).formData();
  } catch {
    throw badRequest("Request body must be valid multipart/form-data (its boundary as the content-type names it)");
  }
  const file = form.get("file");
  if (file === null) throw badRequest("file: missing: upload the audio as a file part named file");
  if (typeof file === "string")
    throw badRequest("file: must be a file upload (a part with a filename), not a text field");
  if (file.size === 0) throw badRequest("file: the uploaded file is empty");
  const format = formatOf(file);
  if (format === undefined) {
    throw badRequest(
      `file: cannot tell the audio's format from its name ${JSON.stringify(file.name)} or type ${JSON.stringify(file.type)}: name it with one of the extensions ${TRANSCRIPTION_FORMATS.join(", ")}`,
    );
  }
  // No prototype: a field named `__proto__` is a field like any other, not the object's prototype.
  const fields: Record<string, unknown> = Object.create(null);
  for (const [key, value] of form) {
    if (key === "file" || typeof value !== "string") continue;
    if (key.endsWith("[]")) {
      const name = key.slice(0, -2);
      const list = Array.isArray(fields[name]) ? (fields[name] as unknown[]) : [];
      list.push(fieldValue(name, value));
      fields[name] = list;
    } else {
      fields[key] = fieldValue(key, value);
    }
  }
  const data = new Uint8Array(await file.arrayBuffer());
  return parseWith(TranscriptionUploadSchema, { ...fields, input_audio: { data, format } });
}

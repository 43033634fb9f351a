import type { ChatRequest, ContentPart, Message, MessageContent, ReasoningDetail } from "../../schema/chat";
import { contentText } from "../content-text";
import { inlineRemoteImages, parseDataUrl, privateImagesAllowed } from "../inline-image";
import { stopSequences, unsupportedParameters } from "../parameters";
import type { UpstreamCall, UpstreamTarget } from "../types";
import { imageConfig, responseModalities } from "./images";
import { thinkingAllowance, thinkingConfig } from "./thinking";

/** Gemini `generateContent` request building: small pure functions, one per concern. */

type Json = Record<string, unknown>;
export type GeminiPart = Json;
export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

/** The `format` of reasoning details carrying Gemini thoughts and thought signatures. */
export const GEMINI_REASONING_FORMAT = "google-gemini-v1";
/**
 * Tool-call ids: Gemini usually gives none, so `call_` + 24 letters/digits are minted. When it
 * does give one, the client sees `call_gm_<id>` and the original is echoed back upstream.
 */
const GEMINI_ID_PREFIX = "call_gm_";

/** `models/gemini-3.8-flash` for a bare id; `tunedModels/…` and `models/…` are kept. */
export function modelPath(providerModelId: string): string {
  return providerModelId.includes("/") ? providerModelId : `models/${providerModelId}`;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export function mintToolCallId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let id = "call_";
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** The OpenAI tool-call id for a Gemini function call (its own id when it has one). */
export function toolCallIdFor(geminiId: unknown): string {
  return typeof geminiId === "string" && geminiId.length > 0 ? `${GEMINI_ID_PREFIX}${geminiId}` : mintToolCallId();
}

/** The Gemini-issued id behind an OpenAI tool-call id, if there was one (minted ids have none). */
export function geminiIdOf(toolCallId: string): string | undefined {
  return toolCallId.startsWith(GEMINI_ID_PREFIX) ? toolCallId.slice(GEMINI_ID_PREFIX.length) : undefined;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  mp3: "audio/mp3",
  wav: "audio/wav",
  mp4: "video/mp4",
};

/** A MIME type from a URL's extension (images default to JPEG, the commonest on the web). */
export function guessMimeType(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not absolute: use the text as is
  }
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? "";
  return MIME_BY_EXTENSION[extension] ?? "image/jpeg";
}

/**
 * Whether Gemini fetches the URL itself as `fileData`: a Files API file
 * (`https://generativelanguage.googleapis.com/v1beta/files/…`) or a YouTube video. The Gemini API
 * refuses any other URI (400 "Invalid or unsupported file uri"), so other images are inlined.
 */
export function isGeminiFileUri(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "https:") return false;
  if (parsed.hostname === "generativelanguage.googleapis.com")
    return /^\/v1[a-z0-9]*\/files\/[^/]+$/.test(parsed.pathname);
  return /^((www|m)\.)?(youtube\.com|youtu\.be)$/.test(parsed.hostname);
}

function mediaPart(url: string): GeminiPart {
  const inline = parseDataUrl(url);
  if (inline) return { inlineData: { mimeType: inline.media_type, data: inline.data } };
  return { fileData: { mimeType: guessMimeType(url), fileUri: url } };
}

/**
 * OpenAI content parts ⇒ Gemini parts (text, inline data for data: URLs, file data for URLs).
 * Only Files-API and YouTube URLs may reach this as URLs: buildGeminiChatRequest inlines others.
 */
export function convertContent(content: MessageContent | null | undefined): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  const parts: GeminiPart[] = [];
  for (const part of content as ContentPart[]) {
    if (part.type === "text") {
      if (part.text !== "") parts.push({ text: part.text });
    } else if (part.type === "image_url") {
      parts.push(mediaPart(typeof part.image_url === "string" ? part.image_url : part.image_url.url));
    } else if (part.type === "input_audio") {
      const format = part.input_audio.format === "mp3" ? "audio/mp3" : `audio/${part.input_audio.format}`;
      parts.push({ inlineData: { mimeType: format, data: part.input_audio.data } });
    } else if (part.type === "file" && part.file.file_data) {
      parts.push(mediaPart(part.file.file_data));
    }
  }
  return parts;
}

function parseArgs(args: string): Json {
  try {
    const parsed = JSON.parse(args || "{}") as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Json) : { value: parsed };
  } catch {
    return { value: args };
  }
}

/** A tool result as Gemini's `functionResponse.response` (an object): JSON kept as JSON. */
function toolResponse(name: string, text: string): Json {
  try {
    return { name, content: JSON.parse(text) as unknown };
  } catch {
    return { name, content: text };
  }
}

/**
 * Thought signatures of an earlier assistant turn, from its reasoning details: those tied to a
 * tool call (by `id`) and the others (a text answer's). Details of other providers are skipped.
 */
export function thoughtSignatures(details: ReasoningDetail[] | null | undefined): {
  byToolCall: Map<string, string>;
  loose: string[];
} {
  const byToolCall = new Map<string, string>();
  const loose: string[] = [];
  for (const detail of details ?? []) {
    if (detail.format && !detail.format.startsWith("google")) continue;
    const signature = detail.type === "reasoning.encrypted" ? detail.data : detail.signature;
    if (!signature) continue;
    if (detail.id) byToolCall.set(detail.id, signature);
    else loose.push(signature);
  }
  return { byToolCall, loose };
}

function assistantParts(message: Extract<Message, { role: "assistant" }>): GeminiPart[] {
  const { byToolCall, loose } = thoughtSignatures(message.reasoning_details);
  const parts: GeminiPart[] = convertContent(message.content ?? null);
  // What the turn drew goes back to the model with it, as Gemini's own chat history keeps it (an
  // image model edits over several turns). A data: URL is the image (what replies carry); a
  // Files API URI Gemini reads itself; any other URL, which no Gemini reply gives, is left out.
  for (const image of message.images ?? []) {
    const url = image.image_url.url;
    if (/^data:/i.test(url) || isGeminiFileUri(url)) parts.push(mediaPart(url));
  }
  for (const call of message.tool_calls ?? []) {
    const id = geminiIdOf(call.id);
    const signature = byToolCall.get(call.id);
    parts.push({
      functionCall: { name: call.function.name, args: parseArgs(call.function.arguments), ...(id ? { id } : {}) },
      ...(signature ? { thoughtSignature: signature } : {}),
    });
  }
  // A signature that belonged to no tool call goes back on the first part without one.
  for (const signature of loose) {
    const free = parts.find((part) => part.thoughtSignature === undefined);
    if (free) free.thoughtSignature = signature;
  }
  return parts;
}

/**
 * System and developer messages are hoisted into `systemInstruction`; assistant turns become
 * `model` turns and tool results `functionResponse` parts (named after the call they answer) of
 * a user turn; consecutive same-role turns merge, function responses first.
 */
export function convertMessages(messages: readonly Message[]): {
  systemInstruction: { parts: GeminiPart[] } | undefined;
  contents: GeminiContent[];
} {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const push = (role: GeminiContent["role"], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role !== role) {
      contents.push({ role, parts });
      return;
    }
    if (role === "user" && parts[0]?.functionResponse) {
      const responses = last.parts.filter((p) => p.functionResponse);
      const rest = last.parts.filter((p) => !p.functionResponse);
      last.parts = [...responses, ...parts, ...rest];
    } else last.parts.push(...parts);
  };
  for (const message of messages) {
    switch (message.role) {
      case "system":
      case "developer": {
        const text = contentText(message.content);
        if (text) system.push({ text });
        break;
      }
      case "user":
        push("user", convertContent(message.content));
        break;
      case "assistant":
        for (const call of message.tool_calls ?? []) callNames.set(call.id, call.function.name);
        push("model", assistantParts(message));
        break;
      case "tool": {
        const name = callNames.get(message.tool_call_id) ?? message.name ?? "function";
        const id = geminiIdOf(message.tool_call_id);
        push("user", [
          {
            functionResponse: {
              name,
              response: toolResponse(name, contentText(message.content)),
              ...(id ? { id } : {}),
            },
          },
        ]);
        break;
      }
    }
  }
  // Gemini needs at least one content: a system-only conversation is sent as the user's turn.
  if (contents.length === 0) return { systemInstruction: undefined, contents: [{ role: "user", parts: system }] };
  return { systemInstruction: system.length > 0 ? { parts: system } : undefined, contents };
}

/** Keys of Gemini's Schema (an OpenAPI 3.0 subset); anything else is rejected by the API. */
const SCHEMA_KEYS = [
  "title",
  "description",
  "nullable",
  "default",
  "example",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minProperties",
  "maxProperties",
  "propertyOrdering",
];
const isObject = (value: unknown): value is Json => !!value && typeof value === "object" && !Array.isArray(value);

function resolveRef(ref: string, root: Json): Json | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const defs = match ? root[match[1] as string] : undefined;
  const found = isObject(defs) ? defs[decodeURIComponent(match?.[2] ?? "")] : undefined;
  return isObject(found) ? found : undefined;
}

/**
 * JSON Schema ⇒ Gemini Schema: `$ref`s inlined, `type: [t, "null"]` ⇒ `type` + `nullable`,
 * `const` ⇒ a one-value enum, `oneOf` ⇒ `anyOf`, and unsupported keywords (`additionalProperties`,
 * `$schema`, `exclusiveMinimum`, non-string enums…) left out.
 */
export function toGeminiSchema(schema: unknown, root: unknown = schema, depth = 0): Json {
  if (!isObject(schema) || depth > 16) return {};
  const rootObject = isObject(root) ? root : {};
  let s = schema;
  if (typeof s.$ref === "string") {
    const { $ref, ...rest } = s;
    s = { ...(resolveRef($ref as string, rootObject) ?? {}), ...rest };
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const { allOf, ...rest } = s;
    const merged: Json = { ...rest };
    for (const part of allOf) {
      const sub = isObject(part) && typeof part.$ref === "string" ? resolveRef(part.$ref, rootObject) : part;
      if (!isObject(sub)) continue;
      Object.assign(merged, sub, {
        properties: { ...(merged.properties as Json), ...(sub.properties as Json) },
        required: [...((merged.required as string[]) ?? []), ...((sub.required as string[]) ?? [])],
      });
    }
    s = merged;
  }
  const out: Json = {};
  const types = (Array.isArray(s.type) ? s.type : s.type !== undefined ? [s.type] : []) as string[];
  const nonNull = types.filter((t) => t !== "null");
  if (types.includes("null")) out.nullable = true;
  if (nonNull.length === 1) out.type = nonNull[0];
  else if (nonNull.length > 1) out.anyOf = nonNull.map((type) => ({ type }));
  const variants = (s.anyOf ?? s.oneOf) as unknown;
  if (Array.isArray(variants) && variants.length > 0) {
    const kept = variants.filter((v) => !(isObject(v) && v.type === "null"));
    if (kept.length < variants.length) out.nullable = true;
    const converted = kept.map((v) => toGeminiSchema(v, rootObject, depth + 1));
    if (converted.length === 1) Object.assign(out, converted[0]);
    else if (converted.length > 1) out.anyOf = converted;
  }
  if (s.const !== undefined && typeof s.const === "string") out.enum = [s.const];
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === "string")) out.enum = s.enum;
  else if (Array.isArray(s.enum) && s.enum.includes(null) && s.enum.every((v) => v === null || typeof v === "string")) {
    out.enum = s.enum.filter((v) => v !== null);
    out.nullable = true;
  }
  if (s.format === "enum" || s.format === "date-time") out.format = s.format;
  if (isObject(s.properties)) {
    const properties: Json = {};
    for (const [name, sub] of Object.entries(s.properties))
      properties[name] = toGeminiSchema(sub, rootObject, depth + 1);
    out.properties = properties;
    if (out.type === undefined && out.anyOf === undefined) out.type = "object";
    if (Array.isArray(s.required)) {
      const required = [...new Set(s.required.filter((n): n is string => typeof n === "string" && n in properties))];
      if (required.length > 0) out.required = required;
    }
  }
  if (s.items !== undefined) {
    const items = Array.isArray(s.items) ? s.items[0] : s.items;
    out.items = toGeminiSchema(items, rootObject, depth + 1);
  }
  for (const key of SCHEMA_KEYS) {
    if (s[key] !== undefined) out[key] = s[key];
  }
  return out;
}

/** OpenAI tools ⇒ one Gemini tool holding every function declaration. */
export function convertTools(tools: ChatRequest["tools"]): Json[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return [
    {
      functionDeclarations: tools.map((tool) => {
        const parameters = tool.function.parameters ? toGeminiSchema(tool.function.parameters) : undefined;
        // A function without parameters has none: Gemini rejects an object with no properties.
        const hasParameters = parameters && Object.keys((parameters.properties as Json | undefined) ?? {}).length > 0;
        return {
          name: tool.function.name,
          ...(tool.function.description ? { description: tool.function.description } : {}),
          ...(hasParameters ? { parameters } : {}),
        };
      }),
    },
  ];
}

export function convertToolChoice(choice: ChatRequest["tool_choice"]): Json | undefined {
  if (choice == null) return undefined;
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } };
}

export { geminiReasoningAllowance } from "./thinking";

export function buildGeminiBody(
  request: ChatRequest,
  target: UpstreamTarget,
): { body: Record<string, unknown>; dropped: string[] } {
  const dropped = unsupportedParameters(request, target.endpoint);
  const drop = new Set(dropped);
  const { systemInstruction, contents } = convertMessages(request.messages);
  const body: Record<string, unknown> = { contents };
  if (systemInstruction) body.systemInstruction = systemInstruction;

  const config: Json = {};
  const modelId = target.endpoint.provider_model_id;
  const thinking = thinkingConfig(request, target.endpoint, dropped);
  const cap = target.endpoint.max_completion_tokens ?? undefined;
  const asked = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (asked !== undefined) {
    // Thinking counts inside maxOutputTokens: the visible answer keeps what the client asked for.
    const total = asked + thinkingAllowance(thinking);
    config.maxOutputTokens = cap ? Math.min(cap, total) : total;
  }
  if (thinking) config.thinkingConfig = thinking;
  if (request.temperature != null && !drop.has("temperature")) config.temperature = request.temperature;
  if (request.top_p != null && !drop.has("top_p")) config.topP = request.top_p;
  if (request.top_k != null && !drop.has("top_k")) config.topK = request.top_k;
  if (request.seed != null && !drop.has("seed")) config.seed = request.seed;
  if (request.presence_penalty != null && !drop.has("presence_penalty"))
    config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null && !drop.has("frequency_penalty"))
    config.frequencyPenalty = request.frequency_penalty;
  const stops = drop.has("stop") ? [] : stopSequences(request);
  if (stops.length > 0) config.stopSequences = stops;
  if (request.n != null && request.n > 1) config.candidateCount = request.n;
  if (request.logprobs && !drop.has("logprobs")) {
    config.responseLogprobs = true;
    if (request.top_logprobs != null && !drop.has("top_logprobs")) config.logprobs = request.top_logprobs;
  }
  const tools = drop.has("tools") ? undefined : convertTools(request.tools);
  // Before Gemini 3, functions and a JSON response do not mix (400 "Function calling with a
  // response mime type: 'application/json' is unsupported"): the tools are kept, the format dropped.
  const jsonWithTools = tools !== undefined && !/gemini-3/.test(modelId);
  const format = request.response_format;
  if (format?.type === "json_object" && !drop.has("response_format")) {
    if (jsonWithTools) dropped.push("response_format");
    else config.responseMimeType = "application/json";
  } else if (format?.type === "json_schema" && !drop.has("structured_outputs")) {
    if (jsonWithTools) dropped.push("structured_outputs");
    else {
      config.responseMimeType = "application/json";
      if (format.json_schema.schema) config.responseSchema = toGeminiSchema(format.json_schema.schema);
    }
  }
  // Image output: only for requests that ask for it (routing sent them to a model that draws),
  // and the image settings for a model that draws; nothing is added to other requests.
  const modalities = responseModalities(request);
  if (modalities) config.responseModalities = modalities;
  const images = imageConfig(request, target.model);
  if (images) config.imageConfig = images;
  // Image settings with nothing Gemini takes (a model that does not draw, or only other
  // providers' keys) are left out, and said so in x-tollgate-dropped-params.
  else if (request.image_config) dropped.push("image_config");
  if (Object.keys(config).length > 0) body.generationConfig = config;

  if (tools) {
    body.tools = tools;
    const toolConfig = drop.has("tool_choice") ? undefined : convertToolChoice(request.tool_choice);
    if (toolConfig) body.toolConfig = toolConfig;
  }
  return { body, dropped };
}

/** Images at URLs Gemini cannot read (any but Files API and YouTube) are fetched and sent inline first. */
export async function buildGeminiChatRequest(
  request: ChatRequest,
  target: UpstreamTarget,
  stream: boolean,
): Promise<UpstreamCall> {
  const inlined = await inlineRemoteImages(request, {
    keep: isGeminiFileUri,
    allowPrivate: privateImagesAllowed(target),
    ...(target.images ? { fetched: target.images } : {}),
  });
  const { body, dropped } = buildGeminiBody(inlined, target);
  const model = modelPath(target.endpoint.provider_model_id);
  const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
  return {
    url: `${target.baseUrl}/${model}:${method}`,
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-goog-api-key": target.apiKey,
        ...(stream ? { accept: "text/event-stream" } : {}),
      },
      body: JSON.stringify(body),
    },
    dropped,
  };
}

import type { Fault } from "./directives";
import type { WireFormat } from "./format";
import { chunkString, generateReply, type NeutralChoice, type NeutralRequest } from "./generate";
import { embeddingVector } from "./openai";
import { base64, solidPng } from "./png";
import type { Script } from "./script";
import { countTokens } from "./tokens";

/**
 * The Google Gemini wire format (Generative Language API, v1beta): `models/{m}:generateContent`,
 * `:streamGenerateContent` (SSE with `?alt=sse`, a JSON array without), `:countTokens`,
 * `:embedContent` and `:batchEmbedContents`; `x-goog-api-key` (or `?key=`) auth; google.rpc.Status
 * error bodies; thought parts and thought signatures; no end sentinel (the last chunk carries the
 * finish reason). Requests are checked the way the API checks them (unknown fields, empty parts,
 * roles, function response counts, base64 bytes), so an adapter bug shows up as the API's 400.
 *
 * Extra `code=` directives with no status: `code=SAFETY` (or RECITATION, PROHIBITED_CONTENT,
 * BLOCKLIST, SPII, LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL) stops the answer halfway with that
 * finish reason; `code=prompt_SAFETY` (any block reason) blocks the prompt (no candidates).
 *
 * Image models (`…-image…`) draw when asked (`responseModalities` with IMAGE, or by default, as
 * Gemini's do): one small solid PNG a candidate, as an `inlineData` part after the text, its
 * pixels in `imageConfig.aspectRatio` (16:9 ⇒ 32×18), counted as Gemini counts a 1024×1024
 * image (1290 tokens, in candidatesTokenCount and candidatesTokensDetails' IMAGE entry). A
 * text model asked for IMAGE answers Gemini's 400.
 */
type Json = Record<string, any>;

const ROUTE =
  /\/((?:models|tunedModels)\/[^/:]+):(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$/;

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const MESSAGES: Record<string, string> = {
  INVALID_ARGUMENT: "Request contains an invalid argument.",
  UNAUTHENTICATED:
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
  PERMISSION_DENIED: "The caller does not have permission",
  NOT_FOUND: "Requested entity was not found.",
  RESOURCE_EXHAUSTED:
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
  INTERNAL:
    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  UNAVAILABLE: "The model is overloaded. Please try again later.",
  DEADLINE_EXCEEDED: "Deadline expired before operation could complete.",
};

function errorBody(status: number, code: number, name: string, message: string, details?: Json[]): Script {
  return {
    status,
    headers: { "content-type": "application/json; charset=UTF-8" },
    body: JSON.stringify({ error: { code, message, status: name, ...(details ? { details } : {}) } }, null, 2),
  };
}

/** A google.rpc.Status body for the status (529 keeps its status with a 503 UNAVAILABLE body). */
export function googleError(status: number, code: string | undefined, retryAfter: number | undefined): Script {
  if (code === "invalid_api_key" && status === 401) {
    // What the API says to a request without any key.
    return errorBody(
      403,
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SERVICE_DISABLED", domain: "googleapis.com" }],
    );
  }
  if (code === "invalid_api_key") {
    return errorBody(status, status, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      },
    ]);
  }
  const bodyCode = status === 529 ? 503 : status;
  const name = STATUS_NAMES[bodyCode] ?? (bodyCode >= 500 ? "INTERNAL" : "INVALID_ARGUMENT");
  const message =
    code === "context_length_exceeded"
      ? "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576)."
      : (MESSAGES[name] ?? `Emulated ${name}${code ? ` (${code})` : ""}`);
  let details: Json[] | undefined;
  if (bodyCode === 429) {
    details = [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [
          {
            quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            quotaValue: "10",
          },
        ],
      },
      {
        "@type": "type.googleapis.com/google.rpc.Help",
        links: [
          {
            description: "Learn more about Gemini API quotas",
            url: "https://ai.google.dev/gemini-api/docs/rate-limits",
          },
        ],
      },
      ...(retryAfter !== undefined
        ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfter}s` }]
        : []),
    ];
  }
  return errorBody(status, bodyCode, name, message, details);
}

const invalid = (message: string) => errorBody(400, 400, "INVALID_ARGUMENT", message);

// ── request checks ────────────────────────────────────────────────────────────────────────────

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const REQUEST_FIELDS = new Set([
  "model",
  "contents",
  "tools",
  "toolConfig",
  "safetySettings",
  "systemInstruction",
  "generationConfig",
  "cachedContent",
  "labels",
]);
const GENERATION_FIELDS = new Set([
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "responseModalities",
  "candidateCount",
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseLogprobs",
  "logprobs",
  "enableEnhancedCivicAnswers",
  "speechConfig",
  "thinkingConfig",
  "imageConfig",
  "mediaResolution",
]);
const THINKING_FIELDS = new Set(["includeThoughts", "thinkingBudget", "thinkingLevel"]);
const PART_DATA = [
  "text",
  "inlineData",
  "fileData",
  "functionCall",
  "functionResponse",
  "executableCode",
  "codeExecutionResult",
];
const PART_FIELDS = new Set([
  ...PART_DATA,
  "thought",
  "thoughtSignature",
  "videoMetadata",
  "partMetadata",
  "mediaResolution",
]);
const SCHEMA_FIELDS = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const FILE_URI =
  /^https:\/\/(generativelanguage\.googleapis\.com\/v1[a-z0-9]*\/files\/[^/?#]+|((www|m)\.)?youtube\.com\/|youtu\.be\/)/;

function unknownField(value: Json, allowed: Set<string>, at: string): string | undefined {
  for (const key of Object.keys(value ?? {})) {
    if (!allowed.has(camel(key))) {
      return `Invalid JSON payload received. Unknown name "${key}"${at ? ` at '${at}'` : ""}: Cannot find field.`;
    }
  }
  return undefined;
}

function schemaError(schema: unknown, at: string): string | undefined {
  if (!schema || typeof schema !== "object") return undefined;
  const s = schema as Json;
  const own = unknownField(s, SCHEMA_FIELDS, at);
  if (own) return own;
  for (const [name, sub] of Object.entries((s.properties ?? {}) as Json)) {
    const error = schemaError(sub, `${at}.properties[${name}].value`);
    if (error) return error;
  }
  if (s.items) return schemaError(s.items, `${at}.items`);
  for (const [i, sub] of ((s.anyOf ?? s.any_of ?? []) as unknown[]).entries()) {
    const error = schemaError(sub, `${at}.any_of[${i}]`);
    if (error) return error;
  }
  return undefined;
}

const functionCalls = (content: Json | undefined) =>
  ((content?.parts ?? []) as Json[]).filter((p) => p.functionCall ?? p.function_call);
const functionResponses = (content: Json | undefined) =>
  ((content?.parts ?? []) as Json[]).filter((p) => p.functionResponse ?? p.function_response);

/** Output tokens Gemini counts for a generated 1024×1024 image (its image models' default size). */
export const IMAGE_TOKENS = 1290;
const ASPECT_RATIOS = new Set(["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]);
const MODALITIES = new Set(["TEXT", "IMAGE", "AUDIO"]);
const IMAGE_CONFIG_FIELDS = new Set(["aspectRatio", "imageSize"]);
const drawsImages = (model: string) => /-image/.test(model);

/** What the request asks of image output, checked as the API checks it (a message when refused). */
function imageOutputProblem(config: Json | undefined, model: string): string | undefined {
  const modalities = config?.responseModalities;
  if (modalities !== undefined) {
    if (!Array.isArray(modalities)) return "Invalid value at 'generation_config.response_modalities'";
    for (const [i, modality] of modalities.entries()) {
      if (!MODALITIES.has(String(modality))) {
        return `Invalid value at 'generation_config.response_modalities[${i}]' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality), "${String(modality)}"`;
      }
    }
    if (modalities.includes("IMAGE") && !drawsImages(model)) {
      return "Model does not support the requested response modalities: image";
    }
  }
  const imageConfig = config?.imageConfig as Json | undefined;
  if (imageConfig !== undefined) {
    const unknown = unknownField(imageConfig, IMAGE_CONFIG_FIELDS, "generation_config.image_config");
    if (unknown) return unknown;
    if (imageConfig.aspectRatio !== undefined && !ASPECT_RATIOS.has(String(imageConfig.aspectRatio))) {
      return `* GenerateContentRequest.generation_config.image_config.aspect_ratio: unsupported aspect ratio ${String(imageConfig.aspectRatio)}\n`;
    }
  }
  return undefined;
}

/** Whether the reply draws (IMAGE asked, or an image model left to its default) and still writes text. */
function imageOutputOf(config: Json | undefined, model: string): { draws: boolean; writes: boolean; ratio: string } {
  const modalities = config?.responseModalities as string[] | undefined;
  return {
    draws: modalities ? modalities.includes("IMAGE") : drawsImages(model),
    writes: modalities ? modalities.includes("TEXT") : true,
    ratio: String((config?.imageConfig as Json | undefined)?.aspectRatio ?? "1:1"),
  };
}

/** The image part of a candidate: a PNG of the ratio's shape (16:9 ⇒ 32×18 pixels). */
function imagePart(ratio: string): Json {
  const [w = 1, h = 1] = ratio.split(":").map(Number);
  return { inlineData: { mimeType: "image/png", data: base64(solidPng(w * 2, h * 2)) } };
}

/**
 * The thinking levels a model takes, as Google documents them (undefined: it takes none, as 2.5
 * models, which think by a budget): 3 Pro LOW and HIGH; 3.1 Pro, 3.7 and 3.8 Flash LOW to HIGH;
 * other Gemini 3 models MINIMAL to HIGH.
 */
function thinkingLevelsOf(model: string): string[] | undefined {
  if (!/gemini-3/.test(model)) return undefined;
  if (/gemini-3-pro/.test(model)) return ["LOW", "HIGH"];
  if (/gemini-3\.1-pro|gemini-3\.[78]-flash(?!-lite)/.test(model)) return ["LOW", "MEDIUM", "HIGH"];
  return ["MINIMAL", "LOW", "MEDIUM", "HIGH"];
}

/** Gemini's 400s for a thinking config: a level with a budget, or a level the model does not take. */
function thinkingProblem(config: Json | undefined, model: string): string | undefined {
  const level = config?.thinkingLevel ?? config?.thinking_level;
  if (level === undefined) return undefined;
  if ((config?.thinkingBudget ?? config?.thinking_budget) !== undefined) {
    return "You can only set only one of thinking budget and thinking level.";
  }
  const levels = thinkingLevelsOf(model);
  if (!levels) return "Thinking level is not supported for this model.";
  const name = String(level).toUpperCase();
  return levels.includes(name) ? undefined : `Thinking level ${name} is not supported for this model.`;
}

/** The 400 message the API would answer with, or undefined for a well-formed request. */
export function checkGenerateRequest(body: Json, model: string): string | undefined {
  const top = unknownField(body, REQUEST_FIELDS, "");
  if (top) return top;
  const config = (body.generationConfig ?? body.generation_config) as Json | undefined;
  const generation =
    unknownField(config ?? {}, GENERATION_FIELDS, "generation_config") ??
    unknownField(config?.thinkingConfig ?? {}, THINKING_FIELDS, "generation_config.thinking_config") ??
    schemaError(config?.responseSchema, "generation_config.response_schema") ??
    imageOutputProblem(config, model);
  if (generation) return generation;
  const thinking = thinkingProblem(config?.thinkingConfig, model);
  if (thinking) return thinking;
  const declaresFunctions = ((body.tools ?? []) as Json[]).some((tool) => tool.functionDeclarations);
  if (declaresFunctions && config?.responseMimeType === "application/json" && !/gemini-3/.test(model)) {
    return "Function calling with a response mime type: 'application/json' is unsupported";
  }
  // Only Gemini 2.0 takes penalties; later models refuse any but 0 (which changes nothing).
  const penalized = [config?.presencePenalty, config?.frequencyPenalty].some((v) => typeof v === "number" && v !== 0);
  if (penalized && !/gemini-2\.0/.test(model)) return `Penalty is not enabled for models/${model}`;
  if (config?.responseSchema && config?.responseJsonSchema) {
    return "responseSchema and responseJsonSchema cannot both be set.";
  }
  for (const [t, tool] of ((body.tools ?? []) as Json[]).entries()) {
    for (const [f, fn] of ((tool.functionDeclarations ?? []) as Json[]).entries()) {
      const error = schemaError(fn.parameters, `tools[${t}].function_declarations[${f}].parameters`);
      if (error) return error;
    }
  }
  const contents = body.contents as Json[] | undefined;
  if (!Array.isArray(contents) || contents.length === 0) {
    return "* GenerateContentRequest.contents: contents is not specified\n";
  }
  for (const [i, content] of contents.entries()) {
    if (content.role !== undefined && content.role !== "user" && content.role !== "model") {
      return "Please use a valid role: user, model.";
    }
    const parts = content.parts as Json[] | undefined;
    if (!Array.isArray(parts) || parts.length === 0) {
      return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
    }
    for (const [j, part] of parts.entries()) {
      const at = `contents[${i}].parts[${j}]`;
      const unknown = unknownField(part, PART_FIELDS, at);
      if (unknown) return unknown;
      const data = PART_DATA.filter((key) => {
        const value = part[key] ?? part[snake(key)];
        return value !== undefined && value !== null && value !== "";
      });
      if (data.length !== 1) {
        return data.length === 0
          ? `* GenerateContentRequest.${at}.data: required oneof field 'data' must have one initialized field\n`
          : `Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '${data[1]}'`;
      }
      const signature = part.thoughtSignature ?? part.thought_signature;
      if (signature !== undefined && (typeof signature !== "string" || !BASE64.test(signature))) {
        return `Invalid value at '${at}.thought_signature' (TYPE_BYTES), Base64 decoding failed for "${String(signature)}"`;
      }
      const inline = part.inlineData ?? part.inline_data;
      if (inline && (typeof inline.data !== "string" || !BASE64.test(inline.data))) {
        return `Invalid value at '${at}.inline_data.data' (TYPE_BYTES), Base64 decoding failed`;
      }
      // The Gemini API reads files from its Files API and YouTube only (Vertex also takes gs://).
      const file = part.fileData ?? part.file_data;
      const uri = String(file?.fileUri ?? file?.file_uri ?? "");
      if (file && !FILE_URI.test(uri)) return `Invalid or unsupported file uri: ${uri}`;
    }
    const responses = functionResponses(content).length;
    if (responses > 0 && responses !== functionCalls(contents[i - 1]).length) {
      return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
    }
  }
  // Gemini 3 insists on the signatures of the current turn's function calls.
  if (/gemini-3/.test(model)) {
    let start = 0;
    contents.forEach((content, i) => {
      const isUserText = content.role !== "model" && functionResponses(content).length === 0;
      if (isUserText) start = i;
    });
    for (let i = start; i < contents.length; i++) {
      const calls = functionCalls(contents[i]);
      const first = calls[0];
      if (first && !(first.thoughtSignature ?? first.thought_signature)) {
        const name = (first.functionCall ?? first.function_call)?.name;
        return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${name}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`;
      }
    }
  }
  const mode = body.toolConfig?.functionCallingConfig?.mode;
  const allowed = body.toolConfig?.functionCallingConfig?.allowedFunctionNames;
  if (Array.isArray(allowed) && allowed.length > 0 && mode !== "ANY" && mode !== "VALIDATED") {
    return "allowed_function_names is only allowed when function calling mode is ANY or VALIDATED.";
  }
  return undefined;
}

// ── request ⇒ neutral ─────────────────────────────────────────────────────────────────────────

/** Gemini schemas may spell types in capitals (the SDK's Type enum); the sampler wants JSON Schema. */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (!schema || typeof schema !== "object") return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    if (key === "type" && typeof value === "string") out.type = value.toLowerCase();
    else if (key === "properties" && value && typeof value === "object") {
      out.properties = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, jsonSchemaOf(v)]));
    } else if (key === "items" || key === "anyOf") out[key] = jsonSchemaOf(value);
    else out[key] = value;
  }
  return out;
}

function partsText(parts: unknown): { text: string; images: number } {
  let text = "";
  let images = 0;
  for (const part of (Array.isArray(parts) ? parts : []) as Json[]) {
    if (typeof part.text === "string" && part.thought !== true) text += part.text;
    else if (part.inlineData || part.fileData) images++;
    else if (part.functionCall) text += JSON.stringify(part.functionCall.args ?? {});
    else if (part.functionResponse) text += JSON.stringify(part.functionResponse.response ?? {});
  }
  return { text, images };
}

interface Thinking {
  /** The model thinks (its thoughts are counted in thoughtsTokenCount). */
  on: boolean;
  /** Thought summaries are returned as `thought: true` parts. */
  show: boolean;
  /** Thought signatures are returned (by 2.5 models with functions declared or thoughts shown). */
  signed: boolean;
}

function thinkingOf(body: Json, model: string, hasTools: boolean): Thinking {
  const config = body.generationConfig?.thinkingConfig as Json | undefined;
  // Gemini 2.5 Flash Image does not think (Gemini 3's image models do).
  const thinksByDefault = /gemini-(2\.5|3)/.test(model) && !/gemini-2\.5-flash-image/.test(model);
  const on = config ? config.thinkingBudget !== 0 : thinksByDefault;
  const show = on && config?.includeThoughts === true;
  return { on, show, signed: on && (hasTools || show || /gemini-3/.test(model)) };
}

export function neutralFromGemini(body: Json, model: string): NeutralRequest {
  const system = partsText(body.systemInstruction?.parts).text;
  const messages = [
    ...(system ? [{ role: "system", text: system, images: 0 }] : []),
    ...((body.contents ?? []) as Json[]).map((content) => {
      const { text, images } = partsText(content.parts);
      const onlyResponses =
        Array.isArray(content.parts) &&
        content.parts.length > 0 &&
        content.parts.every((p: Json) => p.functionResponse);
      return { role: onlyResponses ? "tool" : content.role === "model" ? "assistant" : "user", text, images };
    }),
  ];
  const calling = (body.toolConfig?.functionCallingConfig ?? {}) as Json;
  const allowed = Array.isArray(calling.allowedFunctionNames) ? (calling.allowedFunctionNames as string[]) : [];
  let tools = ((body.tools ?? []) as Json[]).flatMap((tool) =>
    ((tool.functionDeclarations ?? []) as Json[]).map((fn) => ({
      name: String(fn.name),
      parameters: jsonSchemaOf(fn.parameters ?? fn.parametersJsonSchema ?? { type: "object" }),
    })),
  );
  const forced = calling.mode === "ANY" || calling.mode === "VALIDATED";
  if (forced && allowed.length > 0) tools = tools.filter((t) => allowed.includes(t.name));
  const config = (body.generationConfig ?? {}) as Json;
  const schema = config.responseSchema ?? config.responseJsonSchema;
  return {
    model,
    messages,
    maxTokens: typeof config.maxOutputTokens === "number" ? config.maxOutputTokens : undefined,
    n: typeof config.candidateCount === "number" ? config.candidateCount : 1,
    stop: Array.isArray(config.stopSequences) ? config.stopSequences : [],
    tools,
    toolChoice:
      calling.mode === "NONE"
        ? "none"
        : forced && allowed.length === 1
          ? { name: allowed[0] as string }
          : forced
            ? "required"
            : "auto",
    parallelToolCalls: true,
    json:
      config.responseMimeType === "application/json"
        ? schema
          ? { kind: "schema", schema: jsonSchemaOf(schema) }
          : { kind: "object" }
        : null,
    reasoning: thinkingOf(body, model, tools.length > 0).on,
  };
}

// ── replies ───────────────────────────────────────────────────────────────────────────────────

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
};
const JSON_HEADERS = { "content-type": "application/json; charset=UTF-8" };
const CANDIDATE_STOPS = new Set([
  "SAFETY",
  "RECITATION",
  "PROHIBITED_CONTENT",
  "BLOCKLIST",
  "SPII",
  "LANGUAGE",
  "OTHER",
  "MALFORMED_FUNCTION_CALL",
]);

let counter = 0;
const responseId = () => Buffer.from(`${Date.now()}:${++counter}`).toString("base64url").slice(0, 22);

function signatureFor(model: string, seed: string): string {
  return Buffer.from(`emulated-thought:${model}:${seed}`).toString("base64");
}

const FINISH: Record<NeutralChoice["finish"], string> = { stop: "STOP", length: "MAX_TOKENS", tool_calls: "STOP" };

interface CandidatePlan {
  /** Stream steps: the parts of each chunk, in order (the last one goes with the finish reason). */
  steps: Json[][];
  finalParts: Json[];
  finishReason: string;
  /** Visible output tokens after each step (for the cumulative usage of stream chunks). */
  tokensAfter: number[];
  /** The step that carries the candidate's generated image, if it draws one. */
  imageStep: number | undefined;
  extra: Json;
}

function planCandidate(
  choice: NeutralChoice,
  index: number,
  model: string,
  thinking: Thinking,
  fault: Fault,
  output: { image: Json | undefined; writes: boolean },
): CandidatePlan {
  const signature = thinking.signed ? signatureFor(model, `${index}:${choice.reasoning ?? ""}`) : undefined;
  // `error_finish` ends the answer after its `tokens`; `code=` cuts it halfway.
  const stopCode =
    fault.error_finish ??
    (fault.status === undefined && fault.code && CANDIDATE_STOPS.has(fault.code) ? fault.code : undefined);
  const steps: Json[][] = [];
  const tokensAfter: number[] = [];
  let tokens = 0;
  if (thinking.show && choice.reasoning) {
    for (const piece of chunkString(choice.reasoning, 24)) {
      steps.push([{ text: piece, thought: true }]);
      tokensAfter.push(tokens);
    }
  }
  let pieces = output.writes ? choice.pieces : [];
  if (stopCode && fault.error_finish === undefined) pieces = pieces.slice(0, Math.floor(pieces.length / 2));
  for (const piece of pieces) {
    if (piece === "") continue;
    steps.push([{ text: piece }]);
    tokens += countTokens(piece) || 1;
    tokensAfter.push(tokens);
  }
  // The image comes after the text, whole in one part (a stopped answer draws none).
  let imageStep: number | undefined;
  if (output.image && !stopCode) {
    imageStep = steps.length;
    steps.push([output.image]);
    tokens += IMAGE_TOKENS;
    tokensAfter.push(tokens);
  }
  const calls = stopCode ? [] : choice.toolCalls;
  if (calls.length > 0) {
    steps.push(
      calls.map((call, i) => ({
        functionCall: { name: call.name, args: JSON.parse(call.arguments) as unknown },
        ...(signature && i === 0 ? { thoughtSignature: signature } : {}),
      })),
    );
    tokensAfter.push(tokens);
  }
  // A text answer's signature comes last, on an empty text part of the final chunk.
  const finalParts = signature && calls.length === 0 ? [{ text: "", thoughtSignature: signature }] : [];
  const extra: Json =
    stopCode === "SAFETY"
      ? {
          safetyRatings: [
            { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true },
            { category: "HARM_CATEGORY_HARASSMENT", probability: "NEGLIGIBLE" },
          ],
        }
      : {};
  return { steps, finalParts, finishReason: stopCode ?? FINISH[choice.finish], tokensAfter, imageStep, extra };
}

/** The candidate's parts for a whole (non-streamed) reply: adjacent text merged, as the API does. */
function wholeParts(plan: CandidatePlan): Json[] {
  const parts: Json[] = [];
  for (const part of [...plan.steps.flat(), ...plan.finalParts]) {
    const last = parts.at(-1);
    const mergeable = (p: Json | undefined) => p && typeof p.text === "string" && !p.functionCall;
    if (
      mergeable(part) &&
      mergeable(last) &&
      Boolean(last?.thought) === Boolean(part.thought) &&
      !last?.thoughtSignature
    ) {
      (last as Json).text += part.text;
      if (part.thoughtSignature) (last as Json).thoughtSignature = part.thoughtSignature;
    } else parts.push({ ...part });
  }
  return parts;
}

function usageMetadata(
  prompt: number,
  candidates: number,
  thoughts: number,
  images: number,
  cached = 0,
  drawn = 0,
): Json {
  return {
    // promptTokenCount includes the cached tokens.
    promptTokenCount: prompt,
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
    // Generated images' tokens are within candidatesTokenCount; the details split it by modality.
    candidatesTokenCount: candidates,
    ...(drawn > 0
      ? {
          candidatesTokensDetails: [
            ...(candidates > drawn ? [{ modality: "TEXT", tokenCount: candidates - drawn }] : []),
            { modality: "IMAGE", tokenCount: drawn },
          ],
        }
      : {}),
    totalTokenCount: prompt + candidates + thoughts,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    promptTokensDetails: [
      { modality: "TEXT", tokenCount: prompt - images * 85 },
      ...(images > 0 ? [{ modality: "IMAGE", tokenCount: images * 85 }] : []),
    ],
  };
}

function generateScript(
  body: Json,
  model: string,
  stream: boolean,
  sse: boolean,
  provider: string,
  fault: Fault,
): Script {
  const problem = checkGenerateRequest(body, model);
  if (problem) return invalid(problem);
  const request = neutralFromGemini(body, model);
  const thinking = thinkingOf(body, model, request.tools.length > 0);
  const reply = generateReply(request, provider, fault);
  const images = request.messages.reduce((sum, m) => sum + m.images, 0);
  const thoughts = thinking.on ? reply.reasoningTokens : 0;
  const visible = reply.completionTokens - reply.reasoningTokens;
  const base = { modelVersion: model, responseId: responseId() };
  const blockReason =
    fault.status === undefined && fault.code?.startsWith("prompt_") ? fault.code.slice("prompt_".length) : undefined;

  if (blockReason) {
    const blocked = {
      promptFeedback: {
        blockReason,
        safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }],
      },
      usageMetadata: { promptTokenCount: reply.promptTokens, totalTokenCount: reply.promptTokens },
      ...base,
    };
    return stream
      ? streamScript([], blocked, sse)
      : { status: 200, headers: JSON_HEADERS, body: JSON.stringify(blocked) };
  }

  const drawing = imageOutputOf(body.generationConfig, model);
  const output = { image: drawing.draws ? imagePart(drawing.ratio) : undefined, writes: drawing.writes };
  const plans = reply.choices.map((choice, index) => planCandidate(choice, index, model, thinking, fault, output));
  // Text and images as the candidates came out (an image model told IMAGE alone writes none).
  const drawnBy = (step: number) =>
    plans.reduce((sum, p) => sum + (p.imageStep !== undefined && p.imageStep <= step ? IMAGE_TOKENS : 0), 0);
  const drawn = drawnBy(Number.POSITIVE_INFINITY);
  const written = drawing.writes ? visible : 0;
  const finalUsage = usageMetadata(reply.promptTokens, written + drawn, thoughts, images, reply.cacheRead, drawn);
  if (!stream) {
    return {
      status: 200,
      headers: JSON_HEADERS,
      body: JSON.stringify({
        candidates: plans.map((plan, index) => {
          const parts = wholeParts(plan);
          return {
            content: parts.length > 0 ? { parts, role: "model" } : { role: "model" },
            finishReason: plan.finishReason,
            ...plan.extra,
            index,
          };
        }),
        usageMetadata: finalUsage,
        ...base,
      }),
    };
  }
  // Candidates advance together, one step per chunk; the last chunk carries every finish reason.
  const chunks: Json[] = [];
  const length = Math.max(0, ...plans.map((p) => p.steps.length));
  for (let k = 0; k < length; k++) {
    const candidates = plans.flatMap((plan, index) =>
      k < plan.steps.length ? [{ content: { parts: plan.steps[k], role: "model" }, index }] : [],
    );
    const sofar = plans.reduce((sum, p) => sum + (p.tokensAfter[Math.min(k, p.tokensAfter.length - 1)] ?? 0), 0);
    chunks.push({
      candidates,
      usageMetadata: usageMetadata(reply.promptTokens, sofar, thoughts, images, reply.cacheRead, drawnBy(k)),
      ...base,
    });
  }
  const last = {
    candidates: plans.map((plan, index) => ({
      content: { parts: plan.finalParts.length > 0 ? plan.finalParts : [{ text: "" }], role: "model" },
      finishReason: plan.finishReason,
      ...plan.extra,
      index,
    })),
    usageMetadata: finalUsage,
    ...base,
  };
  return streamScript(chunks, last, sse);
}

/**
 * SSE (`alt=sse`): `data: {json}` events separated by CRLF blank lines, no sentinel. Without
 * `alt=sse` the API streams one JSON array. The finish chunk is the terminator (`no_done` drops it).
 */
function streamScript(chunks: Json[], last: Json, sse: boolean): Script {
  if (sse) {
    const frame = (chunk: Json) => `data: ${JSON.stringify(chunk)}\r\n\r\n`;
    return {
      status: 200,
      headers: SSE_HEADERS,
      frames: chunks.map(frame),
      terminator: [frame(last)],
      malformedFrame: 'data: {"candidates": [{"content": {"parts": [{"text": "brok\r\n\r\n',
    };
  }
  const frames = chunks.map((chunk, i) => `${i === 0 ? "[" : ",\r\n"}${JSON.stringify(chunk)}`);
  return {
    status: 200,
    headers: JSON_HEADERS,
    frames,
    terminator: [`${frames.length === 0 ? "[" : ",\r\n"}${JSON.stringify(last)}]`],
    malformedFrame: ',\r\n{"candidates": [{"content": {"parts": [{"text": "brok',
  };
}

function countTokensScript(body: Json, model: string): Script {
  const inner = (body.generateContentRequest ?? { contents: body.contents ?? [] }) as Json;
  const request = neutralFromGemini(inner, model);
  const images = request.messages.reduce((sum, m) => sum + m.images, 0);
  const total = request.messages.reduce((sum, m) => sum + countTokens(m.text) + m.images * 85, 0);
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      totalTokens: total,
      promptTokensDetails: [
        { modality: "TEXT", tokenCount: total - images * 85 },
        ...(images > 0 ? [{ modality: "IMAGE", tokenCount: images * 85 }] : []),
      ],
    }),
  };
}

// ── embeddings ────────────────────────────────────────────────────────────────────────────────

const TASK_TYPES = new Set([
  "TASK_TYPE_UNSPECIFIED",
  "RETRIEVAL_QUERY",
  "RETRIEVAL_DOCUMENT",
  "SEMANTIC_SIMILARITY",
  "CLASSIFICATION",
  "CLUSTERING",
  "QUESTION_ANSWERING",
  "FACT_VERIFICATION",
  "CODE_RETRIEVAL_QUERY",
]);

function embedOne(request: Json, model: string, at: string): { values: number[] } | string {
  const text = partsText(request.content?.parts).text;
  if (!text) return `* ${at}.content: contents.parts must not be empty.\n`;
  if (request.taskType !== undefined && !TASK_TYPES.has(request.taskType)) {
    return `Invalid value at '${at}.task_type' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), "${request.taskType}"`;
  }
  const dimensions =
    typeof request.outputDimensionality === "number"
      ? request.outputDimensionality
      : /gemini-embedding/.test(model)
        ? 3072
        : 768;
  return { values: embeddingVector(text, dimensions) };
}

function embedScript(body: Json, model: string, method: string): Script {
  if (method === "embedContent") {
    const one = embedOne(body, model, "EmbedContentRequest");
    return typeof one === "string"
      ? invalid(one)
      : { status: 200, headers: JSON_HEADERS, body: JSON.stringify({ embedding: one }) };
  }
  const requests = body.requests as Json[] | undefined;
  if (!Array.isArray(requests) || requests.length === 0) {
    return invalid("* BatchEmbedContentsRequest.requests: requests is not specified\n");
  }
  if (requests.length > 100) {
    return invalid("* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n");
  }
  const embeddings: Array<{ values: number[] }> = [];
  for (const [i, request] of requests.entries()) {
    if (request.model !== `models/${model}` && request.model !== model) {
      return invalid(
        `* BatchEmbedContentsRequest.requests[${i}].model: Model in the request must match the model in the URL (models/${model}).\n`,
      );
    }
    const one = embedOne(request, model, `BatchEmbedContentsRequest.requests[${i}]`);
    if (typeof one === "string") return invalid(one);
    embeddings.push(one);
  }
  return { status: 200, headers: JSON_HEADERS, body: JSON.stringify({ embeddings }) };
}

export const googleFormat: WireFormat = {
  name: "google",
  matches: (rest, method) => method === "POST" && ROUTE.test(rest),
  authorized: (headers, url) => {
    const header = headers["x-goog-api-key"];
    return (typeof header === "string" && header.length > 0) || (url.searchParams.get("key") ?? "") !== "";
  },
  error: googleError,
  handle: ({ rest, body, provider, fault, url }) => {
    const [, path = "", method = ""] = ROUTE.exec(rest) ?? [];
    const model = path.replace(/^(models|tunedModels)\//, "");
    switch (method) {
      case "generateContent":
        return generateScript(body, model, false, false, provider, fault);
      case "streamGenerateContent":
        return generateScript(body, model, true, url.searchParams.get("alt") === "sse", provider, fault);
      case "countTokens":
        return countTokensScript(body, model);
      default:
        return embedScript(body, model, method);
    }
  },
};

import type { ReasoningDetail, ToolCall } from "../../schema/chat";
import { assistantMessage } from "../assistant-message";
import { UpstreamStreamError } from "../openai/response";
import type {
  ChatChunkOut,
  ChatCompletionOut,
  ChoiceOut,
  ChunkChoiceOut,
  DeltaOut,
  FinishReason,
  GeneratedImage,
  StreamMapper,
  ToolCallDelta,
  Usage,
} from "../types";
import { imageOf, imageTokensOf } from "./images";
import { GEMINI_REASONING_FORMAT, toolCallIdFor } from "./request";

/** The parts of Gemini's GenerateContentResponse read here (everything else is ignored). */
interface GeminiPart {
  text?: unknown;
  thought?: unknown;
  thoughtSignature?: unknown;
  functionCall?: { name?: unknown; args?: unknown; id?: unknown };
  inlineData?: { mimeType?: unknown; data?: unknown };
}
interface GeminiCandidate {
  content?: { parts?: unknown };
  finishReason?: unknown;
  index?: unknown;
}
interface GeminiResponse {
  candidates?: unknown;
  promptFeedback?: { blockReason?: unknown };
  usageMetadata?: unknown;
  error?: { message?: unknown; status?: unknown };
}

const CONTENT_FILTER = new Set([
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);
// IMAGE_OTHER is OTHER's twin for an image model ("image generation stopped because of other
// miscellaneous issue"). NO_IMAGE (none drawn, though one was expected) is a stop: the reply,
// without images, says so itself, as its native_finish_reason does.
const ERRORS = new Set([
  "MALFORMED_FUNCTION_CALL",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "OTHER",
  "IMAGE_OTHER",
]);

/**
 * Gemini finish reasons ⇒ OpenAI's. Gemini has no tool-specific reason: `STOP` with function
 * calls is `tool_calls`. Safety, recitation and other blocks are `content_filter`; a malformed
 * or unexpected function call (and `OTHER`) has no OpenAI equivalent and is `error`.
 */
export function mapFinishReason(reason: string | null | undefined, hasToolCalls = false): FinishReason | null {
  if (reason == null) return null;
  if (reason === "STOP") return hasToolCalls ? "tool_calls" : "stop";
  if (reason === "MAX_TOKENS") return "length";
  if (CONTENT_FILTER.has(reason)) return "content_filter";
  if (ERRORS.has(reason)) return "error";
  return "stop";
}

const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/**
 * `usageMetadata` ⇒ OpenAI usage. Gemini's candidatesTokenCount excludes thoughts, OpenAI's
 * completion_tokens includes reasoning; promptTokenCount already includes cached tokens.
 */
export function mapUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const usage = raw as Record<string, unknown>;
  const prompt = count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount);
  const thoughts = count(usage.thoughtsTokenCount);
  const completion = count(usage.candidatesTokenCount) + thoughts;
  // Generated images' tokens are within candidatesTokenCount, and priced apart (image_output).
  const images = imageTokensOf(usage);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: count(usage.cachedContentTokenCount) },
    ...(thoughts > 0 || images > 0
      ? {
          completion_tokens_details: {
            ...(thoughts > 0 ? { reasoning_tokens: thoughts } : {}),
            ...(images > 0 ? { image_tokens: images } : {}),
          },
        }
      : {}),
  };
}

const partsOf = (candidate: GeminiCandidate): GeminiPart[] =>
  Array.isArray(candidate?.content?.parts) ? (candidate.content.parts as GeminiPart[]) : [];
const candidatesOf = (body: GeminiResponse): GeminiCandidate[] =>
  Array.isArray(body.candidates) ? (body.candidates as GeminiCandidate[]) : [];
const textOf = (part: GeminiPart) => (typeof part.text === "string" ? part.text : undefined);
const signatureOf = (part: GeminiPart) =>
  typeof part.thoughtSignature === "string" ? part.thoughtSignature : undefined;
const finishOf = (candidate: GeminiCandidate) =>
  typeof candidate.finishReason === "string" ? candidate.finishReason : null;
const indexOf = (candidate: GeminiCandidate, position: number) =>
  typeof candidate.index === "number" ? candidate.index : position;

function toolCallOf(part: GeminiPart): ToolCall {
  const call = part.functionCall ?? {};
  return {
    id: toolCallIdFor(call.id),
    type: "function",
    function: { name: String(call.name ?? ""), arguments: JSON.stringify(call.args ?? {}) },
  };
}

/** A thought signature on a non-thought part, tied to the tool call it came with (if any). */
function signatureDetail(signature: string, toolCallId?: string): ReasoningDetail {
  return {
    type: "reasoning.encrypted",
    data: signature,
    format: GEMINI_REASONING_FORMAT,
    ...(toolCallId ? { id: toolCallId } : {}),
  };
}

function thoughtDetail(text: string, signature?: string): ReasoningDetail {
  return {
    type: "reasoning.text",
    text,
    format: GEMINI_REASONING_FORMAT,
    ...(signature ? { signature } : {}),
  };
}

/** A prompt Gemini refused to answer: no candidates, only `promptFeedback.blockReason`. */
const blockReasonOf = (body: GeminiResponse): string | undefined =>
  typeof body.promptFeedback?.blockReason === "string" ? body.promptFeedback.blockReason : undefined;

function parseCandidate(candidate: GeminiCandidate, position: number): ChoiceOut {
  let text = "";
  let reasoning = "";
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  const images: GeneratedImage[] = [];
  for (const part of partsOf(candidate)) {
    const signature = signatureOf(part);
    if (part.thought === true) {
      reasoning += textOf(part) ?? "";
      details.push({ ...thoughtDetail(textOf(part) ?? "", signature), index: details.length });
      continue;
    }
    let callId: string | undefined;
    if (textOf(part) !== undefined) text += textOf(part);
    else if (part.functionCall) {
      const call = toolCallOf(part);
      callId = call.id;
      toolCalls.push(call);
    } else if (part.inlineData) {
      const image = imageOf(part);
      if (image) images.push(image);
    }
    if (signature) details.push({ ...signatureDetail(signature, callId), index: details.length });
  }
  const native = finishOf(candidate);
  return {
    index: indexOf(candidate, position),
    message: assistantMessage({ text, reasoning, details, toolCalls, images }),
    finish_reason: mapFinishReason(native, toolCalls.length > 0),
    native_finish_reason: native,
  };
}

export function parseGeminiResponse(raw: unknown): ChatCompletionOut {
  const body = (raw ?? {}) as GeminiResponse;
  const candidates = candidatesOf(body);
  const blocked = blockReasonOf(body);
  const choices: ChoiceOut[] =
    candidates.length === 0 && blocked
      ? [
          {
            index: 0,
            message: { role: "assistant", content: "" },
            finish_reason: "content_filter",
            native_finish_reason: blocked,
          },
        ]
      : candidates.map(parseCandidate);
  const usage = mapUsage(body.usageMetadata);
  return { choices, ...(usage ? { usage } : {}), system_fingerprint: null };
}

interface CandidateState {
  started: boolean;
  toolCount: number;
  /** The signature of the thoughts streamed so far, handed over once they end. */
  thinkingSignature: string | undefined;
  finished: boolean;
}

/**
 * Gemini stream chunks ⇒ OpenAI chunks. Each chunk is a whole GenerateContentResponse holding only
 * new parts; function calls arrive whole (one tool-call delta with id, name and full arguments);
 * usage is cumulative (the last wins). There is no end sentinel: the stream is done once every
 * candidate has a finish reason, or the prompt was blocked.
 */
export function createGeminiStreamMapper(): StreamMapper {
  let done = false;
  let usage: Usage | undefined;
  const states = new Map<number, CandidateState>();
  const stateOf = (index: number) => {
    let state = states.get(index);
    if (!state) {
      state = { started: false, toolCount: 0, thinkingSignature: undefined, finished: false };
      states.set(index, state);
    }
    return state;
  };
  /** The thoughts' signature, once they end, closes them in a last piece with no text. */
  const flushThinking = (state: CandidateState, details: ReasoningDetail[]) => {
    if (state.thinkingSignature) details.push(thoughtDetail("", state.thinkingSignature));
    state.thinkingSignature = undefined;
  };
  const finalChunks = (): ChatChunkOut[] => {
    done = true;
    return usage ? [{ choices: [], usage }] : [];
  };
  return {
    get done() {
      return done;
    },
    map(event) {
      const data = (JSON.parse(event.data) ?? {}) as GeminiResponse;
      if (data.error) {
        const error = data.error;
        throw new UpstreamStreamError(
          String(error.message ?? "upstream stream error"),
          typeof error.status === "string" ? error.status : undefined,
        );
      }
      usage = mapUsage(data.usageMetadata) ?? usage;
      const candidates = candidatesOf(data);
      const blocked = blockReasonOf(data);
      if (candidates.length === 0 && blocked) {
        const choice: ChunkChoiceOut = {
          index: 0,
          delta: { role: "assistant", content: "" },
          finish_reason: "content_filter",
          native_finish_reason: blocked,
        };
        return [{ choices: [choice] }, ...finalChunks()];
      }
      const choices: ChunkChoiceOut[] = [];
      candidates.forEach((candidate, position) => {
        const index = indexOf(candidate, position);
        const state = stateOf(index);
        let content = "";
        let reasoning = "";
        const toolCalls: ToolCallDelta[] = [];
        const details: ReasoningDetail[] = [];
        const images: GeneratedImage[] = [];
        for (const part of partsOf(candidate)) {
          const signature = signatureOf(part);
          if (part.thought === true) {
            const thought = textOf(part) ?? "";
            reasoning += thought;
            // Each thought goes out as a detail too, as OpenRouter streams them: clients that read
            // reasoning from the details would otherwise see none, or (given the whole text again
            // once the thoughts end) see it twice.
            if (thought) details.push(thoughtDetail(thought));
            if (signature) state.thinkingSignature = signature;
            continue;
          }
          flushThinking(state, details);
          let callId: string | undefined;
          if (textOf(part) !== undefined) content += textOf(part);
          else if (part.functionCall) {
            const call = toolCallOf(part);
            callId = call.id;
            toolCalls.push({ index: state.toolCount++, ...call });
          } else if (part.inlineData) {
            // An image arrives whole, in one part: it goes out whole, as OpenRouter's `delta.images`.
            const image = imageOf(part);
            if (image) images.push(image);
          }
          if (signature) details.push(signatureDetail(signature, callId));
        }
        const native = finishOf(candidate);
        if (native) {
          flushThinking(state, details);
          state.finished = true;
        }
        const delta: DeltaOut = {};
        if (!state.started) {
          state.started = true;
          delta.role = "assistant";
          if (!content && !reasoning && toolCalls.length === 0 && images.length === 0) delta.content = "";
        }
        if (content) delta.content = content;
        if (images.length > 0) delta.images = images;
        if (reasoning) delta.reasoning = reasoning;
        if (details.length > 0) delta.reasoning_details = details;
        if (toolCalls.length > 0) delta.tool_calls = toolCalls;
        if (Object.keys(delta).length === 0 && !native) return;
        choices.push({
          index,
          delta,
          finish_reason: mapFinishReason(native, state.toolCount > 0),
          ...(native ? { native_finish_reason: native } : {}),
        });
      });
      const allFinished = states.size > 0 && [...states.values()].every((s) => s.finished);
      if (allFinished) return [...(choices.length > 0 ? [{ choices }] : []), ...finalChunks()];
      // The usage so far goes with each chunk: a stream cut before its end (the client left) is
      // then charged Gemini's own count of what it produced, thoughts it hid included, rather
      // than an estimate from the visible text alone.
      return choices.length > 0 ? [{ choices, ...(usage ? { usage } : {}) }] : [];
    },
  };
}

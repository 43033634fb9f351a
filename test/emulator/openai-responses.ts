import type { Fault } from "./directives";
import { generateReply, type NeutralRequest } from "./generate";
import { effortRefusal } from "./openai-quirks";
import type { Script } from "./script";
import { countTokens } from "./tokens";

/**
 * OpenAI's Responses API (`POST /v1/responses`), stateless as the gateway asks it (`store: false`):
 * `input` items in, `output` items out (reasoning with its summary and encrypted_content, message,
 * function_call), `status` incomplete at max_output_tokens, usage in input/output tokens; streamed
 * as its typed events, ending with response.completed or response.incomplete (no `[DONE]`). What
 * the API refuses it refuses, in OpenAI's error shape.
 */

type Json = Record<string, any>;

const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** The parameters the API takes (a body field outside them is its 400 "Unknown parameter"). */
const PARAMETERS = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_output_tokens",
  "max_tool_calls",
  "reasoning",
  "text",
  "store",
  "include",
  "stream",
  "stream_options",
  "user",
  "metadata",
  "temperature",
  "top_p",
  "top_logprobs",
  "truncation",
  "service_tier",
  "prompt_cache_key",
  "safety_identifier",
  "background",
  "previous_response_id",
  "conversation",
  "prompt",
]);

const ITEM_TYPES = new Set(["message", "function_call", "function_call_output", "reasoning"]);
const ENCRYPTED_PREFIX = "emu-enc:";

function refuse(message: string, param: string | null, code: string | null = null): Script {
  return {
    status: 400,
    headers: JSON_HEADERS,
    body: JSON.stringify({ error: { message, type: "invalid_request_error", param, code } }),
  };
}

/** The input as a list of items: a string is one user message. */
function itemsOf(body: Json): Json[] {
  if (typeof body.input === "string") return [{ type: "message", role: "user", content: body.input }];
  return Array.isArray(body.input) ? body.input : [];
}

/** What the real API refuses of a request the gateway could send, or undefined. */
function refusal(body: Json): Script | undefined {
  for (const field of Object.keys(body)) {
    if (!PARAMETERS.has(field)) return refuse(`Unknown parameter: '${field}'.`, field, "unknown_parameter");
  }
  if (typeof body.max_output_tokens === "number" && body.max_output_tokens < 16) {
    return refuse(
      `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${body.max_output_tokens} instead.`,
      "max_output_tokens",
      "integer_below_min_value",
    );
  }
  const reasoning = body.reasoning?.effort !== undefined && body.reasoning.effort !== "none";
  if (reasoning && (body.temperature !== undefined || body.top_p !== undefined)) {
    const param = body.temperature !== undefined ? "temperature" : "top_p";
    return refuse(
      `Unsupported parameter: '${param}' is not supported with this model.`,
      param,
      "unsupported_parameter",
    );
  }
  const effort = effortRefusal(String(body.model ?? ""), body.reasoning?.effort, "reasoning.effort");
  if (effort) return effort;
  for (const [i, tool] of (Array.isArray(body.tools) ? body.tools : []).entries()) {
    if (tool?.type === "function" && typeof tool.name !== "string") {
      return refuse(
        `Missing required parameter: 'tools[${i}].name'.`,
        `tools[${i}].name`,
        "missing_required_parameter",
      );
    }
  }
  const calls = new Set<string>();
  for (const [i, item] of itemsOf(body).entries()) {
    const type = item?.type ?? (item?.role ? "message" : undefined);
    if (!ITEM_TYPES.has(type)) {
      return refuse(
        `Invalid value: '${type}'. Supported values are: 'message', 'function_call', 'function_call_output', 'reasoning'.`,
        `input[${i}].type`,
        "invalid_value",
      );
    }
    if (type === "function_call") calls.add(String(item.call_id));
    if (type === "function_call_output" && !calls.has(String(item.call_id))) {
      return refuse(`No tool call found for function call output with call_id ${item.call_id}.`, "input", null);
    }
    if (type === "reasoning" && !String(item.encrypted_content ?? "").startsWith(ENCRYPTED_PREFIX)) {
      return refuse(
        "The encrypted content for item rs_unknown could not be verified.",
        `input[${i}].encrypted_content`,
        "invalid_encrypted_content",
      );
    }
  }
  return undefined;
}

function textOf(content: unknown): { text: string; images: number } {
  if (typeof content === "string") return { text: content, images: 0 };
  let text = "";
  let images = 0;
  for (const part of Array.isArray(content) ? (content as Json[]) : []) {
    if (part?.type === "input_text" || part?.type === "output_text") text += String(part.text ?? "");
    else if (part?.type === "input_image") images++;
  }
  return { text, images };
}

function neutralRequest(body: Json): NeutralRequest {
  const messages: NeutralRequest["messages"] = [];
  if (typeof body.instructions === "string") messages.push({ role: "system", text: body.instructions, images: 0 });
  for (const item of itemsOf(body)) {
    if (item.type === "function_call")
      messages.push({ role: "assistant", text: String(item.arguments ?? ""), images: 0 });
    else if (item.type === "function_call_output")
      messages.push({ role: "tool", text: String(item.output ?? ""), images: 0 });
    else if (item.type !== "reasoning") messages.push({ role: String(item.role ?? "user"), ...textOf(item.content) });
  }
  const choice = body.tool_choice;
  const format = body.text?.format as Json | undefined;
  return {
    model: String(body.model ?? ""),
    messages,
    maxTokens: body.max_output_tokens ?? undefined,
    n: 1,
    stop: [],
    tools: (Array.isArray(body.tools) ? body.tools : []).map((t: Json) => ({
      name: String(t.name),
      parameters: t.parameters,
    })),
    toolChoice: typeof choice === "object" && choice?.name ? { name: String(choice.name) } : (choice ?? "auto"),
    parallelToolCalls: body.parallel_tool_calls !== false,
    json:
      format?.type === "json_object"
        ? { kind: "object" }
        : format?.type === "json_schema"
          ? { kind: "schema", schema: format.schema }
          : null,
    reasoning: body.reasoning != null && body.reasoning.effort !== "none",
  };
}

let counter = 0;
const newId = (prefix: string) => `${prefix}_emu${Date.now().toString(36)}${(++counter).toString(36)}`;

export function openaiResponses(body: Json, fault: Fault): Script {
  const refused = refusal(body);
  if (refused) return refused;
  const request = neutralRequest(body);
  const reply = generateReply(request, "openai", fault);
  const choice = reply.choices[0]!;
  // A replayed reasoning item (its encrypted content verified above) is what the model goes on from.
  const replayed = itemsOf(body).some((item) => item.type === "reasoning");
  const summary =
    choice.reasoning && replayed ? `Continuing from my earlier reasoning. ${choice.reasoning}` : choice.reasoning;
  const output: Json[] = [];
  if (summary) {
    const encrypted = body.include?.includes("reasoning.encrypted_content")
      ? `${ENCRYPTED_PREFIX}${Buffer.from(summary).toString("base64")}`
      : undefined;
    output.push({
      id: newId("rs"),
      type: "reasoning",
      summary: body.reasoning?.summary ? [{ type: "summary_text", text: summary }] : [],
      ...(encrypted ? { encrypted_content: encrypted } : {}),
    });
  }
  if (choice.toolCalls.length === 0) {
    const part = fault.refusal
      ? { type: "refusal", refusal: choice.text }
      : { type: "output_text", text: choice.text, annotations: [], logprobs: [] };
    output.push({ id: newId("msg"), type: "message", status: "completed", role: "assistant", content: [part] });
  }
  for (const call of choice.toolCalls) {
    output.push({
      id: newId("fc"),
      type: "function_call",
      status: "completed",
      call_id: call.id,
      name: call.name,
      arguments: call.arguments,
    });
  }
  // `error_finish=content_filter` stops the answer at the filter, `error_finish=failed` fails it.
  const reason =
    fault.error_finish === "content_filter"
      ? "content_filter"
      : choice.finish === "length"
        ? "max_output_tokens"
        : undefined;
  const failed = fault.error_finish === "failed";
  const reasoningTokens = choice.reasoning ? countTokens(summary ?? "") : 0;
  const response = {
    id: newId("resp"),
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: failed ? "failed" : reason ? "incomplete" : "completed",
    incomplete_details: reason ? { reason } : null,
    error: failed ? { code: "server_error", message: "The model failed to generate a response." } : null,
    model: request.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    store: body.store ?? true,
    usage: fault.no_usage
      ? null
      : {
          input_tokens: reply.promptTokens,
          input_tokens_details: { cached_tokens: reply.cacheRead },
          output_tokens: reply.completionTokens - reply.reasoningTokens + reasoningTokens,
          output_tokens_details: { reasoning_tokens: reasoningTokens },
          total_tokens: reply.promptTokens + reply.completionTokens - reply.reasoningTokens + reasoningTokens,
        },
  };
  if (!body.stream) return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(response) };
  return { status: 200, headers: SSE_HEADERS, frames: streamFrames(response, choice.pieces) };
}

/** The Response as its stream of events, each with its `sequence_number`. */
function streamFrames(response: Json, pieces: string[]): string[] {
  const frames: string[] = [];
  const emit = (type: string, fields: Json) =>
    frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: frames.length, ...fields })}\n\n`);
  const opening = { ...response, status: "in_progress", output: [], usage: null, incomplete_details: null };
  emit("response.created", { response: opening });
  emit("response.in_progress", { response: opening });
  (response.output as Json[]).forEach((item, output_index) => {
    const at = { item_id: item.id, output_index };
    if (item.type === "reasoning") {
      emit("response.output_item.added", {
        output_index,
        item: { ...item, summary: [], encrypted_content: undefined },
      });
      (item.summary as Json[]).forEach((part, summary_index) => {
        emit("response.reasoning_summary_part.added", {
          ...at,
          summary_index,
          part: { type: "summary_text", text: "" },
        });
        for (const piece of chunks(part.text)) {
          emit("response.reasoning_summary_text.delta", { ...at, summary_index, delta: piece });
        }
        emit("response.reasoning_summary_text.done", { ...at, summary_index, text: part.text });
        emit("response.reasoning_summary_part.done", { ...at, summary_index, part });
      });
    } else if (item.type === "message") {
      const part = item.content[0] as Json;
      emit("response.output_item.added", { output_index, item: { ...item, status: "in_progress", content: [] } });
      emit("response.content_part.added", { ...at, content_index: 0, part: { ...part, text: "", refusal: "" } });
      const refusal = part.type === "refusal";
      for (const piece of refusal ? chunks(part.refusal) : pieces) {
        emit(refusal ? "response.refusal.delta" : "response.output_text.delta", {
          ...at,
          content_index: 0,
          delta: piece,
        });
      }
      emit(refusal ? "response.refusal.done" : "response.output_text.done", {
        ...at,
        content_index: 0,
        ...(refusal ? { refusal: part.refusal } : { text: part.text }),
      });
      emit("response.content_part.done", { ...at, content_index: 0, part });
    } else {
      emit("response.output_item.added", { output_index, item: { ...item, status: "in_progress", arguments: "" } });
      for (const piece of chunks(item.arguments)) {
        emit("response.function_call_arguments.delta", { ...at, delta: piece });
      }
      emit("response.function_call_arguments.done", { ...at, arguments: item.arguments });
    }
    emit("response.output_item.done", { output_index, item });
  });
  emit(`response.${response.status}`, { response });
  return frames;
}

/** A text in stream pieces of about three (so a delta is never the whole). */
function chunks(text: string): string[] {
  const size = Math.max(1, Math.ceil(text.length / 3));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

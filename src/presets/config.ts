import { badRequest } from "../schema/errors";
import { MessagesRequestSchema, messagesToChat } from "../schema/messages";
import {
  PRESET_CONFIG_FIELDS,
  type PresetConfig,
  PresetConfigSchema,
  type PresetDraft,
  setFieldsOnly,
} from "../schema/presets";
import { ResponsesRequestSchema, responsesToChat } from "../schema/responses";
import { parseWith } from "../schema/validate";

/**
 * From an inference request body to a preset version (`POST /presets/{slug}/chat/completions`,
 * `/responses` and `/messages`): only the fields a preset config holds are kept, validated as the inference
 * endpoint validates them (a bad `temperature` is the same 400); the rest (`messages`, `stream`,
 * `user`…) is ignored, as OpenRouter documents. The system and developer messages' text becomes
 * the version's system prompt.
 */

/** Most bytes of a version's config and system prompt: far past any real one, well under what the Account object's SQLite takes in a row. */
export const MAX_PRESET_BYTES = 256 * 1024;

export function draftFromChat(body: unknown): PresetDraft {
  const fields = asObject(body);
  const picked: Record<string, unknown> = {};
  for (const field of PRESET_CONFIG_FIELDS) {
    // A null is an option left unset (SDKs send them): not kept.
    if (fields[field] != null) picked[field] = fields[field];
  }
  const parsed = parseWith(PresetConfigSchema, picked);
  // Tools are kept as written: a server tool parses into the function tool its model is shown
  // (schema/server-tools.ts), which is a request's form, not a preset's, and which a preset read
  // back would not run. The request path parses a preset's config again as it reads it.
  const tools = picked.tools as PresetConfig["tools"];
  const config = setFieldsOnly(tools === undefined ? parsed : { ...parsed, tools });
  // A preset is applied once, to a request: one naming another would be a model id no catalog has.
  const nested = [config.model, ...(config.models ?? [])].find((id) => id?.includes("@preset/"));
  if (nested) throw badRequest(`Invalid request: model: a preset cannot name a preset (${JSON.stringify(nested)})`);
  return sized({ config, systemPrompt: systemPromptOf(fields.messages) });
}

/**
 * A Responses body is read as /responses reads it (its `instructions` the system turn,
 * `max_output_tokens` chat's `max_tokens`, `text.format` the `response_format`, function tools in
 * chat's form), with its `input` and what only a request carries set aside first: those are not a
 * preset's, so they are not held against it either.
 */
export function draftFromResponses(body: unknown): PresetDraft {
  const fields = asObject(body);
  const kept: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (!RESPONSES_NOT_KEPT.has(field) && field in ResponsesRequestSchema.shape) kept[field] = value;
  }
  const chat = responsesToChat(parseWith(ResponsesRequestSchema, { ...kept, input: "", stream: false }));
  return draftFromChat(chat);
}

/**
 * An Anthropic Messages body is read as /messages reads it (`system` the system prompt,
 * `stop_sequences` chat's `stop`, `thinking` the reasoning budget, tools in chat's form), its
 * `messages` and what only a request carries set aside first.
 */
export function draftFromMessages(body: unknown): PresetDraft {
  const fields = asObject(body);
  const kept: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (!MESSAGES_NOT_KEPT.has(field) && field in MessagesRequestSchema.shape) kept[field] = value;
  }
  const placeholder = [{ role: "user", content: "" }];
  return draftFromChat(messagesToChat(parseWith(MessagesRequestSchema, { ...kept, messages: placeholder })));
}

/** A Messages body's fields that belong to one request, never to a preset. */
const MESSAGES_NOT_KEPT = new Set(["messages", "stream", "metadata", "user", "session_id", "preset"]);

/** A Responses body's fields that belong to one request, never to a preset. */
const RESPONSES_NOT_KEPT = new Set([
  "input",
  "stream",
  "user",
  "session_id",
  "metadata",
  "store",
  "previous_response_id",
  "conversation",
  "background",
  "prompt",
  "include",
  "truncation",
  "prompt_cache_key",
  "safety_identifier",
  "max_tool_calls",
  "top_logprobs",
]);

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("Invalid request: body: expected a JSON object (an inference request body)");
  }
  return body as Record<string, unknown>;
}

/** The text of the system and developer messages, in order, joined by a blank line; null when there is none. */
function systemPromptOf(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  const texts: string[] = [];
  for (const message of messages) {
    if (typeof message !== "object" || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (role !== "system" && role !== "developer") continue;
    const text = textOf(content);
    if (text) texts.push(text);
  }
  return texts.length > 0 ? texts.join("\n\n") : null;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (part as { type?: unknown; text?: unknown } | null)?.text)
    .filter((text): text is string => typeof text === "string")
    .join("");
}

function sized(draft: PresetDraft): PresetDraft {
  const bytes = new TextEncoder().encode(JSON.stringify(draft)).length;
  if (bytes > MAX_PRESET_BYTES) {
    throw badRequest(`Invalid request: a preset's config and system prompt may hold at most ${MAX_PRESET_BYTES} bytes`);
  }
  return draft;
}

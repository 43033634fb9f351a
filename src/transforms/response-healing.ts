import type { ChoiceOut } from "../providers/types";
import type { ChatRequest } from "../schema/chat";
import { healJson } from "./json-healing";

/**
 * OpenRouter's `response-healing` plugin: a non-streaming reply asked to be JSON
 * (`response_format` `json_object` or `json_schema`, or /responses' `text.format`) whose content
 * does not parse is repaired (json-healing.ts) before the client reads it. A stream is not healed,
 * as on OpenRouter: its text has left before the end shows whether it parses. Healing changes what
 * the client reads, never what the generation is charged.
 */

/** Whether the reply to `request` is to be healed: the plugin on, a JSON response_format, no stream. */
export function healsReply(request: Pick<ChatRequest, "plugins" | "response_format" | "stream">): boolean {
  // Most requests have no plugins: they stop at the first check.
  if (request.plugins === undefined || request.stream === true) return false;
  const type = request.response_format?.type;
  if (type !== "json_object" && type !== "json_schema") return false;
  // The plugin's last entry decides, as a later setting overrides an earlier one.
  let enabled = false;
  for (const plugin of request.plugins) if (plugin.id === "response-healing") enabled = plugin.enabled !== false;
  return enabled;
}

/** Repairs each choice's content that is not JSON, in place; returns how many were repaired. */
export function healChoices(choices: ChoiceOut[]): number {
  let healed = 0;
  for (const choice of choices) {
    const content = choice.message.content;
    if (typeof content !== "string") continue;
    const repaired = healJson(content);
    if (repaired === undefined) continue;
    choice.message.content = repaired;
    healed++;
  }
  return healed;
}

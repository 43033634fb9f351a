import type { Context } from "hono";
import type { AppEnv } from "../context";
import type { ChatRequest } from "../schema/chat";
import { applyPreset, namesPreset } from "./apply";
import { readActivePreset } from "./read";

/**
 * The preset step of the chat path (chat, completions, responses), beside applyPlugins: the
 * request with the preset it names applied, read from the account's presets in KV (read.ts); the
 * preset is kept on the context (its id goes in the generation's record, `preset_id`). A request
 * naming none reads nothing, and is handed back as it is, not in a promise (the hot path).
 */
export function withPreset(c: Context<AppEnv>, request: ChatRequest): ChatRequest | Promise<ChatRequest> {
  return namesPreset(request) ? presetApplied(c, request) : request;
}

async function presetApplied(c: Context<AppEnv>, request: ChatRequest): Promise<ChatRequest> {
  const accountId = c.get("auth").accountId;
  const applied = await applyPreset(request, (slug) => readActivePreset(c.env.KEYS, c.executionCtx, accountId, slug));
  if (applied.preset) c.set("preset", applied.preset);
  return applied.request;
}

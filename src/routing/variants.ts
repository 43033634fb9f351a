import { PDF_ENGINES } from "../files/request-files";
import type { ChatRequest } from "../schema/chat";
import { badRequest } from "../schema/errors";
import type { Attempt } from "./plan";

/**
 * OpenRouter's request plugins and the `:thinking` model variant, as this gateway serves them,
 * applied to a validated chat request before it is planned. What the gateway cannot do is refused
 * with a 400 that names it, never answered as if it had not been asked (see the README's API
 * section). The routing variants (`:floor`, `:nitro`, `:exacto`, `:free`) and the refused `:extended` are the
 * planner's (routing/plan.ts), which knows the catalog; `:online` is web search (search/web.ts).
 */

/** Plugins OpenRouter documents that this gateway does not run: what each is, and why not. */
const UNSUPPORTED_PLUGINS: Record<string, [what: string, why: string]> = {
  "web-fetch": ["web fetch", "this gateway does not fetch pages for the model"],
  moderation: ["moderation", "this gateway does not moderate prompts"],
  "auto-router": ["OpenRouter's auto router", "openrouter/auto routes to the catalog's auto_models"],
  "auto-beta-router": ["OpenRouter's auto router", "openrouter/auto routes to the catalog's auto_models"],
  "pareto-router": ["OpenRouter's Pareto router", "this gateway routes by its own rules"],
  "switchyard-router": ["OpenRouter's Switchyard router", "this gateway routes by its own rules"],
  fusion: ["OpenRouter's Fusion", "this gateway runs one model per request, without web research"],
};

type Plugin = NonNullable<ChatRequest["plugins"]>[number];

/**
 * The request as the gateway will serve it: `context-compression` becomes the `middle-out`
 * transform (or, disabled, turns it off), `file-parser` is taken with a known `pdf.engine` or none
 * (the chat path reads PDFs: files/request-files.ts), `response-healing` is
 * taken as it is (a non-streaming JSON reply is healed: generation/chat.ts), as is `web` (the
 * search runs in generation/chat.ts). A plugin sent with
 * `enabled: false` asks for nothing and is let through. (`:thinking` is applied per attempt:
 * withVariant.)
 */
export function applyPlugins(request: ChatRequest): ChatRequest {
  let out = request;
  for (const plugin of request.plugins ?? []) {
    const enabled = plugin.enabled !== false;
    if (plugin.id === "context-compression") {
      const engine = plugin.engine;
      if (enabled && engine !== undefined && engine !== "middle-out") {
        throw badRequest(
          `plugins: "context-compression" engine ${JSON.stringify(engine)} is not supported (only "middle-out")`,
          { plugin: plugin.id },
        );
      }
      const transforms = (out.transforms ?? []).filter((t) => t !== "middle-out");
      // Disabled: off, unless `transforms` asks for it by name.
      if (enabled) out = { ...out, transforms: [...transforms, "middle-out"] };
      else if (out.transforms === undefined) out = { ...out, transforms: [] };
      continue;
    }
    if (!enabled) continue;
    // Applied to the reply, where it has one to apply to (transforms/response-healing.ts).
    if (plugin.id === "response-healing") continue;
    // Run by the chat path, which validates it (search/web.ts) and searches after the hold.
    if (plugin.id === "web") continue;
    // Run by the chat path (files/request-files.ts): no engine, "mistral-ocr", "cloudflare-ai" (or
    // its old name "pdf-text") or "native".
    if (plugin.id === "file-parser") {
      const engine = (plugin.pdf as { engine?: unknown } | undefined)?.engine;
      if (engine !== undefined && !(PDF_ENGINES as readonly unknown[]).includes(engine)) {
        throw badRequest(
          `plugins: "file-parser" pdf.engine ${JSON.stringify(engine)} is unknown (expected "mistral-ocr", "cloudflare-ai" or "native")`,
          { plugin: plugin.id },
        );
      }
      continue;
    }
    const unsupported = UNSUPPORTED_PLUGINS[plugin.id];
    if (unsupported) throw refused(plugin, ...unsupported);
    throw badRequest(`plugins: unknown plugin ${JSON.stringify(plugin.id)}`, { plugin: plugin.id });
  }
  return out;
}

/** Whether the request says anything of reasoning itself (then `:thinking` changes nothing). */
export const setsReasoning = (request: ChatRequest) => request.reasoning != null || request.reasoning_effort != null;

/**
 * The request as one attempt sends it: a `:thinking` model's turns reasoning on when the request
 * does not set it. Per attempt, not per request: in `models: ["a:thinking", "b"]` only `a` is
 * asked to think (reasoning turned on for the whole list made `b` think, and cost, too).
 */
export function withVariant<R extends ChatRequest>(request: R, attempt: Pick<Attempt, "variant">): R {
  if (attempt.variant !== "thinking" || setsReasoning(request)) return request;
  return { ...request, reasoning: { enabled: true } };
}

/** Whether some attempt of the request may be sent with reasoning turned on by `:thinking`. */
export function asksThinking(request: ChatRequest): boolean {
  if (setsReasoning(request)) return false;
  if (request.model?.endsWith(":thinking")) return true;
  return request.models?.some((id) => id.endsWith(":thinking")) ?? false;
}

const refused = (plugin: Plugin, what: string, why: string) =>
  badRequest(`plugins: ${JSON.stringify(plugin.id)} (${what}) is not supported: ${why}`, { plugin: plugin.id });

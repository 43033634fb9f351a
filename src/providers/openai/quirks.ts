import type { ChatRequest } from "../../schema/chat";
import type { FormatLimits, Usage } from "../types";
import type { MessageSchema } from "./message-fields";

/**
 * Where "OpenAI-compatible" providers are not (../shared/reference/providers.md §6), by provider
 * slug. Chosen once per request; providers without quirks pay nothing for them. Parameter limits
 * that the catalog's `supported_parameters` already express (Groq has no logprobs, Mistral no
 * parallel_tool_calls…) are dropped and named generically; what is here is what the catalog
 * cannot say: renamed fields, id formats, value ranges, usage that counts differently.
 */
export interface ProviderQuirks {
  /** Rewrites the upstream body in place; returns the request parameters it had to drop. */
  rewrite?(body: Record<string, unknown>, request: ChatRequest): string[];
  /** Fixes a provider's usage so it means what OpenAI's means. */
  usage?(usage: Usage): Usage;
  /** What the provider's API refuses to take at all (routing skips it for such a request). */
  limits?: FormatLimits;
  /**
   * The fields of the client's request the provider's API takes, where it refuses any other
   * (Mistral: 422 extra_forbidden; Groq: 400 "property 'store' is unsupported"). Any other field
   * the client sent is left out and named dropped. Without it every field goes through (OpenAI's
   * own API, and the APIs that ignore what they do not know). Fields the gateway builds itself
   * (model, max_tokens, reasoning_effort, stream, stream_options, user, prediction) are not
   * the client's and are not listed.
   */
  fields?: ReadonlySet<string>;
  /**
   * What the provider's API takes inside `messages`, where it refuses anything else there as it
   * does at the top level (message-fields.ts). Without it messages go as sent (less the reasoning
   * fields no OpenAI-format API takes), and are not walked.
   */
  messages?: MessageSchema;
}

type Json = Record<string, unknown>;

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * Mistral accepts only 9-character alphanumeric tool-call ids. Ids from other providers
 * (`call_…`, `toolu_…`) are mapped to one deterministically (FNV-1a), so the assistant turn and
 * its tool results agree in this request and again in the next turn, with nothing stored.
 */
export function mistralToolId(id: string): string {
  if (/^[a-zA-Z0-9]{9}$/.test(id)) return id;
  let hash = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 9; round++) {
    for (let i = 0; i < id.length; i++) {
      hash ^= id.charCodeAt(i) + round;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    out += ALNUM[hash % ALNUM.length];
  }
  return out;
}

/** The messages with their tool-call ids mapped (copies: the client's request is left as sent). */
function withToolIds(messages: unknown, map: (id: string) => string): unknown {
  if (!Array.isArray(messages)) return messages;
  return (messages as Json[]).map((message) => {
    if (Array.isArray(message.tool_calls)) {
      return {
        ...message,
        tool_calls: (message.tool_calls as Json[]).map((call) =>
          typeof call.id === "string" ? { ...call, id: map(call.id) } : call,
        ),
      };
    }
    if (typeof message.tool_call_id === "string") return { ...message, tool_call_id: map(message.tool_call_id) };
    return message;
  });
}

/** Perplexity wants user and assistant strictly alternating after the system prompt. */
function mergeSameRoleTurns(messages: unknown): unknown {
  if (!Array.isArray(messages)) return messages;
  const merged: Json[] = [];
  for (const message of messages as Json[]) {
    const last = merged.at(-1);
    if (last && last.role === message.role && typeof last.content === "string" && typeof message.content === "string") {
      merged[merged.length - 1] = { ...last, content: `${last.content}\n\n${message.content}` };
    } else merged.push(message);
  }
  return merged;
}

/**
 * Reasoning models that count reasoning outside `completion_tokens` (xAI, DeepInfra): the total
 * gives it away (12 prompt + 1 completion + 290 reasoning = 303), or, where the total leaves it
 * out too (DeepInfra's Gemini: 9 prompt + 1124 completion = 1133 total, 1541 reasoning), a
 * completion smaller than its own reasoning, which no completion that includes it can be.
 * OpenAI's completion includes it, and so must the bill.
 */
export function addReasoningToCompletion(usage: Usage): Usage {
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const outside =
    usage.total_tokens === usage.prompt_tokens + usage.completion_tokens + reasoning ||
    reasoning > usage.completion_tokens;
  if (reasoning > 0 && outside) {
    const completion = usage.completion_tokens + reasoning;
    return { ...usage, completion_tokens: completion, total_tokens: usage.prompt_tokens + completion };
  }
  return usage;
}

/**
 * Whether the request asks reasoning for a given effort or token budget, beyond turning it on: a
 * model that can only reason or not honours `enabled`, and names any such ask dropped.
 */
function effortOrBudgetAsked(request: ChatRequest): boolean {
  return (request.reasoning?.effort ?? request.reasoning_effort ?? request.reasoning?.max_tokens) != null;
}

/** Mistral's chat completion request (its API schema): `seed` is the client's spelling of `random_seed`. */
const MISTRAL_FIELDS = new Set([
  "messages",
  "temperature",
  "top_p",
  "stop",
  "seed",
  "random_seed",
  "response_format",
  "tools",
  "tool_choice",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "parallel_tool_calls",
  "safe_prompt",
  "prompt_mode",
]);

/** Groq's chat completion request (its API reference), less what the gateway builds. */
const GROQ_FIELDS = new Set([
  "messages",
  "temperature",
  "top_p",
  "stop",
  "seed",
  "n",
  "frequency_penalty",
  "presence_penalty",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "service_tier",
  "reasoning_format",
]);

const set = (...fields: string[]): ReadonlySet<string> => new Set(fields);

/**
 * Mistral's messages and content chunks (its API's schema, as its SDKs are generated from it): no
 * `name` but on tool results, `prefix` on the assistant turn, `index` on tool calls. Reasoning is
 * not replayed: its reasoning models take it back only as `thinking` chunks of the content.
 */
const MISTRAL_MESSAGES: MessageSchema = {
  roles: {
    system: set("role", "content"),
    user: set("role", "content"),
    assistant: set("role", "content", "tool_calls", "prefix"),
    tool: set("role", "content", "tool_call_id", "name"),
  },
  parts: {
    text: set("type", "text"),
    image_url: set("type", "image_url"),
    input_audio: set("type", "input_audio"),
  },
  toolCall: set("id", "type", "function", "index"),
};

/**
 * Groq's messages and content parts (its API reference): no `index` on a tool call, no `name` on a
 * tool result; `name` elsewhere is not supported by its models (../shared/reference/providers.md
 * §6) and is left out. Its reasoning models take an earlier turn's reasoning back as `reasoning`.
 */
const GROQ_MESSAGES: MessageSchema = {
  roles: {
    system: set("role", "content"),
    user: set("role", "content"),
    assistant: set("role", "content", "tool_calls"),
    tool: set("role", "content", "tool_call_id"),
  },
  parts: {
    text: set("type", "text"),
    image_url: set("type", "image_url"),
  },
  toolCall: set("id", "type", "function"),
  reasoning: "reasoning",
};

/**
 * The effort GPT-6 is sent for the one asked: it takes none (not 6.1 Sol or 6 Astra), low…xhigh
 * and max, never minimal (OpenAI's model pages); an effort it lacks becomes low, the nearest it
 * has. Other models' efforts are returned as they are. Chat Completions and Responses alike.
 */
export function gpt6Effort(model: string, effort: string): string {
  if (!/^gpt-6/.test(model)) return effort;
  const noNone = /^gpt-6(\.1-sol|-astra)/.test(model);
  return effort === "minimal" || (noNone && effort === "none") ? "low" : effort;
}

/** OpenAI's stop limit, which OpenAI-compatible APIs that document one mostly copy (xAI, Groq). */
const FOUR_STOPS: FormatLimits = { stopSequences: 4 };

const QUIRKS: Record<string, ProviderQuirks> = {
  openai: {
    // 400 "'stop': array too long. Expected an array with maximum length 4".
    limits: FOUR_STOPS,
    rewrite(body) {
      // The o-series takes low | medium | high (minimal, none and xhigh came with GPT-5 models
      // and are refused): an effort it lacks becomes the nearest it has, as OpenRouter does.
      const model = String(body.model);
      if (/^o\d/.test(model)) {
        if (body.reasoning_effort === "minimal" || body.reasoning_effort === "none") body.reasoning_effort = "low";
        if (body.reasoning_effort === "xhigh") body.reasoning_effort = "high";
      }
      if (typeof body.reasoning_effort === "string") body.reasoning_effort = gpt6Effort(model, body.reasoning_effort);
      return [];
    },
  },
  mistral: {
    fields: MISTRAL_FIELDS,
    messages: MISTRAL_MESSAGES,
    rewrite(body) {
      body.messages = withToolIds(body.messages, mistralToolId);
      if (body.seed !== undefined) {
        body.random_seed = body.seed;
        delete body.seed;
      }
      // Mistral has no end-user field and refuses any field it does not know (422 extra_forbidden).
      delete body.user;
      return [];
    },
  },
  groq: {
    limits: FOUR_STOPS,
    fields: GROQ_FIELDS,
    messages: GROQ_MESSAGES,
    rewrite(body, request) {
      const dropped: string[] = [];
      // Groq serves one choice per request.
      if (typeof body.n === "number" && body.n > 1) {
        delete body.n;
        dropped.push("n");
      }
      // Groq's Qwen 3 takes reasoning_effort none (thinking off) or default (on), nothing else
      // (400 "reasoning_effort must be one of none or default"): an effort or budget asked
      // cannot be honoured beyond turning thinking on.
      if (/qwen3/i.test(String(body.model))) {
        if (request.reasoning?.enabled === false || body.reasoning_effort === "none") body.reasoning_effort = "none";
        else if (body.reasoning_effort !== undefined) {
          body.reasoning_effort = "default";
          if (effortOrBudgetAsked(request)) dropped.push("reasoning");
        }
      }
      return dropped;
    },
  },
  xai: {
    limits: FOUR_STOPS,
    usage: addReasoningToCompletion,
    rewrite(body, request) {
      const effort = body.reasoning_effort;
      if (effort === undefined) return [];
      const model = String(body.model);
      // grok-3-mini takes low | high only (its default is low); grok-4.3 and the multi-agent
      // model take an effort as sent.
      if (/^grok-3-mini/.test(model)) {
        body.reasoning_effort = effort === "high" || effort === "xhigh" ? "high" : "low";
        return [];
      }
      if (/^grok-4\.3|^grok-4\.20-multi-agent/.test(model)) return [];
      // The other reasoning models (grok-4, grok-4-fast…) always reason and refuse the
      // parameter (400 "does not support parameter reasoningEffort"): reasoning only enabled is
      // honoured so, an effort or budget asked is not.
      delete body.reasoning_effort;
      return effortOrBudgetAsked(request) ? ["reasoning"] : [];
    },
  },
  // DeepSeek takes up to 16 stop sequences.
  deepseek: { limits: { stopSequences: 16 } },
  deepinfra: { usage: addReasoningToCompletion },
  fireworks: {
    rewrite(body, request) {
      // Fireworks takes low | medium | high, and none on models that can turn thinking off (Qwen
      // 3's hybrid thinking). Reasoning turned off must not become a low effort that turns it on.
      const hybrid = /qwen3/i.test(String(body.model));
      if (body.reasoning_effort === "minimal") body.reasoning_effort = "low";
      if (body.reasoning_effort === "xhigh") body.reasoning_effort = "high";
      const off = request.reasoning?.enabled === false || body.reasoning_effort === "none";
      if (off && hybrid) body.reasoning_effort = "none";
      else if (body.reasoning_effort === "none") {
        // A model that always reasons (R1) cannot be asked not to.
        delete body.reasoning_effort;
        return ["reasoning"];
      }
      return [];
    },
  },
  perplexity: {
    rewrite(body) {
      body.messages = mergeSameRoleTurns(body.messages);
      return [];
    },
  },
};

/**
 * OpenRouter's `reasoning` / `reasoning_details` on earlier assistant turns are for formats that
 * replay reasoning (Anthropic, Gemini); OpenAI-format providers reject or misread them.
 */
export function withoutReasoningFields(messages: unknown): unknown {
  if (!Array.isArray(messages)) return messages;
  const carries = (m: Json) => m.role === "assistant" && ("reasoning" in m || "reasoning_details" in m);
  if (!(messages as Json[]).some(carries)) return messages;
  return (messages as Json[]).map((m) => {
    if (!carries(m)) return m;
    const { reasoning: _reasoning, reasoning_details: _details, ...rest } = m;
    return rest;
  });
}

/**
 * OpenAI's `developer` role is its reasoning models' name for the system prompt; the other
 * OpenAI-format APIs define no such role (Mistral refuses it with a 422, open-model servers' chat
 * templates with a 400 or by dropping the turn). It means `system` (providers.md §1.9), and goes
 * to them as that: copies, the client's messages unchanged.
 */
export function developerAsSystem(messages: unknown): unknown {
  if (!Array.isArray(messages)) return messages;
  const isDeveloper = (m: Json) => m?.role === "developer";
  if (!(messages as Json[]).some(isDeveloper)) return messages;
  return (messages as Json[]).map((m) => (isDeveloper(m) ? { ...m, role: "system" } : m));
}

export function quirksOf(providerSlug: string): ProviderQuirks | undefined {
  return QUIRKS[providerSlug];
}

import type { Script } from "./script";

/**
 * What the emulated OpenAI-compatible providers do differently, keyed by provider slug, so the
 * tests prove the adapter's quirk handling against a provider that really rejects the OpenAI
 * spelling (../shared/reference/providers.md §6).
 */
type Json = Record<string, any>;

function error(status: number, body: Json): Script {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

const MISTRAL_ID = /^[a-zA-Z0-9]{9}$/;

const set = (...fields: string[]) => new Set(fields);

/** What a strict API takes inside `messages`: by role, by content-part type, on a tool call. */
interface MessageSchema {
  roles: Record<string, Set<string>>;
  parts: Record<string, Set<string>>;
  toolCall: Set<string>;
}

/** Where an unknown field sits: the message, its content part or tool call, and the field. */
interface ExtraField {
  index: number;
  role: string;
  /** `content.<j>` / `tool_calls.<j>` with the part's type, when the field is inside one. */
  inner?: { path: string; index: number; type?: string };
  field: string;
  value: unknown;
}

/** The first field of the messages `schema` does not know, if any. */
function extraMessageField(body: Json, schema: MessageSchema): ExtraField | undefined {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Json[];
  for (const [index, message] of messages.entries()) {
    const role = String(message.role);
    const fields = schema.roles[role];
    if (!fields) continue;
    for (const field of Object.keys(message)) {
      if (!fields.has(field)) return { index, role, field, value: message[field] };
    }
    for (const [j, part] of (Array.isArray(message.content) ? message.content : []).entries()) {
      const allowed = schema.parts[String(part?.type)];
      for (const field of allowed ? Object.keys(part) : []) {
        if (!allowed!.has(field)) {
          return { index, role, inner: { path: "content", index: j, type: part.type }, field, value: part[field] };
        }
      }
    }
    for (const [j, call] of (Array.isArray(message.tool_calls) ? message.tool_calls : []).entries()) {
      for (const field of Object.keys(call)) {
        if (!schema.toolCall.has(field)) {
          return { index, role, inner: { path: "tool_calls", index: j }, field, value: call[field] };
        }
      }
    }
  }
  return undefined;
}

/** Mistral's messages (its API schema): `name` only on tool results, `prefix` on the assistant turn. */
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
    document_url: set("type", "document_url", "document_name"),
  },
  toolCall: set("id", "type", "function", "index"),
};

/** Mistral's answer to an unknown field inside a message: pydantic's extra_forbidden, located. */
function mistralExtraField(extra: ExtraField): Script {
  const inner = extra.inner
    ? [extra.inner.path, extra.inner.index, ...(extra.inner.type ? [extra.inner.type] : [])]
    : [];
  return error(422, {
    object: "error",
    message: {
      detail: [
        {
          type: "extra_forbidden",
          loc: ["body", "messages", extra.index, extra.role, ...inner, extra.field],
          msg: "Extra inputs are not permitted",
          input: extra.value ?? null,
        },
      ],
    },
    type: "invalid_request_error",
    param: null,
    code: null,
  });
}

/** The top-level fields of Mistral's chat completion request: it refuses any other (422 extra_forbidden). */
const MISTRAL_FIELDS = new Set([
  "model",
  "messages",
  "temperature",
  "top_p",
  "max_tokens",
  "stream",
  "stream_options",
  "stop",
  "random_seed",
  "response_format",
  "tools",
  "tool_choice",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "prediction",
  "parallel_tool_calls",
  "safe_prompt",
  "prompt_mode",
  "reasoning_effort",
]);

/**
 * Mistral's validator: only the fields it knows (so `random_seed`, not `seed`, and no `user`), and
 * 9-character alphanumeric tool-call ids.
 */
function mistralCheck(body: Json): Script | undefined {
  const invalid = (message: string) =>
    error(422, { object: "error", message, type: "invalid_request_error", param: null, code: null });
  for (const field of Object.keys(body)) {
    if (!MISTRAL_FIELDS.has(field)) return invalid(`Extra inputs are not permitted: ${field}`);
  }
  // Its messages are a union tagged by role: a role it does not define (OpenAI's `developer`) is refused.
  const roles = Object.keys(MISTRAL_MESSAGES.roles);
  const strange = ((body.messages ?? []) as Json[]).findIndex((m) => !roles.includes(String(m.role)));
  if (strange >= 0) {
    const role = String(((body.messages as Json[])[strange] as Json).role);
    return error(422, {
      object: "error",
      message: {
        detail: [
          {
            type: "union_tag_invalid",
            loc: ["body", "messages", strange],
            msg: `Input tag '${role}' found using 'role' does not match any of the expected tags: ${roles.map((r) => `'${r}'`).join(", ")}`,
            input: (body.messages as Json[])[strange],
          },
        ],
      },
      type: "invalid_request_error",
      param: null,
      code: null,
    });
  }
  const extra = extraMessageField(body, MISTRAL_MESSAGES);
  if (extra) return mistralExtraField(extra);
  for (const message of (body.messages ?? []) as Json[]) {
    for (const call of (message.tool_calls ?? []) as Json[]) {
      if (!MISTRAL_ID.test(String(call.id)))
        return invalid(`Tool call id was ${call.id} but must be a-z, A-Z, 0-9, with a length of 9.`);
    }
    if (message.role === "tool" && !MISTRAL_ID.test(String(message.tool_call_id))) {
      return invalid(`Tool call id was ${message.tool_call_id} but must be a-z, A-Z, 0-9, with a length of 9.`);
    }
  }
  return undefined;
}

/**
 * Groq refuses a field it does not know; it serves one choice and no logprobs; its Qwen 3 takes reasoning_effort none or default; a
 * JSON schema only on the models with structured outputs (Llama 4, GPT-OSS, Kimi K2).
 */
const GROQ_FIELDS = new Set([
  "model",
  "messages",
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "stream",
  "stream_options",
  "stop",
  "seed",
  "n",
  "frequency_penalty",
  "presence_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "service_tier",
  "reasoning_format",
  "reasoning_effort",
  "user",
]);

/** Groq's messages (its API reference): no tool call `index`, no `name`; `reasoning` on the assistant turn. */
const GROQ_MESSAGES: MessageSchema = {
  roles: {
    system: set("role", "content", "name"),
    user: set("role", "content", "name"),
    assistant: set("role", "content", "name", "tool_calls", "reasoning"),
    tool: set("role", "content", "tool_call_id"),
  },
  parts: { text: set("type", "text"), image_url: set("type", "image_url") },
  toolCall: set("id", "type", "function"),
};

/** Groq's models that reason, which alone take an earlier turn's `reasoning` back. */
const GROQ_REASONS = /qwen3|gpt-oss/i;

function groqCheck(body: Json): Script | undefined {
  const invalid = (message: string) => error(400, { error: { message, type: "invalid_request_error" } });
  for (const field of Object.keys(body)) {
    if (!GROQ_FIELDS.has(field)) return invalid(`property '${field}' is unsupported`);
  }
  const extra = extraMessageField(body, GROQ_MESSAGES);
  if (extra) {
    const at = `messages.${extra.index}`;
    const where = extra.inner ? `${at}.${extra.inner.path}.${extra.inner.index}` : at;
    return invalid(
      `'${at}' : for 'role:${extra.role}' the following must be satisfied[('${where}' : property '${extra.field}' is unsupported)]`,
    );
  }
  if (!GROQ_REASONS.test(String(body.model))) {
    const index = ((body.messages ?? []) as Json[]).findIndex((m) => m.role === "assistant" && m.reasoning != null);
    if (index >= 0) return invalid(`messages[${index}].reasoning: reasoning is not supported with this model`);
  }
  if (typeof body.n === "number" && body.n !== 1) return invalid("'n' : number must be at most 1");
  if (body.logprobs) return invalid("'logprobs' : not supported");
  if (body.response_format?.type === "json_schema" && !/llama-4|gpt-oss|kimi-k2/.test(String(body.model))) {
    return invalid("This model does not support response format `json_schema`");
  }
  const effort = body.reasoning_effort;
  if (effort !== undefined && /qwen3/i.test(String(body.model)) && effort !== "none" && effort !== "default") {
    return invalid("`reasoning_effort` must be one of `none` or `default`");
  }
  return undefined;
}

/** Perplexity: after the system prompt, user and assistant strictly alternate. */
function perplexityCheck(body: Json): Script | undefined {
  const roles = ((body.messages ?? []) as Json[]).map((m) => m.role).filter((r) => r !== "system");
  for (let i = 1; i < roles.length; i++) {
    if (roles[i] === roles[i - 1]) {
      return error(400, {
        error: {
          message: "After the (optional) system message(s), user and assistant roles should be alternating.",
          type: "invalid_message",
          code: 400,
        },
      });
    }
  }
  return undefined;
}

/**
 * xAI: of its reasoning models only grok-3-mini (low | high), grok-4.3 and the multi-agent model
 * take reasoning_effort; grok-3, grok-4 and the fast models refuse the parameter.
 */
function xaiCheck(body: Json): Script | undefined {
  const effort = body.reasoning_effort;
  if (effort === undefined) return undefined;
  const model = String(body.model);
  const invalid = (message: string) => error(400, { code: "Client specified an invalid argument", error: message });
  if (/^grok-3-mini/.test(model)) {
    return effort === "low" || effort === "high"
      ? undefined
      : invalid(`Model ${model} does not support reasoning_effort '${effort}': use 'low' or 'high'`);
  }
  if (/^grok-4\.3|^grok-4\.20-multi-agent/.test(model)) return undefined;
  return invalid(`Model ${model} does not support parameter reasoningEffort.`);
}

/**
 * OpenAI: the o-series takes reasoning_effort low | medium | high (minimal, none, xhigh came with
 * GPT-5), GPT-6 its own set, and the o-series no parallel_tool_calls, and models before GPT-5 no verbosity but the default.
 */
function openaiCheck(body: Json): Script | undefined {
  // verbosity came with GPT-5: earlier models take only its default.
  if (body.verbosity !== undefined && body.verbosity !== "medium" && !/^gpt-5/.test(String(body.model))) {
    return error(400, {
      error: {
        message: `Unsupported value: 'verbosity' does not support '${body.verbosity}' with this model. Supported values are: 'medium'.`,
        type: "invalid_request_error",
        param: "verbosity",
        code: "unsupported_value",
      },
    });
  }
  if (body.parallel_tool_calls !== undefined && /^o\d/.test(String(body.model))) {
    return error(400, {
      error: {
        message: "Unsupported parameter: 'parallel_tool_calls' is not supported with this model.",
        type: "invalid_request_error",
        param: "parallel_tool_calls",
        code: "unsupported_parameter",
      },
    });
  }
  return effortRefusal(String(body.model), body.reasoning_effort, "reasoning_effort");
}

/** The reasoning efforts an OpenAI reasoning model takes (undefined: not checked). */
function openaiEfforts(model: string): string[] | undefined {
  // GPT-6: none (not on 6.1 Sol or 6 Astra), low…xhigh and max; never minimal.
  return /^gpt-6(\.1-sol|-astra)/.test(model)
    ? ["low", "medium", "high", "xhigh", "max"]
    : /^gpt-6/.test(model)
      ? ["none", "low", "medium", "high", "xhigh", "max"]
      : /^o\d/.test(model)
        ? ["low", "medium", "high"]
        : undefined;
}

/** OpenAI's 400 for an effort the model lacks, `param` named as the API it came by names it. */
export function effortRefusal(model: string, effort: unknown, param: string): Script | undefined {
  const efforts = openaiEfforts(model);
  if (typeof effort !== "string" || !efforts || efforts.includes(effort)) return undefined;
  return error(400, {
    error: {
      message: `Unsupported value: '${param}' does not support '${effort}' with this model. Supported values are: ${efforts.map((e) => `'${e}'`).join(", ")}.`,
      type: "invalid_request_error",
      param,
      code: "unsupported_value",
    },
  });
}

/** DeepSeek's JSON mode is json_object only. */
function deepseekCheck(body: Json): Script | undefined {
  if (body.response_format?.type !== "json_schema") return undefined;
  return error(400, {
    error: {
      message: "This response_format type is unavailable now",
      type: "invalid_request_error",
      param: null,
      code: "invalid_request_error",
    },
  });
}

/** Fireworks: reasoning_effort low | medium | high, and none only where thinking can be turned off (Qwen 3). */
function fireworksCheck(body: Json): Script | undefined {
  const effort = body.reasoning_effort;
  if (effort === undefined || ["low", "medium", "high"].includes(effort)) return undefined;
  if (effort === "none" && /qwen3/i.test(String(body.model))) return undefined;
  return error(400, { error: `reasoning_effort '${effort}' is not supported for model ${body.model}` });
}

/** The most stop sequences each provider takes (OpenAI's four; Groq and xAI document the same; DeepSeek 16). */
const STOP_LIMITS: Record<string, number> = { openai: 4, azure: 4, groq: 4, xai: 4, deepseek: 16 };

function stopCheck(provider: string, body: Json): Script | undefined {
  const limit = STOP_LIMITS[provider];
  if (limit === undefined || !Array.isArray(body.stop) || body.stop.length <= limit) return undefined;
  return error(400, {
    error: {
      message: `Invalid 'stop': array too long. Expected an array with maximum length ${limit}, but got an array with length ${body.stop.length} instead.`,
      type: "invalid_request_error",
      param: "stop",
      code: "array_above_max_length",
    },
  });
}

const CHECKS: Record<string, (body: Json) => Script | undefined> = {
  fireworks: fireworksCheck,
  deepseek: deepseekCheck,
  openai: openaiCheck,
  xai: xaiCheck,
  mistral: mistralCheck,
  groq: groqCheck,
  perplexity: perplexityCheck,
};

/** The provider's refusal of a request an OpenAI endpoint would take, if it has one. */
export function providerRejection(provider: string, body: Json): Script | undefined {
  return stopCheck(provider, body) ?? CHECKS[provider]?.(body);
}

/** Tool-call ids as the provider mints them (Mistral's are 9 alphanumerics). */
export function providerToolId(provider: string, id: string): string {
  if (provider !== "mistral") return id;
  return id
    .replace(/[^a-zA-Z0-9]/g, "")
    .slice(-9)
    .padStart(9, "0");
}

/** Top-level reply fields the provider adds (Perplexity's sources). */
export function providerExtras(provider: string): Json {
  if (provider !== "perplexity") return {};
  return {
    citations: ["https://example.org/source-1", "https://example.org/source-2"],
    search_results: [{ title: "Source 1", url: "https://example.org/source-1", date: "2025-01-01" }],
  };
}

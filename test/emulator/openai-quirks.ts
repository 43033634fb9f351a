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

function groqCheck(body: Json): Script | undefined {
  const invalid = (message: string) => error(400, { error: { message, type: "invalid_request_error" } });
  for (const field of Object.keys(body)) {
    if (!GROQ_FIELDS.has(field)) return invalid(`property '${field}' is unsupported`);
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
 * GPT-5) and no parallel_tool_calls, and models before GPT-5 no verbosity but the default.
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
  const effort = body.reasoning_effort;
  if (effort === undefined || !/^o\d/.test(String(body.model)) || ["low", "medium", "high"].includes(effort)) {
    return undefined;
  }
  return error(400, {
    error: {
      message: `Unsupported value: 'reasoning_effort' does not support '${effort}' with this model. Supported values are: 'low', 'medium', and 'high'.`,
      type: "invalid_request_error",
      param: "reasoning_effort",
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

/**
 * What an API with a strict message schema takes inside `messages` (Mistral: 422 extra_forbidden
 * at `messages.0.user.name`; Groq: 400 "'messages.1' : for 'role:assistant' the following must be
 * satisfied[('messages.1' : property 'reasoning_content' is unsupported)]"). OpenRouter's clients
 * send fields no such API knows (`cache_control` on parts, `reasoning_details`, `annotations`,
 * `refusal`, `images`, a tool call's `index`…), and one of them fails the whole request.
 */
export interface MessageSchema {
  /** The fields each role's message takes. A role not listed goes as sent. */
  roles: Readonly<Record<string, ReadonlySet<string>>>;
  /**
   * The fields each content-part type takes. A type not listed goes as sent: which kinds of
   * content an endpoint takes is for routing to decide, not for this to hide.
   */
  parts: Readonly<Record<string, ReadonlySet<string>>>;
  /** The fields of an assistant message's tool call. */
  toolCall: ReadonlySet<string>;
  /**
   * The field that carries an earlier assistant turn's reasoning text back to a model that reasons
   * (Groq: `reasoning`, as its own replies name it; its other models refuse the field).
   */
  reasoning?: string;
}

type Json = Record<string, unknown>;

/** `value` with only the keys `allowed` has, or `value` itself when it has no other (no copy). */
function only(value: Json, allowed: ReadonlySet<string>): Json {
  for (const key in value) {
    if (!allowed.has(key)) {
      const kept: Json = {};
      for (const k in value) if (allowed.has(k)) kept[k] = value[k];
      return kept;
    }
  }
  return value;
}

/** Each item through `change`: the same array when none changed, else a copy. */
function mapped<T>(items: readonly T[], change: (item: T) => T): T[] | readonly T[] {
  let out: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as T;
    const fitted = change(item);
    if (fitted !== item) {
      out ??= items.slice();
      out[i] = fitted;
    }
  }
  return out ?? items;
}

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fitPart(part: unknown, schema: MessageSchema): unknown {
  if (!isObject(part)) return part;
  const allowed = schema.parts[String(part.type)];
  return allowed ? only(part, allowed) : part;
}

function fitMessage(message: unknown, schema: MessageSchema, reasons: boolean): unknown {
  if (!isObject(message)) return message;
  const allowed = schema.roles[String(message.role)];
  if (!allowed) return message;
  let out = only(message, allowed);
  const copy = () => {
    if (out === message) out = { ...message };
    return out;
  };
  if (Array.isArray(out.content)) {
    const content = mapped(out.content as unknown[], (part) => fitPart(part, schema));
    if (content !== out.content) copy().content = content;
  }
  if (Array.isArray(out.tool_calls)) {
    const calls = mapped(out.tool_calls as unknown[], (call) => (isObject(call) ? only(call, schema.toolCall) : call));
    if (calls !== out.tool_calls) copy().tool_calls = calls;
  }
  // OpenRouter's `reasoning` (a string, as it returned it) in the provider's field, where the model reasons.
  if (schema.reasoning && reasons && message.role === "assistant") {
    if (typeof message.reasoning === "string" && message.reasoning !== "") copy()[schema.reasoning] = message.reasoning;
  }
  return out;
}

/**
 * The messages with only what `schema` takes, copied where anything is left out (the client's
 * request is reused for the next provider of a fallback). `reasons`: the endpoint's model reasons,
 * and takes earlier reasoning back.
 */
export function fitMessages(messages: unknown, schema: MessageSchema, reasons: boolean): unknown {
  if (!Array.isArray(messages)) return messages;
  return mapped(messages as unknown[], (message) => fitMessage(message, schema, reasons));
}

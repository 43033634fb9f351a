import * as z from "zod/mini";
import { base64Problem, withoutWhitespace } from "./base64";
import { badRequest } from "./errors";
import { entries, items } from "./items";
import { ServerTool, StopServerToolsWhen } from "./server-tools";
import { sparse } from "./sparse";

/**
 * The public chat-completions request: OpenAI's body plus OpenRouter's extras.
 * Known fields are type-checked so a bad value is a 400 naming the field; unknown fields are
 * kept (loose objects) because providers add their own and clients send them through gateways.
 * Most fields are nullable because official SDKs send explicit nulls for unset options.
 */

const nullish = <T extends z.ZodMiniType>(schema: T) => z.nullish(schema);

export const CacheControl = z.looseObject({ type: z.string() });

export const TextPart = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  cache_control: z.optional(CacheControl),
});
/**
 * A URL or a `data:` URL, which must carry base64 (`data:<media type>;base64,<data>`), the one form
 * every provider takes. Any other `data:` form (`data:,`, `data:image/png,<bytes>`) is refused
 * here, naming the part: passed on, Gemini read it as a file URI and refused it in its own words
 * (naming no part), and Bedrock dropped the image. So is data that is not base64 (a provider
 * refused it with a 400 naming no part of the client's request), checked without a copy of it
 * (base64.ts). Line-wrapped base64 is unwrapped: the request goes on with the data in one piece.
 */
const MediaUrl = z.string().check(
  z.overwrite((url) => (/^data:/i.test(url) ? withoutWhitespace(url) : url)),
  (ctx) => {
    const url = ctx.value;
    if (!/^data:/i.test(url)) return;
    const prefix = /^data:[^;,]+;base64,/.exec(url);
    const problem = prefix ? base64Problem(url.slice(prefix[0].length)) : "data:<media type>;base64,<data>";
    if (problem) ctx.issues.push({ code: "custom", message: `a data: URL must be base64: ${problem}`, input: url });
  },
);

export const ImagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.union([MediaUrl, z.looseObject({ url: MediaUrl, detail: z.optional(z.enum(["auto", "low", "high"])) })]),
});
export const AudioPart = z.looseObject({
  type: z.literal("input_audio"),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }),
});
export const FilePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({
    filename: z.optional(z.string()),
    file_data: z.optional(MediaUrl),
    file_id: z.optional(z.string()),
  }),
});
export const ContentPart = z.discriminatedUnion("type", [TextPart, ImagePart, AudioPart, FilePart]);
export type ContentPart = z.infer<typeof ContentPart>;

const Content = z.union([z.string(), items(ContentPart)]);
export type MessageContent = z.infer<typeof Content>;

export const ToolCall = z.looseObject({
  id: z.string(),
  type: z._default(z.literal("function"), "function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCall>;

/** Reasoning blocks round-tripped by clients so providers can continue a thinking turn. */
export const ReasoningDetail = z.looseObject({
  type: z.string(),
  text: z.nullish(z.string()),
  summary: z.nullish(z.string()),
  data: z.nullish(z.string()),
  signature: z.nullish(z.string()),
  id: z.nullish(z.string()),
  format: z.nullish(z.string()),
  index: z.optional(z.number().check(z.int())),
});
export type ReasoningDetail = z.infer<typeof ReasoningDetail>;

export const SystemMessage = z.looseObject({
  role: z.enum(["system", "developer"]),
  content: Content,
  name: z.optional(z.string()),
});
export const UserMessage = z.looseObject({
  role: z.literal("user"),
  content: Content,
  name: z.optional(z.string()),
});
/**
 * An image an assistant turn drew, as a client sends the turn back (OpenRouter's `images`, which
 * its SDK sends without `type`): so that an image model editing over several turns sees what it
 * drew before.
 */
export const AssistantImage = z.looseObject({
  type: z.optional(z.literal("image_url")),
  image_url: z.looseObject({ url: MediaUrl }),
});

export const AssistantMessage = z.looseObject({
  role: z.literal("assistant"),
  content: z.nullish(Content),
  name: z.optional(z.string()),
  tool_calls: z.nullish(items(ToolCall)),
  refusal: z.nullish(z.string()),
  reasoning: z.nullish(z.string()),
  reasoning_details: z.nullish(items(ReasoningDetail)),
  images: z.nullish(items(AssistantImage)),
});
export const ToolMessage = z.looseObject({
  role: z.literal("tool"),
  content: Content,
  tool_call_id: z.string(),
  name: z.optional(z.string()),
});
export const Message = z.discriminatedUnion("role", [SystemMessage, UserMessage, AssistantMessage, ToolMessage]);
export type Message = z.infer<typeof Message>;

export const FunctionTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().check(z.regex(/^[a-zA-Z0-9_.-]{1,128}$/, "letters, digits, _ . - (max 128)")),
    description: z.optional(z.string()),
    parameters: z.optional(z.record(z.string(), z.unknown())),
    strict: z.nullish(z.boolean()),
  }),
  cache_control: z.optional(CacheControl),
});
export type FunctionTool = z.infer<typeof FunctionTool>;

/**
 * A `tools` entry: one of OpenRouter's server tools when its type starts with `openrouter:` (the
 * function tool the model is shown: schema/server-tools.ts), else a function tool. Told apart by
 * the type, so a function tool is checked once, as before. Typed as what it takes (a service
 * binding's caller sees either form) and gives.
 */
const ToolEntry = z.pipe(
  z.unknown(),
  z.transform((value, ctx): FunctionTool => {
    const type = (value as { type?: unknown } | null)?.type;
    const server = typeof type === "string" && type.startsWith("openrouter:");
    const result = server ? ServerTool.safeParse(value) : FunctionTool.safeParse(value);
    if (result.success) {
      // `server_tool` is the gateway's mark of a server tool, never the client's to set.
      if (!server && "server_tool" in result.data) delete result.data.server_tool;
      return result.data;
    }
    for (const issue of result.error.issues) ctx.issues.push(issue as z.core.$ZodRawIssue);
    return z.NEVER;
  }),
) as unknown as z.ZodMiniType<FunctionTool, z.input<typeof FunctionTool> | z.input<typeof ServerTool>>;

export const ToolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

export const ResponseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.optional(z.string()),
      schema: z.optional(z.record(z.string(), z.unknown())),
      strict: z.nullish(z.boolean()),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const Reasoning = z.looseObject({
  effort: z.nullish(z.enum(["xhigh", "high", "medium", "low", "minimal", "none"])),
  max_tokens: z.nullish(z.number().check(z.int(), z.positive())),
  exclude: z.nullish(z.boolean()),
  enabled: z.nullish(z.boolean()),
});
export type Reasoning = z.infer<typeof Reasoning>;

/** OpenRouter's preferred_max_latency / preferred_min_throughput: a number applies to the p50. */
const PercentileCutoffs = z.union([
  z.number().check(z.nonnegative()),
  z.looseObject({
    p50: z.nullish(z.number().check(z.nonnegative())),
    p75: z.nullish(z.number().check(z.nonnegative())),
    p90: z.nullish(z.number().check(z.nonnegative())),
    p99: z.nullish(z.number().check(z.nonnegative())),
  }),
]);

/** `exacto`: quality first, which the gateway reads as fewest recent failures (routing/plan.ts). */
const SortBy = z.enum(["price", "throughput", "latency", "exacto"]);

const PriceLimit = z.union([z.number().check(z.nonnegative()), z.string().check(z.regex(/^\d+(\.\d+)?$/))]);

export const ProviderPreferences = z.looseObject({
  order: nullish(items(z.string())),
  allow_fallbacks: nullish(z.boolean()),
  require_parameters: nullish(z.boolean()),
  data_collection: nullish(z.enum(["allow", "deny"])),
  zdr: nullish(z.boolean()),
  /** Only models whose authors allow training on their outputs (the catalog's `distillable`). */
  enforce_distillable_text: nullish(z.boolean()),
  only: nullish(items(z.string())),
  ignore: nullish(items(z.string())),
  quantizations: nullish(items(z.string())),
  sort: nullish(
    z.union([
      SortBy,
      // `partition: "none"` sorts the endpoints of every requested model together (routing/plan.ts).
      z.looseObject({ by: z.nullish(SortBy), partition: z.nullish(z.string()) }),
    ]),
  ),
  /** USD per million tokens for prompt/completion (as OpenRouter documents), USD per request/image. */
  max_price: nullish(
    z.looseObject({
      prompt: z.optional(PriceLimit),
      completion: z.optional(PriceLimit),
      request: z.optional(PriceLimit),
      image: z.optional(PriceLimit),
    }),
  ),
  /** Seconds to first token: a number (the p50) or cutoffs by percentile. A preference, not a filter. */
  preferred_max_latency: nullish(PercentileCutoffs),
  /** Output tokens per second: a number (the p50) or cutoffs by percentile. A preference, not a filter. */
  preferred_min_throughput: nullish(PercentileCutoffs),
});
export type ProviderPreferences = z.infer<typeof ProviderPreferences>;

/**
 * The outputs a client may ask for (OpenRouter's `modalities`, its SDK's Modality): "image" asks
 * an image model to draw (routing/plan.ts keeps only endpoints that can); "audio" goes on to the
 * providers that speak it (OpenAI's audio models), as before. Anything else is a 400 naming it,
 * rather than a request answered without what it asked for.
 */
export const Modality = z.enum(["text", "image", "audio"]);

/**
 * OpenRouter's `image_config`: settings of generated images, which vary by provider (the SDK
 * takes any key, with a string, number or list). The ones mapped are typed, so a bad value is a
 * 400 naming it; Gemini refuses a ratio it does not draw in its own words.
 */
export const ImageConfig = z.looseObject({
  /** "16:9": Gemini's imageConfig.aspectRatio. */
  aspect_ratio: z.optional(z.string().check(z.regex(/^\d{1,2}:\d{1,2}$/, 'a ratio of width to height, e.g. "16:9"'))),
  /** "1K", "2K", "4K": Gemini's imageConfig.imageSize (models that take it: Gemini 3 Pro Image). */
  image_size: z.optional(z.string()),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/**
 * Longest `user` (the client's end-user id) taken. It is kept in the generation's record, and a
 * record the Account Durable Object cannot store (SQLite refuses a value past 2 MB) failed the
 * settlement: a 3 MB `user` got an answer that was never charged, and the settlement went to the
 * dead letters. OpenAI takes 64 characters and Anthropic's user_id 256; this takes 4× the longer.
 */
export const MAX_USER_LENGTH = 1024;
export const EndUser = z.optional(
  z
    .string()
    .check(
      z.maxLength(
        MAX_USER_LENGTH,
        `at most ${MAX_USER_LENGTH} characters (an id for the end user, kept with each generation)`,
      ),
    ),
);

/**
 * Longest model id taken (catalog ids are tens of characters). A longer one cannot name a model,
 * and was echoed twice into the 400 (message and metadata: 2 MB back for a 1 MB id) and, as the
 * requested model, could reach the generation's record, which the Account DO cannot store past 2 MB.
 */
export const MAX_MODEL_ID_LENGTH = 1024;
/** OpenRouter's limit on a session id (`session_id`, `x-session-id`). */
export const MAX_SESSION_ID_LENGTH = 256;

/**
 * The session a request names: its body's `session_id` (validated with the body), else its
 * `x-session-id` header, held to OpenRouter's limit (a 400 past it); null for none.
 */
export function sessionIdOf(request: Request, named?: string | null): string | null {
  if (named != null) return named;
  const header = request.headers.get("x-session-id");
  if (header !== null && header.length > MAX_SESSION_ID_LENGTH) {
    throw badRequest(`x-session-id: at most ${MAX_SESSION_ID_LENGTH} characters`);
  }
  return header;
}
export const ModelId = z
  .string()
  .check(z.minLength(1), z.maxLength(MAX_MODEL_ID_LENGTH, `at most ${MAX_MODEL_ID_LENGTH} characters (a model id)`));

/** Fields shared by chat and legacy completions: routing, sampling, accounting. */
export const CommonRequestFields = {
  model: z.optional(ModelId),
  /** A preset of the account to apply (presets/apply.ts); also named in `model` as `@preset/<slug>`. */
  preset: z.nullish(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(MAX_MODEL_ID_LENGTH, `at most ${MAX_MODEL_ID_LENGTH} characters (a preset slug)`),
      ),
  ),
  models: z.optional(z.array(ModelId).check(z.maxLength(10))),
  route: z.nullish(z.enum(["fallback"])),
  provider: z.nullish(ProviderPreferences),
  transforms: z.optional(items(z.string())),
  usage: z.nullish(z.looseObject({ include: z.optional(z.boolean()) })),
  user: EndUser,
  /** The conversation's name for sticky routing (routing/sticky.ts), as the `x-session-id` header also gives it. */
  session_id: z.optional(
    z.string().check(z.maxLength(MAX_SESSION_ID_LENGTH, `at most ${MAX_SESSION_ID_LENGTH} characters`)),
  ),
  /** OpenRouter's `debug.echo_upstream_body`: a stream's first chunk shows the body sent upstream. */
  debug: z.nullish(z.looseObject({ echo_upstream_body: z.nullish(z.boolean()) })),
  /** What ends a server-tool loop early (schema/server-tools.ts); not sent on. */
  stop_server_tools_when: z.optional(StopServerToolsWhen),
  /** OpenAI's cache key, sent on to the provider; also sticky routing's name for a conversation with no session_id. */
  prompt_cache_key: z.nullish(z.string()),
  metadata: z.optional(entries(z.string())),
  stream: z.nullish(z.boolean()),
  stream_options: z.nullish(z.looseObject({ include_usage: z.nullish(z.boolean()) })),
  max_tokens: z.nullish(z.number().check(z.int(), z.positive())),
  temperature: z.nullish(z.number().check(z.gte(0), z.lte(2))),
  top_p: z.nullish(z.number().check(z.gte(0), z.lte(1))),
  top_k: z.nullish(z.number().check(z.int(), z.nonnegative())),
  top_a: z.nullish(z.number().check(z.gte(0), z.lte(1))),
  min_p: z.nullish(z.number().check(z.gte(0), z.lte(1))),
  frequency_penalty: z.nullish(z.number().check(z.gte(-2), z.lte(2))),
  presence_penalty: z.nullish(z.number().check(z.gte(-2), z.lte(2))),
  repetition_penalty: z.nullish(z.number().check(z.gte(0), z.lte(2))),
  seed: z.nullish(z.number().check(z.int())),
  // No cap on the count: OpenRouter and its SDK take any number (an upstream with a limit of its
  // own answers for itself).
  stop: z.nullish(z.union([z.string(), items(z.string())])),
  logit_bias: z.nullish(entries(z.number())),
  logprobs: z.nullish(z.boolean()),
  top_logprobs: z.nullish(z.number().check(z.int(), z.gte(0), z.lte(20))),
  // OpenAI's limit, chat and legacy completions alike.
  n: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(128))),
  // Validated on legacy completions too, which refuse image output (generation/chat.ts).
  modalities: z.optional(items(Modality)),
};

/**
 * Most messages in one request: Anthropic's documented limit, and far past any other provider's
 * context. Each message costs validation, counting and middle-out work (~2 µs a message to
 * validate, ~10 µs a bad one), and a 20 MB body holds ~700k of them: seconds of CPU, from any key.
 */
export const MAX_MESSAGES = 100_000;

export const ChatRequestSchema = sparse(
  z.looseObject({
    ...CommonRequestFields,
    // zod checks the length before the messages, so a longer array is refused at once.
    messages: items(Message, (array) =>
      array.check(
        z.minLength(1, "messages must contain at least one message"),
        z.maxLength(MAX_MESSAGES, `at most ${MAX_MESSAGES} messages (Anthropic's limit)`),
      ),
    ),
    max_completion_tokens: z.nullish(z.number().check(z.int(), z.positive())),
    // OpenRouter's server tools (`openrouter:*`) come out as the function tools the model is shown.
    tools: z.nullish(items(ToolEntry)),
    tool_choice: z.nullish(ToolChoice),
    parallel_tool_calls: z.nullish(z.boolean()),
    response_format: z.nullish(ResponseFormat),
    reasoning: z.nullish(Reasoning),
    reasoning_effort: z.nullish(z.enum(["xhigh", "high", "medium", "low", "minimal", "none"])),
    include_reasoning: z.nullish(z.boolean()),
    prediction: z.optional(z.unknown()),
    image_config: z.nullish(ImageConfig),
    plugins: z.optional(items(z.looseObject({ id: z.string() }))),
    service_tier: z.nullish(z.string()),
  }),
);
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

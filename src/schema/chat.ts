import * as z from "zod";
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

const nullish = <T extends z.ZodType>(schema: T) => schema.nullish();

export const CacheControl = z.looseObject({ type: z.string() });

export const TextPart = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  cache_control: CacheControl.optional(),
});
/**
 * A URL or a `data:` URL, which must carry base64 (`data:<media type>;base64,<data>`), the one form
 * every provider takes. Any other `data:` form (`data:,`, `data:image/png,<bytes>`) is refused
 * here, naming the part: passed on, Gemini read it as a file URI and refused it in its own words
 * (naming no part), and Bedrock dropped the image. So is data that is not base64 (a provider
 * refused it with a 400 naming no part of the client's request), checked without a copy of it
 * (base64.ts). Line-wrapped base64 is unwrapped: the request goes on with the data in one piece.
 */
const MediaUrl = z
  .string()
  .overwrite((url) => (/^data:/i.test(url) ? withoutWhitespace(url) : url))
  .check((ctx) => {
    const url = ctx.value;
    if (!/^data:/i.test(url)) return;
    const prefix = /^data:[^;,]+;base64,/.exec(url);
    const problem = prefix ? base64Problem(url.slice(prefix[0].length)) : "data:<media type>;base64,<data>";
    if (problem) ctx.issues.push({ code: "custom", message: `a data: URL must be base64: ${problem}`, input: url });
  });

export const ImagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.union([MediaUrl, z.looseObject({ url: MediaUrl, detail: z.enum(["auto", "low", "high"]).optional() })]),
});
export const AudioPart = z.looseObject({
  type: z.literal("input_audio"),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }),
});
export const FilePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({
    filename: z.string().optional(),
    file_data: MediaUrl.optional(),
    file_id: z.string().optional(),
  }),
});
export const ContentPart = z.discriminatedUnion("type", [TextPart, ImagePart, AudioPart, FilePart]);
export type ContentPart = z.infer<typeof ContentPart>;

const Content = z.union([z.string(), items(ContentPart)]);
export type MessageContent = z.infer<typeof Content>;

export const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function").default("function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCall>;

/** Reasoning blocks round-tripped by clients so providers can continue a thinking turn. */
export const ReasoningDetail = z.looseObject({
  type: z.string(),
  text: z.string().nullish(),
  summary: z.string().nullish(),
  data: z.string().nullish(),
  signature: z.string().nullish(),
  id: z.string().nullish(),
  format: z.string().nullish(),
  index: z.number().int().optional(),
});
export type ReasoningDetail = z.infer<typeof ReasoningDetail>;

export const SystemMessage = z.looseObject({
  role: z.enum(["system", "developer"]),
  content: Content,
  name: z.string().optional(),
});
export const UserMessage = z.looseObject({
  role: z.literal("user"),
  content: Content,
  name: z.string().optional(),
});
/**
 * An image an assistant turn drew, as a client sends the turn back (OpenRouter's `images`, which
 * its SDK sends without `type`): so that an image model editing over several turns sees what it
 * drew before.
 */
export const AssistantImage = z.looseObject({
  type: z.literal("image_url").optional(),
  image_url: z.looseObject({ url: MediaUrl }),
});

export const AssistantMessage = z.looseObject({
  role: z.literal("assistant"),
  content: Content.nullish(),
  name: z.string().optional(),
  tool_calls: items(ToolCall).nullish(),
  refusal: z.string().nullish(),
  reasoning: z.string().nullish(),
  reasoning_details: items(ReasoningDetail).nullish(),
  images: items(AssistantImage).nullish(),
});
export const ToolMessage = z.looseObject({
  role: z.literal("tool"),
  content: Content,
  tool_call_id: z.string(),
  name: z.string().optional(),
});
export const Message = z.discriminatedUnion("role", [SystemMessage, UserMessage, AssistantMessage, ToolMessage]);
export type Message = z.infer<typeof Message>;

export const FunctionTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]{1,128}$/, "letters, digits, _ . - (max 128)"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
  cache_control: CacheControl.optional(),
});
export type FunctionTool = z.infer<typeof FunctionTool>;

/**
 * A `tools` entry: one of OpenRouter's server tools when its type starts with `openrouter:` (the
 * function tool the model is shown: schema/server-tools.ts), else a function tool. Told apart by
 * the type, so a function tool is checked once, as before. Typed as what it takes (a service
 * binding's caller sees either form) and gives.
 */
const ToolEntry = z.unknown().transform((value, ctx): FunctionTool => {
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
}) as unknown as z.ZodType<FunctionTool, z.input<typeof FunctionTool> | z.input<typeof ServerTool>>;

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
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const Reasoning = z.looseObject({
  effort: z.enum(["xhigh", "high", "medium", "low", "minimal", "none"]).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  exclude: z.boolean().nullish(),
  enabled: z.boolean().nullish(),
});
export type Reasoning = z.infer<typeof Reasoning>;

/** OpenRouter's preferred_max_latency / preferred_min_throughput: a number applies to the p50. */
const PercentileCutoffs = z.union([
  z.number().nonnegative(),
  z.looseObject({
    p50: z.number().nonnegative().nullish(),
    p75: z.number().nonnegative().nullish(),
    p90: z.number().nonnegative().nullish(),
    p99: z.number().nonnegative().nullish(),
  }),
]);

/** `exacto`: quality first, which the gateway reads as fewest recent failures (routing/plan.ts). */
const SortBy = z.enum(["price", "throughput", "latency", "exacto"]);

const PriceLimit = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/)]);

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
      z.looseObject({ by: SortBy.nullish(), partition: z.string().nullish() }),
    ]),
  ),
  /** USD per million tokens for prompt/completion (as OpenRouter documents), USD per request/image. */
  max_price: nullish(
    z.looseObject({
      prompt: PriceLimit.optional(),
      completion: PriceLimit.optional(),
      request: PriceLimit.optional(),
      image: PriceLimit.optional(),
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
  aspect_ratio: z
    .string()
    .regex(/^\d{1,2}:\d{1,2}$/, 'a ratio of width to height, e.g. "16:9"')
    .optional(),
  /** "1K", "2K", "4K": Gemini's imageConfig.imageSize (models that take it: Gemini 3 Pro Image). */
  image_size: z.string().optional(),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/**
 * Longest `user` (the client's end-user id) taken. It is kept in the generation's record, and a
 * record the Account Durable Object cannot store (SQLite refuses a value past 2 MB) failed the
 * settlement: a 3 MB `user` got an answer that was never charged, and the settlement went to the
 * dead letters. OpenAI takes 64 characters and Anthropic's user_id 256; this takes 4× the longer.
 */
export const MAX_USER_LENGTH = 1024;
export const EndUser = z
  .string()
  .max(MAX_USER_LENGTH, `at most ${MAX_USER_LENGTH} characters (an id for the end user, kept with each generation)`)
  .optional();

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
  .min(1)
  .max(MAX_MODEL_ID_LENGTH, `at most ${MAX_MODEL_ID_LENGTH} characters (a model id)`);

/** Fields shared by chat and legacy completions: routing, sampling, accounting. */
export const CommonRequestFields = {
  model: ModelId.optional(),
  /** A preset of the account to apply (presets/apply.ts); also named in `model` as `@preset/<slug>`. */
  preset: z
    .string()
    .min(1)
    .max(MAX_MODEL_ID_LENGTH, `at most ${MAX_MODEL_ID_LENGTH} characters (a preset slug)`)
    .nullish(),
  models: z.array(ModelId).max(10).optional(),
  route: z.enum(["fallback"]).nullish(),
  provider: ProviderPreferences.nullish(),
  transforms: items(z.string()).optional(),
  usage: z.looseObject({ include: z.boolean().optional() }).nullish(),
  user: EndUser,
  /** The conversation's name for sticky routing (routing/sticky.ts), as the `x-session-id` header also gives it. */
  session_id: z.string().max(MAX_SESSION_ID_LENGTH, `at most ${MAX_SESSION_ID_LENGTH} characters`).optional(),
  /** OpenRouter's `debug.echo_upstream_body`: a stream's first chunk shows the body sent upstream. */
  debug: z.looseObject({ echo_upstream_body: z.boolean().nullish() }).nullish(),
  /** What ends a server-tool loop early (schema/server-tools.ts); not sent on. */
  stop_server_tools_when: StopServerToolsWhen.optional(),
  /** OpenAI's cache key, sent on to the provider; also sticky routing's name for a conversation with no session_id. */
  prompt_cache_key: z.string().nullish(),
  metadata: entries(z.string()).optional(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().nonnegative().nullish(),
  top_a: z.number().min(0).max(1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  repetition_penalty: z.number().min(0).max(2).nullish(),
  seed: z.number().int().nullish(),
  // No cap on the count: OpenRouter and its SDK take any number (an upstream with a limit of its
  // own answers for itself).
  stop: z.union([z.string(), items(z.string())]).nullish(),
  logit_bias: entries(z.number()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  // OpenAI's limit, chat and legacy completions alike.
  n: z.number().int().min(1).max(128).nullish(),
  // Validated on legacy completions too, which refuse image output (generation/chat.ts).
  modalities: items(Modality).optional(),
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
      array
        .min(1, "messages must contain at least one message")
        .max(MAX_MESSAGES, `at most ${MAX_MESSAGES} messages (Anthropic's limit)`),
    ),
    max_completion_tokens: z.number().int().positive().nullish(),
    // OpenRouter's server tools (`openrouter:*`) come out as the function tools the model is shown.
    tools: items(ToolEntry).nullish(),
    tool_choice: ToolChoice.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    response_format: ResponseFormat.nullish(),
    reasoning: Reasoning.nullish(),
    reasoning_effort: z.enum(["xhigh", "high", "medium", "low", "minimal", "none"]).nullish(),
    include_reasoning: z.boolean().nullish(),
    prediction: z.unknown().optional(),
    image_config: ImageConfig.nullish(),
    plugins: items(z.looseObject({ id: z.string() })).optional(),
    service_tier: z.string().nullish(),
  }),
);
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

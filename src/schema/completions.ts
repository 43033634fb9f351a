import * as z from "zod/mini";
import { type ChatRequest, CommonRequestFields, Reasoning } from "./chat";
import { sparse } from "./sparse";

/**
 * Legacy `POST /completions`: a prompt in, text choices out, answered by the chat path (the
 * prompt is the user turn). Legacy features with no chat equivalent are refused by name rather
 * than silently ignored.
 */
export const CompletionsRequestSchema = sparse(
  z.looseObject({
    ...CommonRequestFields,
    // One prompt per request: an array of one is unwrapped, longer batches are refused by name.
    prompt: z.pipe(
      z.transform((value: unknown) => (Array.isArray(value) && value.length === 1 ? value[0] : value)),
      z
        .string({
          error: (issue) =>
            isTokenIds(issue.input)
              ? "token-id prompts are not supported on /completions: send the prompt as text"
              : Array.isArray(issue.input)
                ? "prompt arrays take exactly one prompt (send one request per prompt)"
                : "prompt must be a string",
        })
        .check(z.minLength(1, "prompt must not be empty")),
    ),
    reasoning: z.nullish(Reasoning),
    // The legacy API's count of top tokens to return (0-5), asked of chat as logprobs + top_logprobs.
    logprobs: z.nullish(
      z
        .number({ error: "logprobs must be an integer from 0 to 5" })
        .check(
          z.int("logprobs must be an integer from 0 to 5"),
          z.gte(0, "logprobs must be an integer from 0 to 5"),
          z.lte(5, "logprobs must be an integer from 0 to 5"),
        ),
    ),
    // Chat's field, not this API's (whose `logprobs` says how many): refused rather than guessed at.
    top_logprobs: z.optional(z.null({ error: "top_logprobs is not supported on /completions: use logprobs" })),
    // No suffix ("" or null) is what every request gets; text to insert after the completion is not.
    suffix: z.nullish(z.literal("", { error: "suffix is not supported on /completions" })),
    echo: z.nullish(z.literal(false, { error: "echo is not supported on /completions" })),
    best_of: z.nullish(z.literal(1, { error: "best_of is not supported on /completions" })),
  }),
);
export type CompletionsRequest = z.infer<typeof CompletionsRequestSchema>;

/**
 * A prompt given as token ids, as OpenAI's legacy API takes it: one token (after the one-item
 * array is unwrapped), an array of ids, or an array of such arrays.
 */
function isTokenIds(input: unknown): boolean {
  const ids = (value: unknown) =>
    Array.isArray(value) && value.length > 0 && value.every((id) => typeof id === "number");
  return typeof input === "number" || ids(input) || (Array.isArray(input) && input.length > 0 && input.every(ids));
}

/** The chat request that answers a legacy completion. */
export function completionToChat(request: CompletionsRequest): ChatRequest {
  const {
    prompt,
    logprobs,
    top_logprobs: _topLogprobs,
    suffix: _suffix,
    echo: _echo,
    best_of: _bestOf,
    ...rest
  } = request;
  const chat = { ...rest, messages: [{ role: "user", content: prompt }] } as ChatRequest;
  if (logprobs != null) {
    chat.logprobs = true;
    chat.top_logprobs = logprobs;
  }
  return chat;
}

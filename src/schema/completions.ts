import * as z from "zod";
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
    prompt: z.preprocess(
      (value) => (Array.isArray(value) && value.length === 1 ? value[0] : value),
      z
        .string({
          error: (issue) =>
            Array.isArray(issue.input)
              ? "prompt arrays take exactly one prompt (send one request per prompt)"
              : "prompt must be a string",
        })
        .min(1, "prompt must not be empty"),
    ),
    reasoning: Reasoning.nullish(),
    logprobs: z.null({ error: "logprobs is not supported on /completions" }).optional(),
    suffix: z.null({ error: "suffix is not supported on /completions" }).optional(),
    echo: z.literal(false, { error: "echo is not supported on /completions" }).nullish(),
    best_of: z.literal(1, { error: "best_of is not supported on /completions" }).nullish(),
  }),
);
export type CompletionsRequest = z.infer<typeof CompletionsRequestSchema>;

/** The chat request that answers a legacy completion. */
export function completionToChat(request: CompletionsRequest): ChatRequest {
  const { prompt, logprobs: _logprobs, suffix: _suffix, echo: _echo, best_of: _bestOf, ...rest } = request;
  return { ...rest, messages: [{ role: "user", content: prompt }] } as ChatRequest;
}

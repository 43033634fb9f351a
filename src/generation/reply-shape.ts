import type { ChoiceOut, ChunkChoiceOut } from "../providers/types";
import type { PublicUsage } from "./usage";

/**
 * How a generation's choices are presented: chat completions as they are; legacy completions
 * (`/completions`) as `text_completion` objects whose choices carry `text`. The generation itself
 * (routing, billing, streaming, failover) is the same for both.
 */
export interface ReplyShape<Choice = unknown> {
  object: string;
  chunkObject: string;
  choices?: (choices: ChoiceOut[]) => Choice[];
  chunkChoices?: (choices: ChunkChoiceOut[]) => unknown[];
  /**
   * The shape has no field for reasoning: the model's reasoning is never relayed, as with
   * `reasoning.exclude` (billed, not shown; a stream sends no empty chunk for it, and a failure
   * during it can still fail over).
   */
  hidesReasoning?: boolean;
}

/**
 * A non-streaming reply (chat or legacy completion), as the client receives it. A provider's own
 * top-level fields (e.g. Perplexity's `citations`) come with it, untyped: an index signature
 * would make the type unserialisable to RPC's types, and a binding's caller would get `never`.
 */
export interface CompletionReply<Choice> {
  id: string;
  provider: string;
  model: string;
  object: string;
  created: number;
  choices: Choice[];
  system_fingerprint: string | null;
  usage: PublicUsage;
}

/** `POST /chat/completions`, non-streaming: OpenAI's chat completion with OpenRouter's additions. */
export type ChatCompletionReply = CompletionReply<ChoiceOut> & { object: "chat.completion" };

/** A legacy completion's choice, as `/completions` presents it. */
export interface TextChoiceOut {
  index: number;
  text: string;
  finish_reason: ChoiceOut["finish_reason"];
  native_finish_reason: string | null;
  logprobs: null;
}

/** `POST /completions`, non-streaming. */
export type TextCompletionReply = CompletionReply<TextChoiceOut> & { object: "text_completion" };

export const CHAT_SHAPE: ReplyShape<ChoiceOut> = { object: "chat.completion", chunkObject: "chat.completion.chunk" };

export const TEXT_COMPLETION_SHAPE: ReplyShape<TextChoiceOut> = {
  object: "text_completion",
  chunkObject: "text_completion",
  hidesReasoning: true,
  choices: (choices) =>
    choices.map((choice) => ({
      index: choice.index,
      text: choice.message.content ?? "",
      finish_reason: choice.finish_reason,
      native_finish_reason: choice.native_finish_reason,
      logprobs: null,
    })),
  chunkChoices: (choices) =>
    choices.map((choice) => ({
      index: choice.index,
      text: choice.delta.content ?? "",
      finish_reason: choice.finish_reason,
      ...(choice.native_finish_reason !== undefined ? { native_finish_reason: choice.native_finish_reason } : {}),
      logprobs: null,
    })),
};

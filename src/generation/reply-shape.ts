import type { ChoiceOut, ChunkChoiceOut } from "../providers/types";

/**
 * How a generation's choices are presented: chat completions as they are; legacy completions
 * (`/completions`) as `text_completion` objects whose choices carry `text`. The generation itself
 * (routing, billing, streaming, failover) is the same for both.
 */
export interface ReplyShape {
  object: string;
  chunkObject: string;
  choices?: (choices: ChoiceOut[]) => unknown[];
  chunkChoices?: (choices: ChunkChoiceOut[]) => unknown[];
}

export const CHAT_SHAPE: ReplyShape = { object: "chat.completion", chunkObject: "chat.completion.chunk" };

export const TEXT_COMPLETION_SHAPE: ReplyShape = {
  object: "text_completion",
  chunkObject: "text_completion",
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

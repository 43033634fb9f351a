import type { ChoiceOut, ChunkChoiceOut } from "../providers/types";
import type { RouterMetadata } from "./router-metadata";
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
  /**
   * A new stream's presenter of chunk choices (state per stream, e.g. text offsets); it returns
   * null for choices that carry nothing the shape shows, which are then not sent.
   */
  chunkPresenter?: () => ChunkPresenter;
  /**
   * The shape has no field for reasoning: the model's reasoning is never relayed, as with
   * `reasoning.exclude` (billed, not shown; a stream sends no empty chunk for it, and a failure
   * during it can still fail over).
   */
  hidesReasoning?: boolean;
  /**
   * The shape returns generated images (chat's `message.images` and `delta.images`). A request
   * asking for images in another shape is refused before any call: the images would be drawn
   * and billed, and the client never given them.
   */
  showsImages?: boolean;
  /**
   * A non-streaming reply as another API presents it (the Responses API's Response object),
   * built from the chat reply's object before it is serialised.
   */
  reply?: (chat: CompletionReply<unknown>) => unknown;
}

/** Presents one chunk's choices; null when none of them has anything to show. */
export type ChunkPresenter = (choices: ChunkChoiceOut[]) => unknown[] | null;

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
  /** What the router did, for a request that opted in (router-metadata.ts). */
  openrouter_metadata?: RouterMetadata;
}

/** `POST /chat/completions`, non-streaming: OpenAI's chat completion with OpenRouter's additions. */
export type ChatCompletionReply = CompletionReply<ChoiceOut> & { object: "chat.completion" };

/** A legacy completion's choice, as `/completions` presents it. */
export interface TextChoiceOut {
  index: number;
  text: string;
  finish_reason: ChoiceOut["finish_reason"];
  native_finish_reason: string | null;
  logprobs: TextLogprobs | null;
}

/**
 * A legacy completion's log probabilities: per token, its text, its logprob, the most likely
 * tokens at its position (the sampled one included), and its character offset in the text.
 */
export interface TextLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Array<Record<string, number>>;
  text_offset: number[];
}

/** `POST /completions`, non-streaming. */
export type TextCompletionReply = CompletionReply<TextChoiceOut> & { object: "text_completion" };

export const CHAT_SHAPE: ReplyShape<ChoiceOut> = {
  object: "chat.completion",
  chunkObject: "chat.completion.chunk",
  showsImages: true,
};

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
      logprobs: textLogprobs(choice.logprobs, 0)?.logprobs ?? null,
    })),
  chunkPresenter: () => {
    /** Where each choice's next token starts in its text: offsets run on across chunks. */
    const offsets = new Map<number, number>();
    return (choices) => {
      const out = [];
      for (const choice of choices) {
        const text = choice.delta.content ?? "";
        const mapped = textLogprobs(choice.logprobs, offsets.get(choice.index) ?? 0);
        if (mapped) offsets.set(choice.index, mapped.end);
        // OpenAI's legacy stream sends no empty chunk (chat's opening role chunk has no equivalent).
        if (text === "" && choice.finish_reason === null && !mapped) continue;
        out.push({
          index: choice.index,
          text,
          finish_reason: choice.finish_reason,
          ...(choice.native_finish_reason !== undefined ? { native_finish_reason: choice.native_finish_reason } : {}),
          logprobs: mapped?.logprobs ?? null,
        });
      }
      return out.length > 0 || choices.length === 0 ? out : null;
    };
  },
};

/**
 * Chat logprobs (`{content: [{token, logprob, top_logprobs: [{token, logprob}]}]}`) as a legacy
 * completion's, the first token at character `start` of the text; undefined when there are none.
 * `end` is where the next token would start.
 */
function textLogprobs(chat: unknown, start: number): { logprobs: TextLogprobs; end: number } | undefined {
  const content = (chat as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content) || content.length === 0) return undefined;
  const logprobs: TextLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let offset = start;
  for (const entry of content as Array<{ token?: unknown; logprob?: unknown; top_logprobs?: unknown }>) {
    const token = typeof entry?.token === "string" ? entry.token : "";
    const logprob = typeof entry?.logprob === "number" ? entry.logprob : 0;
    // No prototype: a token may be any string ("__proto__" too).
    const top: Record<string, number> = Object.create(null);
    if (Array.isArray(entry?.top_logprobs)) {
      for (const alt of entry.top_logprobs as Array<{ token?: unknown; logprob?: unknown }>) {
        if (typeof alt?.token === "string" && typeof alt.logprob === "number") top[alt.token] = alt.logprob;
      }
    }
    // The legacy API always gives the sampled token's logprob among the top ones.
    if (!Object.hasOwn(top, token)) top[token] = logprob;
    logprobs.tokens.push(token);
    logprobs.token_logprobs.push(logprob);
    logprobs.top_logprobs.push(top);
    logprobs.text_offset.push(offset);
    offset += token.length;
  }
  return { logprobs, end: offset };
}

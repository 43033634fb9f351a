import * as z from "zod/mini";
import { EndUser, ModelId, ProviderPreferences } from "./chat";
import { sparse } from "./sparse";

const TOKEN_IDS_MESSAGE = "token ids must be non-negative integers";
const isTokenId = (id: unknown) => typeof id === "number" && Number.isInteger(id) && id >= 0;

/**
 * One input as token ids (OpenAI's tokenizer's, as OpenAI-format upstreams read them). The ids are
 * checked in one loop that stops at the first bad one, which is named: a schema per id gave an
 * issue per bad id, and 3M negative ids (9 MB) took ~9 s of CPU to refuse.
 */
const TokenIds = z
  .custom<number[]>((value) => Array.isArray(value), { error: TOKEN_IDS_MESSAGE })
  .check(z.minLength(1, "a token-id input must not be empty"), (ctx) => {
    const at = Array.isArray(ctx.value) ? ctx.value.findIndex((id) => !isTokenId(id)) : -1;
    if (at < 0) return;
    const id = ctx.value[at];
    // A number that is no id lets the union report it (input.0.3: …), as zod's own checks of a
    // number do; anything else is the wrong kind of input, left to the union's own message.
    ctx.issues.push({
      code: "custom",
      message: TOKEN_IDS_MESSAGE,
      input: id,
      path: [at],
      continue: typeof id === "number",
    });
  });

/**
 * `POST /embeddings`: OpenAI's request plus OpenRouter's routing fields. Inputs are texts or token
 * ids (an array of integers for one input, an array of such arrays for several), as OpenAI and
 * OpenRouter take them; token ids reach only OpenAI-format upstreams (generation/embeddings.ts
 * refuses the others by name). A multimodal input is refused with a 400 that says so, rather than
 * sent to a provider that would misread it.
 */
export const EmbeddingsRequestSchema = sparse(
  z.looseObject({
    model: z.optional(ModelId),
    models: z.optional(z.array(ModelId).check(z.maxLength(10))),
    input: z.union(
      [
        z.string().check(z.minLength(1, "input must not be empty")),
        z
          .array(z.string().check(z.minLength(1, "input must not contain empty strings")))
          .check(
            z.minLength(1, "input must contain at least one text"),
            z.maxLength(2048, "input takes at most 2048 texts"),
          ),
        TokenIds,
        z
          .array(TokenIds)
          .check(
            z.minLength(1, "input must contain at least one input"),
            z.maxLength(2048, "input takes at most 2048 inputs"),
          ),
      ],
      {
        error:
          "input must be a string, an array of strings, or token ids (an array of integers, or an array of such arrays); multimodal inputs are not supported",
      },
    ),
    dimensions: z.optional(z.number().check(z.int(), z.positive())),
    encoding_format: z.optional(z.enum(["float", "base64"])),
    input_type: z.optional(z.string()),
    user: EndUser,
    provider: z.nullish(ProviderPreferences),
  }),
);
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

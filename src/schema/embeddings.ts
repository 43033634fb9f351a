import * as z from "zod";
import { ProviderPreferences } from "./chat";
import { sparse } from "./sparse";

/**
 * `POST /embeddings`: OpenAI's request plus OpenRouter's routing fields. Text inputs only: a
 * token-id array or a multimodal input is refused with a 400 that says so, rather than sent to a
 * provider that would misread it.
 */
export const EmbeddingsRequestSchema = sparse(
  z.looseObject({
    model: z.string().min(1).optional(),
    models: z.array(z.string().min(1)).max(10).optional(),
    input: z.union(
      [
        z.string().min(1, "input must not be empty"),
        z
          .array(z.string().min(1, "input must not contain empty strings"))
          .min(1, "input must contain at least one text")
          .max(2048, "input takes at most 2048 texts"),
      ],
      { error: "input must be a string or an array of strings (token arrays and multimodal inputs are not supported)" },
    ),
    dimensions: z.number().int().positive().optional(),
    encoding_format: z.enum(["float", "base64"]).optional(),
    input_type: z.string().optional(),
    user: z.string().optional(),
    provider: ProviderPreferences.nullish(),
  }),
);
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

import type { Model } from "../catalog/types";
import type { ChatRequest } from "../schema/chat";

/**
 * What a request's messages carry beyond text that a model must be able to read, in the
 * catalog's words (`architecture.input_modalities`): `image` for image parts (a user's, a tool
 * result's), `audio` for input_audio parts. A model that lists neither is not sent them: OpenRouter
 * answers such a request with a 404, "No endpoints found that support image input", which agents
 * match to retry without the image, where a text-only provider would refuse the part in its own
 * words (or read the request without it). PDFs (`file` parts) are left to the providers: the
 * catalog lists `file` for Gemini 3 alone, while Claude and GPT read PDFs too.
 * Images an assistant turn drew, sent back with it, are the model's own output and not counted.
 */
export type CheckedModality = "image" | "audio";

const MODALITY_OF_PART: Record<string, CheckedModality> = { image_url: "image", input_audio: "audio" };

/** The checked modalities the messages carry, each once, in the order first met; none for plain text. */
export function inputModalitiesOf(messages: ChatRequest["messages"] | undefined): CheckedModality[] {
  const found: CheckedModality[] = [];
  for (const message of messages ?? []) {
    if (typeof message.content === "string" || !message.content) continue;
    for (const part of message.content) {
      const modality = MODALITY_OF_PART[part.type];
      if (modality && !found.includes(modality)) found.push(modality);
    }
  }
  return found;
}

/** Of `needed`, what the model cannot read. */
export const unreadableBy = (model: Model, needed: readonly CheckedModality[]): CheckedModality[] =>
  needed.filter((modality) => !model.architecture.input_modalities.includes(modality));

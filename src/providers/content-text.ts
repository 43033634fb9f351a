import type { ContentPart, MessageContent } from "../schema/chat";

/**
 * A message's text alone, for the places a provider takes only text (a system instruction, a
 * tool's output, Cohere's tool plan): its text parts joined by newlines, empty ones left out.
 */
export function contentText(content: MessageContent | null | undefined): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .filter((part): part is Extract<ContentPart, { type: "text" }> => part.type === "text" && part.text !== "")
    .map((part) => part.text)
    .join("\n");
}

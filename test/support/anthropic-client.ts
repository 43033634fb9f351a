import Anthropic from "@anthropic-ai/sdk";
import { BASE, gatewayFetch } from "./gateway";

/** Where Anthropic's SDK is pointed, as Claude Code is (`ANTHROPIC_BASE_URL=<gateway>/api`): it adds `/v1/messages`. */
export const ANTHROPIC_BASE = BASE.replace(/\/v1$/, "");

/**
 * Anthropic's SDK talking to the app (no retries). With `apiKey` it sends the key as `x-api-key`;
 * with `authToken`, as a bearer token (Claude Code's ANTHROPIC_AUTH_TOKEN).
 */
export const anthropicClient = (key: string, as: "apiKey" | "authToken" = "apiKey") =>
  new Anthropic({
    [as]: key,
    baseURL: ANTHROPIC_BASE,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => gatewayFetch(input, init),
    maxRetries: 0,
  });

/** A Message streamed through the SDK: the events as they came, and the Message the SDK rebuilt from them. */
export async function streamedMessage(client: Anthropic, params: Anthropic.MessageStreamParams) {
  const stream = client.messages.stream(params);
  const events: Anthropic.MessageStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return { events, message: await stream.finalMessage() };
}

/** A Message's content with its server-tool block ids (derived from the message's own id) made comparable. */
export const withoutBlockIds = (content: unknown[]) =>
  JSON.parse(JSON.stringify(content).replace(/srvtoolu_[\w-]+?_(\d+)"/g, 'srvtoolu_$1"'));

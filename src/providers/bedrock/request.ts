import type { ChatRequest, ContentPart, Message, MessageContent } from "../../schema/chat";
import {
  claudeStopSequences,
  claudeThinking,
  DEFAULT_MAX_TOKENS,
  JSON_TOOL,
  thinkingBlocks,
  thinkingTopP,
  toolId,
  toolInput,
} from "../anthropic/request";
import { inlineRemoteImages, parseDataUrl, privateImagesAllowed } from "../inline-image";
import { unsupportedParameters } from "../parameters";
import type { UpstreamCall, UpstreamTarget } from "../types";
import { awsCredentials } from "./credentials";
import { signRequest } from "./sigv4";

/**
 * Bedrock Converse / ConverseStream request building. Bedrock fronts several model families;
 * the catalog's Bedrock endpoints are Claude, so model-specific fields (thinking, top_k) are
 * Claude's, sent in `additionalModelRequestFields`. An endpoint with a `claude` shape (the 5.5
 * models) is asked as on Anthropic: adaptive thinking with `output_config.effort`, both passed
 * through in `additionalModelRequestFields` (AWS "Adaptive thinking", Bedrock user guide). Its
 * json_schema stays on a tool: Converse takes structured output as its own
 * `outputConfig.textFormat`, not Claude's `output_config.format` (AWS "Get validated JSON results
 * from models").
 */

type Json = Record<string, unknown>;
export interface BedrockMessage {
  role: "user" | "assistant";
  content: Json[];
}

const IMAGE_FORMATS = new Set(["png", "jpeg", "gif", "webp"]);

/**
 * OpenAI content ⇒ Converse blocks. Bedrock takes image bytes, not URLs: buildBedrockChatRequest
 * fetches http(s) images into data: URLs first; an image still given by URL here, or in a format
 * Bedrock does not take, is left out and reported (the caller names `image_url` as dropped).
 */
export function convertContent(content: MessageContent | null | undefined): { blocks: Json[]; droppedImage: boolean } {
  if (content == null) return { blocks: [], droppedImage: false };
  if (typeof content === "string") return { blocks: content.trim() ? [{ text: content }] : [], droppedImage: false };
  const blocks: Json[] = [];
  let droppedImage = false;
  for (const part of content as ContentPart[]) {
    if (part.type === "text") {
      if (part.text.trim()) blocks.push({ text: part.text });
    } else if (part.type === "image_url") {
      const url = typeof part.image_url === "string" ? part.image_url : part.image_url.url;
      const inline = parseDataUrl(url);
      const format = inline?.media_type.split("/")[1];
      if (inline && format && IMAGE_FORMATS.has(format))
        blocks.push({ image: { format, source: { bytes: inline.data } } });
      else droppedImage = true;
    }
  }
  return { blocks, droppedImage };
}

/** Earlier reasoning (with its signature) replayed as reasoningContent, as Claude requires in tool loops. */
function reasoningBlocks(message: Extract<Message, { role: "assistant" }>): Json[] {
  return thinkingBlocks(message.reasoning_details).map((block) =>
    block.type === "thinking"
      ? { reasoningContent: { reasoningText: { text: block.thinking, signature: block.signature } } }
      : { reasoningContent: { redactedContent: block.data } },
  );
}

/**
 * System and developer messages go to `system`; turns alternate user/assistant starting with a
 * user turn; tool results are toolResult blocks at the head of the next user turn. Tool-use ids
 * must match ^[a-zA-Z0-9_-]+$ as on Anthropic: ids minted elsewhere are rewritten the same way.
 */
export function convertMessages(messages: readonly Message[]): {
  system: Json[];
  messages: BedrockMessage[];
  droppedImage: boolean;
  toolNames: Set<string>;
} {
  const system: Json[] = [];
  const out: BedrockMessage[] = [];
  const toolNames = new Set<string>();
  let droppedImage = false;
  const push = (role: BedrockMessage["role"], blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last?.role !== role) {
      out.push({ role, content: blocks });
    } else if (role === "user" && blocks[0]?.toolResult) {
      const results = last.content.filter((b) => b.toolResult);
      last.content = [...results, ...blocks, ...last.content.filter((b) => !b.toolResult)];
    } else last.content.push(...blocks);
  };
  for (const message of messages) {
    if (message.role === "system" || message.role === "developer") {
      const { blocks } = convertContent(message.content);
      system.push(...blocks);
    } else if (message.role === "user") {
      const converted = convertContent(message.content);
      droppedImage ||= converted.droppedImage;
      push("user", converted.blocks);
    } else if (message.role === "assistant") {
      const converted = convertContent(message.content ?? null);
      const calls = (message.tool_calls ?? []).map((call) => {
        toolNames.add(call.function.name);
        return {
          toolUse: { toolUseId: toolId(call.id), name: call.function.name, input: toolInput(call.function.arguments) },
        };
      });
      push("assistant", [...reasoningBlocks(message), ...converted.blocks, ...calls]);
    } else if (message.role === "tool") {
      const text =
        typeof message.content === "string"
          ? message.content
          : convertContent(message.content)
              .blocks.map((b) => b.text)
              .join("\n");
      push("user", [
        {
          toolResult: {
            toolUseId: toolId(message.tool_call_id),
            content: [{ text: text || "(empty)" }],
            status: "success",
          },
        },
      ]);
    }
  }
  if (out[0]?.role !== "user") out.unshift({ role: "user", content: [{ text: "(continue)" }] });
  return { system, messages: out, droppedImage, toolNames };
}

function toolSpec(name: string, description: string | undefined, schema: unknown): Json {
  return {
    toolSpec: {
      name,
      ...(description ? { description } : {}),
      inputSchema: { json: schema ?? { type: "object", properties: {} } },
    },
  };
}

export function buildBedrockBody(request: ChatRequest, target: UpstreamTarget): { body: Json; dropped: string[] } {
  const dropped = unsupportedParameters(request, target.endpoint);
  const drop = new Set(dropped);
  const converted = convertMessages(request.messages);
  if (converted.droppedImage) dropped.push("image_url");
  const body: Json = { messages: converted.messages };
  const system = [...converted.system];

  const cap = target.endpoint.max_completion_tokens ?? DEFAULT_MAX_TOKENS;
  let maxTokens = Math.min(request.max_completion_tokens ?? request.max_tokens ?? cap, cap);
  const inference: Json = {};
  const additional: Json = {};
  const shape = target.endpoint.claude;
  const { adaptive, budget } = claudeThinking(request, shape, dropped);
  if (adaptive) {
    additional.thinking = adaptive.thinking;
    if (adaptive.effort) additional.output_config = { effort: adaptive.effort };
    const topP = thinkingTopP(request, drop, dropped);
    if (topP !== undefined) inference.topP = topP;
  } else if (budget !== undefined) {
    // As on Anthropic: the budget counts inside maxTokens, and sampling is mostly left alone.
    maxTokens = Math.min(cap, maxTokens + budget);
    additional.thinking = { type: "enabled", budget_tokens: Math.min(budget, maxTokens - 1) };
    const topP = thinkingTopP(request, drop, dropped);
    if (topP !== undefined) inference.topP = topP;
  } else {
    if (request.temperature != null && !drop.has("temperature"))
      inference.temperature = Math.min(1, request.temperature);
    if (request.top_p != null && !drop.has("top_p")) inference.topP = request.top_p;
    if (request.top_k != null && !drop.has("top_k")) additional.top_k = request.top_k;
  }
  inference.maxTokens = maxTokens;
  // Converse refuses empty ones (each must be at least 1 character), Claude whitespace alone.
  const stops = drop.has("stop") ? [] : claudeStopSequences(request, dropped);
  if (stops.length > 0) inference.stopSequences = stops;
  body.inferenceConfig = inference;

  const tools: Json[] = (drop.has("tools") ? [] : (request.tools ?? [])).map((tool) =>
    toolSpec(tool.function.name, tool.function.description, tool.function.parameters),
  );
  let toolChoice: Json | undefined;
  const choice = drop.has("tool_choice") ? undefined : request.tool_choice;
  if (choice === "required") toolChoice = { any: {} };
  else if (choice && typeof choice === "object") toolChoice = { tool: { name: choice.function.name } };
  else if (choice === "none" && tools.length > 0) {
    // Converse has no "none": the tools stay declared (history may use them) and the model is told.
    system.push({ text: "Do not call any tool in this turn; answer in text." });
  }
  if (toolChoice && shape?.forced_tool_use === false) {
    // The model refuses a forced tool (400): Claude is offered the tools, and the choice named dropped.
    toolChoice = { auto: {} };
    dropped.push("tool_choice");
  }
  const format = request.response_format;
  if (format?.type === "json_schema" && !drop.has("structured_outputs")) {
    tools.push(
      toolSpec(JSON_TOOL, `Respond with ${format.json_schema.name} as this tool's input.`, format.json_schema.schema),
    );
    if (budget !== undefined || adaptive) toolChoice = { auto: {} };
    else if ((tools.length > 1 && choice !== "none") || shape?.forced_tool_use === false) {
      // As on Anthropic: with the client's own tools in play their choice stands (auto by default);
      // a model that refuses forced tools is offered the JSON tool, and told to answer through it.
      system.push({ text: `Give your final answer as the input of the ${JSON_TOOL} tool.` });
    } else toolChoice = { tool: { name: JSON_TOOL } };
  } else if (format?.type === "json_object") {
    system.push({ text: "Respond with a single valid JSON object and nothing else." });
  }
  // A history with toolUse/toolResult blocks needs a toolConfig, even when no tools are offered now.
  for (const name of converted.toolNames) {
    if (!tools.some((t) => (t.toolSpec as Json).name === name))
      tools.push(toolSpec(name, undefined, { type: "object" }));
  }
  if (tools.length > 0) body.toolConfig = { tools, ...(toolChoice ? { toolChoice } : {}) };
  if (system.length > 0) body.system = system;
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  // Converse answers with one choice per request.
  if (request.n != null && request.n > 1) dropped.push("n");
  return { body, dropped };
}

/** The region of the endpoint: AWS_REGION, else the one in the catalog's host name. */
export function regionOf(target: UpstreamTarget): string {
  return (
    target.setting("AWS_REGION") ??
    /bedrock-runtime\.([a-z0-9-]+)\.amazonaws/.exec(target.provider.base_url)?.[1] ??
    "us-east-1"
  );
}

/** Signs a Bedrock call with the target's credential (credentials.ts). */
export async function signedCall(
  target: UpstreamTarget,
  url: string,
  body: string,
  accept?: string,
): Promise<UpstreamCall["init"]> {
  const signed = await signRequest({
    url,
    body,
    region: regionOf(target),
    service: "bedrock",
    credentials: awsCredentials(target),
  });
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...(accept ? { accept } : {}), ...signed },
    body,
  };
}

/** `/model/{id}/converse(-stream)`: the model id is one path segment (ids contain `:`). */
export function modelUrl(target: UpstreamTarget, operation: string): string {
  return `${target.baseUrl}/model/${encodeURIComponent(target.endpoint.provider_model_id)}/${operation}`;
}

export async function buildBedrockChatRequest(
  request: ChatRequest,
  target: UpstreamTarget,
  stream: boolean,
): Promise<UpstreamCall> {
  // Bedrock takes image bytes only: images given by URL are fetched and sent inline.
  const { body, dropped } = buildBedrockBody(
    await inlineRemoteImages(request, {
      allowPrivate: privateImagesAllowed(target),
      ...(target.images ? { fetched: target.images } : {}),
    }),
    target,
  );
  const url = modelUrl(target, stream ? "converse-stream" : "converse");
  const init = await signedCall(
    target,
    url,
    JSON.stringify(body),
    stream ? "application/vnd.amazon.eventstream" : "application/json",
  );
  return { url, init, dropped };
}

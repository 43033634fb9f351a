import type { IncomingHttpHeaders } from "node:http";
import { EMULATOR_SECRET_ACCESS_KEY } from "../../src/providers/bedrock/credentials";
import { encodeEventMessage } from "../../src/providers/bedrock/event-stream";
import { relevance } from "./cohere";
import type { Fault } from "./directives";
import type { WireFormat } from "./format";
import { chunkString, generateReply, type NeutralRequest } from "./generate";
import { embeddingVector } from "./openai";
import type { Script } from "./script";
import { countTokens } from "./tokens";

/**
 * AWS Bedrock Runtime: Converse (JSON), ConverseStream (binary AWS event-stream frames with
 * CRC-32s, `:event-type` headers, a padding field in every payload, exceptions in-stream), and
 * InvokeModel for Titan Text Embeddings v2. Requests must carry a SigV4 Authorization header for
 * the `bedrock` service; errors are `{"message"}` with `x-amzn-errortype`.
 */
type Json = Record<string, any>;

const PATH = /\/model\/([^/]+)\/(converse|converse-stream|invoke)$/;
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/;

const EXCEPTIONS: Record<number, string> = {
  400: "ValidationException",
  401: "UnrecognizedClientException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
  529: "ServiceUnavailableException",
};

function errorScript(status: number, code: string | undefined, retryAfter: number | undefined): Script {
  const type = EXCEPTIONS[status] ?? (status >= 500 ? "InternalServerException" : "ValidationException");
  const message =
    code === "context_length_exceeded"
      ? "Input is too long for requested model."
      : code === "content_policy_violation"
        ? "The content was blocked by the model's safety policy (content filtering)."
        : status === 401
          ? "The security token included in the request is invalid."
          : status === 429
            ? "Too many requests, please wait before trying again."
            : `Emulated ${type}`;
  return {
    status,
    headers: {
      "content-type": "application/json",
      "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      "x-amzn-requestid": "emulated-request-id",
      ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}),
    },
    body: JSON.stringify({ message }),
  };
}

function blocksText(content: unknown): { text: string; images: number } {
  let text = "";
  let images = 0;
  for (const block of (Array.isArray(content) ? content : []) as Json[]) {
    if (typeof block.text === "string") text += block.text;
    else if (block.image) images++;
    else if (block.toolResult)
      text += ((block.toolResult.content ?? []) as Json[]).map((c) => c.text ?? JSON.stringify(c.json ?? "")).join("");
    else if (block.toolUse) text += JSON.stringify(block.toolUse.input ?? {});
  }
  return { text, images };
}

function neutral(model: string, body: Json): NeutralRequest {
  const system = blocksText(body.system).text;
  const choice = body.toolConfig?.toolChoice as Json | undefined;
  return {
    model,
    messages: [
      ...(system ? [{ role: "system", text: system, images: 0 }] : []),
      ...((body.messages ?? []) as Json[]).map((m) => {
        const { text, images } = blocksText(m.content);
        const onlyResults = Array.isArray(m.content) && m.content.every((b: Json) => b.toolResult);
        return { role: onlyResults ? "tool" : String(m.role), text, images };
      }),
    ],
    maxTokens: body.inferenceConfig?.maxTokens,
    n: 1,
    stop: body.inferenceConfig?.stopSequences ?? [],
    tools: ((body.toolConfig?.tools ?? []) as Json[]).map((t) => ({
      name: String(t.toolSpec?.name),
      parameters: t.toolSpec?.inputSchema?.json,
    })),
    toolChoice: choice?.tool ? { name: String(choice.tool.name) } : choice?.any ? "required" : "auto",
    parallelToolCalls: true,
    json: null,
    reasoning: ["enabled", "adaptive"].includes(body.additionalModelRequestFields?.thinking?.type),
  };
}

const validation = (message: string): Script => ({
  ...errorScript(400, undefined, undefined),
  body: JSON.stringify({ message }),
});

/**
 * The Claude 5.5 models on Bedrock (the id after any inference-profile prefix) refuse what they
 * refuse on Anthropic (the Anthropic emulator's CURRENT_CLAUDE): budget thinking, non-default
 * sampling, and on Opus and Sonnet 5.5 a forced tool; Claude's errors come back as Converse's
 * validation errors.
 */
const CURRENT_CLAUDE = new Set([
  "anthropic.claude-opus-5-5",
  "anthropic.claude-sonnet-5-5",
  "anthropic.claude-haiku-5-5",
]);
const NO_FORCED_TOOL = new Set(["anthropic.claude-opus-5-5", "anthropic.claude-sonnet-5-5"]);

function currentModelRejection(model: string, body: Json): Script | undefined {
  const base = model.replace(/^(global|us|eu|apac|jp|au)\./, "");
  if (!CURRENT_CLAUDE.has(base)) return undefined;
  const refused = (message: string) => validation(`The model returned the following errors: ${message}`);
  const additional = (body.additionalModelRequestFields ?? {}) as Json;
  if (additional.thinking?.type === "enabled") {
    return refused(
      `thinking.type.enabled is not supported for this model. Use thinking.type.adaptive and output_config.effort to control thinking behavior.`,
    );
  }
  const inference = (body.inferenceConfig ?? {}) as Json;
  for (const [name, value] of [
    ["temperature", inference.temperature],
    ["top_p", inference.topP],
    ["top_k", additional.top_k],
  ] as const) {
    if (value !== undefined) return refused(`${name}: is deprecated for this model; only the default is accepted.`);
  }
  const choice = body.toolConfig?.toolChoice as Json | undefined;
  if (NO_FORCED_TOOL.has(base) && (choice?.any || choice?.tool)) {
    return refused("tool_choice: forced tool use is not supported for this model.");
  }
  return undefined;
}

/** What Converse itself rejects (the adapter must never send it). */
function rejection(model: string, body: Json): Script | undefined {
  const current = currentModelRejection(model, body);
  if (current) return current;
  const messages = (body.messages ?? []) as Json[];
  if (messages[0]?.role !== "user") return errorScript(400, undefined, undefined);
  for (let i = 1; i < messages.length; i++) {
    if (messages[i]?.role === messages[i - 1]?.role) {
      return {
        ...errorScript(400, undefined, undefined),
        body: JSON.stringify({ message: "A conversation must alternate between user and assistant roles." }),
      };
    }
  }
  for (const [i, message] of messages.entries()) {
    for (const [j, block] of ((message.content ?? []) as Json[]).entries()) {
      const [kind, id] = block.toolUse
        ? ["toolUse", block.toolUse.toolUseId]
        : block.toolResult
          ? ["toolResult", block.toolResult.toolUseId]
          : [];
      if (kind && !/^[a-zA-Z0-9_-]+$/.test(String(id))) {
        return {
          ...errorScript(400, undefined, undefined),
          body: JSON.stringify({
            message: `1 validation error detected: Value '${String(id)}' at 'messages.${i + 1}.member.content.${j + 1}.member.${kind}.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]+$`,
          }),
        };
      }
    }
  }
  const stops = (body.inferenceConfig?.stopSequences ?? []) as unknown[];
  const empty = stops.indexOf("");
  if (empty >= 0) {
    return {
      ...errorScript(400, undefined, undefined),
      body: JSON.stringify({
        message: `1 validation error detected: Value at 'inferenceConfig.stopSequences.${empty + 1}.member' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      }),
    };
  }
  // Claude's own check, passed through by Converse as a validation error.
  if (stops.some((stop) => typeof stop === "string" && stop !== "" && stop.trim() === "")) {
    return {
      ...errorScript(400, undefined, undefined),
      body: JSON.stringify({
        message:
          "The model returned the following errors: stop_sequences: each stop sequence must contain non-whitespace",
      }),
    };
  }
  const usesTools = messages.some((m) => ((m.content ?? []) as Json[]).some((b) => b.toolUse || b.toolResult));
  if (usesTools && !body.toolConfig) {
    return {
      ...errorScript(400, undefined, undefined),
      body: JSON.stringify({
        message: "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
      }),
    };
  }
  return undefined;
}

const STOP: Record<string, string> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use" };
let counter = 0;
/** The length-hiding padding every ConverseStream payload carries. */
const padding = () => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0".slice(0, 4 + (counter % 40));

function converseScript(model: string, body: Json, stream: boolean, provider: string, fault: Fault): Script {
  const refused = rejection(model, body);
  if (refused) return refused;
  const reply = generateReply(neutral(model, body), provider, fault);
  const choice = reply.choices[0];
  if (!choice) return errorScript(500, undefined, undefined);
  // Claude on Bedrock: inputTokens leaves out the prompt tokens read from or written to the cache.
  const usage = {
    inputTokens: reply.promptTokens - reply.cacheRead - reply.cacheWrite,
    outputTokens: reply.completionTokens,
    totalTokens: reply.promptTokens + reply.completionTokens,
    ...(reply.cacheRead > 0 || reply.cacheWrite > 0
      ? { cacheReadInputTokens: reply.cacheRead, cacheWriteInputTokens: reply.cacheWrite }
      : {}),
  };
  const signature = `sig_${Buffer.from(choice.reasoning ?? "")
    .toString("base64")
    .slice(0, 24)}`;
  const calls = choice.toolCalls.map((c) => ({
    toolUseId: `tooluse_${c.id.replace(/[^a-zA-Z0-9]/g, "")}`,
    name: c.name,
    input: JSON.parse(c.arguments),
  }));
  const stopReason = fault.error_finish ?? STOP[choice.finish] ?? "end_turn";
  if (!stream) {
    const content: Json[] = [];
    if (choice.reasoning) content.push({ reasoningContent: { reasoningText: { text: choice.reasoning, signature } } });
    if (choice.text) content.push({ text: choice.text });
    for (const call of calls) content.push({ toolUse: call });
    return {
      status: 200,
      headers: { "content-type": "application/json", "x-amzn-requestid": "emulated-request-id" },
      body: JSON.stringify({
        output: { message: { role: "assistant", content } },
        stopReason,
        usage,
        metrics: { latencyMs: 10 },
      }),
    };
  }
  const frames: Uint8Array[] = [];
  const send = (eventType: string, payload: Json) =>
    frames.push(
      encodeEventMessage(
        { ":event-type": eventType, ":content-type": "application/json", ":message-type": "event" },
        JSON.stringify({ ...payload, p: padding() }),
      ),
    );
  send("messageStart", { role: "assistant" });
  let index = 0;
  if (choice.reasoning) {
    for (const piece of chunkString(choice.reasoning, 12))
      send("contentBlockDelta", { contentBlockIndex: index, delta: { reasoningContent: { text: piece } } });
    send("contentBlockDelta", { contentBlockIndex: index, delta: { reasoningContent: { signature } } });
    send("contentBlockStop", { contentBlockIndex: index });
    index++;
  }
  if (choice.text) {
    for (const piece of choice.pieces) send("contentBlockDelta", { contentBlockIndex: index, delta: { text: piece } });
    send("contentBlockStop", { contentBlockIndex: index });
    index++;
  }
  for (const call of calls) {
    send("contentBlockStart", {
      contentBlockIndex: index,
      start: { toolUse: { toolUseId: call.toolUseId, name: call.name } },
    });
    for (const piece of chunkString(JSON.stringify(call.input), 6))
      send("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: piece } } });
    send("contentBlockStop", { contentBlockIndex: index });
    index++;
  }
  send("messageStop", { stopReason });
  const terminator = [
    encodeEventMessage(
      { ":event-type": "metadata", ":content-type": "application/json", ":message-type": "event" },
      JSON.stringify({ usage, metrics: { latencyMs: 10 }, p: padding() }),
    ),
  ];
  // A malformed frame: a valid prelude over a payload whose message CRC does not match.
  const malformed = encodeEventMessage(
    { ":event-type": "contentBlockDelta", ":message-type": "event" },
    '{"delta":{"text":"x"}}',
  );
  malformed[malformed.length - 1] = (malformed[malformed.length - 1] as number) ^ 0xff;
  return {
    status: 200,
    headers: { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "emulated-request-id" },
    frames,
    terminator,
    malformedFrame: malformed,
  };
}

/**
 * `echo_credentials`: an error whose text repeats the caller's credential, as AWS's signature
 * mismatch repeats the canonical request, the session token among its headers. It names the secret
 * access key too (the one the gateway signs emulated calls with), which AWS never would: neither
 * may reach the gateway's client. A stream opens, then fails with an exception event carrying the
 * text; any other call is refused with a 403.
 */
function credentialEcho(headers: IncomingHttpHeaders, stream: boolean): Script {
  const token = headers["x-amz-security-token"];
  const message =
    "The request signature we calculated does not match the signature you provided. Check your AWS " +
    `Secret Access Key (${EMULATOR_SECRET_ACCESS_KEY}) and signing method; x-amz-security-token: ${token ?? "none"}`;
  if (stream) {
    const exception = encodeEventMessage(
      { ":exception-type": "validationException", ":content-type": "application/json", ":message-type": "exception" },
      JSON.stringify({ message }),
    );
    return { status: 200, headers: { "content-type": "application/vnd.amazon.eventstream" }, frames: [exception] };
  }
  const refused = errorScript(403, undefined, undefined);
  return {
    ...refused,
    headers: { ...refused.headers, "x-amzn-errortype": "InvalidSignatureException:http://internal.amazon.com/coral/" },
    body: JSON.stringify({ message }),
  };
}

/** Titan Text Embeddings v2: one `inputText`, `dimensions` 256/512/1024. */
function invokeScript(body: Json): Script {
  if (typeof body.inputText !== "string" || body.inputText === "") {
    return {
      ...errorScript(400, undefined, undefined),
      body: JSON.stringify({ message: "Malformed input request: inputText is required" }),
    };
  }
  const dimensions = typeof body.dimensions === "number" ? body.dimensions : 1024;
  if (![256, 512, 1024].includes(dimensions)) {
    return {
      ...errorScript(400, undefined, undefined),
      body: JSON.stringify({
        message: `Malformed input request: #/dimensions: ${dimensions} is not a valid enum value`,
      }),
    };
  }
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      embedding: embeddingVector(body.inputText, dimensions),
      inputTextTokenCount: countTokens(body.inputText),
    }),
  };
}

/**
 * Cohere Rerank through InvokeModel: Cohere's `query`, `documents`, `top_n` and the `api_version`
 * (2) Bedrock requires; `results` back, with no billed units.
 */
function rerankInvokeScript(body: Json): Script {
  const documents: unknown[] = Array.isArray(body.documents) ? body.documents : [];
  const refusal =
    typeof body.api_version !== "number" || body.api_version < 2
      ? "Malformed input request: #: required key [api_version] not found"
      : typeof body.query !== "string" || body.query.trim() === ""
        ? "Malformed input request: #/query: expected minLength: 1"
        : documents.length === 0 || documents.length > 1000
          ? `Malformed input request: #/documents: expected between 1 and 1000 items, got ${documents.length}`
          : documents.some((d) => typeof d !== "string")
            ? "Malformed input request: #/documents: expected type: String"
            : undefined;
  if (refusal) return { ...errorScript(400, undefined, undefined), body: JSON.stringify({ message: refusal }) };
  const query = body.query as string;
  const ranked = (documents as string[])
    .map((text, index) => ({ index, relevance_score: relevance(query, text) }))
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: `emulated-bedrock-rerank-${counter.toString(36)}`,
      results: typeof body.top_n === "number" ? ranked.slice(0, body.top_n) : ranked,
    }),
  };
}

export const bedrockFormat: WireFormat = {
  name: "bedrock",
  matches: (rest, method) => method === "POST" && PATH.test(rest),
  authorized: (headers) =>
    SIGV4.test(headers.authorization ?? "") &&
    typeof headers["x-amz-date"] === "string" &&
    typeof headers["x-amz-content-sha256"] === "string",
  error: errorScript,
  handle: ({ rest, body, provider, fault, headers }) => {
    const [, encodedModel = "", operation] = PATH.exec(rest) ?? [];
    const model = decodeURIComponent(encodedModel);
    counter++;
    if (fault.echo_credentials) return credentialEcho(headers, operation === "converse-stream");
    if (operation === "invoke") return model.includes(".rerank-") ? rerankInvokeScript(body) : invokeScript(body);
    return converseScript(model, body, operation === "converse-stream", provider, fault);
  },
};

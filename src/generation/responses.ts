import type { UrlCitation } from "../providers/types";
import { type ResponsesRequest, WEB_SEARCH_TOOL_TYPES } from "../schema/responses";
import type { ServerToolCallRecord } from "../tools/server-tools";
import {
  type ChatChoice,
  type ChatChunk,
  type ChatReasoningDetail,
  type ChatToolCallDelta,
  type ChunkTranslator,
  citationsIn,
  type ReasoningBlock,
  reasoningBlocks,
  translateChatStream,
} from "./chat-events";
import type { CompletionReply } from "./reply-shape";
import type { RouterMetadata } from "./router-metadata";
import type { ReplyUsage } from "./usage";

/**
 * The Responses API's reply, translated from the chat path's (generation/chat.ts): the same
 * generation (routing, hold, settlement, cost, log line, /generation record), presented as a
 * Response object, or, streaming, as the Responses API's events built from the chat chunks.
 * The response's id is the generation's (`gen-…`), so `/generation?id=` finds it.
 */

/** What the chat reply's (or final chunk's) `usage` holds, as generation/usage.ts writes it. */
type ChatUsage = ReplyUsage;

/** The Responses API's `usage`, with OpenRouter's cost (what the generation was charged) beside it. */
export function responsesUsage(usage: ChatUsage) {
  const details = usage.cost_details;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: {
      cached_tokens: usage.prompt_tokens_details.cached_tokens,
      ...(usage.prompt_tokens_details.cache_write_tokens !== undefined
        ? { cache_write_tokens: usage.prompt_tokens_details.cache_write_tokens }
        : {}),
    },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details.reasoning_tokens },
    total_tokens: usage.total_tokens,
    cost: usage.cost,
    is_byok: false,
    ...(usage.server_tool_use_details ? { server_tool_use_details: usage.server_tool_use_details } : {}),
    ...(details
      ? {
          cost_details: {
            upstream_inference_cost: null,
            upstream_inference_input_cost: details.upstream_inference_prompt_cost,
            upstream_inference_output_cost: details.upstream_inference_completions_cost,
          },
        }
      : {}),
  };
}

type ResponseStatus = "completed" | "incomplete" | "failed" | "in_progress";
type ItemStatus = "completed" | "incomplete" | "in_progress";
type IncompleteDetails = { reason: "max_output_tokens" | "content_filter" } | null;

/** The parts of the reply's output, as OpenAI's Responses API has them (OpenRouter's reasoning fields beside). */
export interface ResponsesOutputText {
  type: "output_text";
  text: string;
  /** Web search results cited, flat as the Responses API has them (the SDK's URLCitation). */
  annotations: ResponsesUrlCitation[];
  logprobs: never[];
}
export interface ResponsesUrlCitation {
  type: "url_citation";
  url: string;
  title: string;
  content: string;
  start_index: number;
  end_index: number;
}
export interface ResponsesRefusal {
  type: "refusal";
  refusal: string;
}
export interface ResponsesMessageItem {
  type: "message";
  id: string;
  role: "assistant";
  status: ItemStatus;
  content: Array<ResponsesOutputText | ResponsesRefusal>;
}
export interface ResponsesReasoningItem {
  type: "reasoning";
  id: string;
  summary: Array<{ type: "summary_text"; text: string }>;
  encrypted_content?: string;
  signature?: string;
  format?: string;
  status: ItemStatus;
}
export interface ResponsesFunctionCallItem {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}
/** A call of OpenRouter's `openrouter:web_search` the gateway ran (its action as OpenAI's web_search_call's). */
export interface ResponsesWebSearchToolItem {
  type: "openrouter:web_search";
  id: string;
  status: ItemStatus;
  action?: WebSearchAction;
}
/** What a web search call searched for, and the pages it found. */
interface WebSearchAction {
  type: "search";
  query: string;
  sources: Array<{ type: "url"; url: string }>;
}
/**
 * A web search the gateway ran for OpenAI's own web search tool (`web_search`,
 * `web_search_preview`, …): the call as OpenAI lists it, `failed` where the model got an error result.
 */
export interface ResponsesWebSearchCallItem {
  type: "web_search_call";
  id: string;
  status: "in_progress" | "completed" | "failed";
  action?: WebSearchAction;
}
/**
 * A call of OpenRouter's `openrouter:web_fetch` the gateway ran: the page it read (its URL after
 * redirects, title and text, as the model got them), or the error the model got.
 */
export interface ResponsesWebFetchToolItem {
  type: "openrouter:web_fetch";
  id: string;
  status: ItemStatus;
  url?: string;
  title?: string;
  content?: string;
  error?: string;
  httpStatus?: number;
}
/** A model search (OpenRouter's `openrouter:experimental__search_models`) the gateway ran: its query and arguments. */
export interface ResponsesSearchModelsToolItem {
  type: "openrouter:experimental__search_models";
  id: string;
  status: ItemStatus;
  query?: string;
  arguments: string;
}
/** A call of OpenRouter's `openrouter:datetime` the gateway ran, with the time it told the model. */
export interface ResponsesDatetimeToolItem {
  type: "openrouter:datetime";
  id: string;
  status: ItemStatus;
  datetime: string;
  timezone: string;
}
export type ResponsesOutputItem =
  | ResponsesMessageItem
  | ResponsesReasoningItem
  | ResponsesFunctionCallItem
  | ResponsesWebSearchToolItem
  | ResponsesWebSearchCallItem
  | ResponsesWebFetchToolItem
  | ResponsesSearchModelsToolItem
  | ResponsesDatetimeToolItem;

/** A Response object, as `POST /responses` answers (and its stream's events carry). */
export interface ResponsesReply {
  id: string;
  object: "response";
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: IncompleteDetails;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  metadata: Record<string, string>;
  model: string;
  provider?: string;
  output: ResponsesOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: null;
  reasoning: { effort: string | null; summary: string | null } | null;
  service_tier: string;
  store: false;
  background: false;
  temperature: number | null;
  top_p: number | null;
  frequency_penalty: number | null;
  presence_penalty: number | null;
  text: { format: { type: string; [field: string]: unknown }; verbosity?: string };
  tool_choice: string | { type: string; name?: string };
  tools: Array<
    | {
        type: "function";
        name: string | undefined;
        description: string | null;
        parameters: Record<string, unknown> | null;
        strict: boolean | null;
      }
    | { type: string; [setting: string]: unknown }
  >;
  truncation: "disabled";
  user: string | null;
  usage: ReturnType<typeof responsesUsage> | null;
  /** The router's metadata, for a request that opted in (router-metadata.ts). */
  openrouter_metadata?: RouterMetadata;
}

/** The finish of a generation, as a Response's status. */
function statusOf(finishReason: string | null | undefined): {
  status: ResponseStatus;
  incomplete_details: IncompleteDetails;
} {
  if (finishReason === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (finishReason === "content_filter")
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

interface Snapshot {
  id: string;
  createdAt: number;
  model: string;
  provider: string | undefined;
  status: ResponseStatus;
  incomplete_details: IncompleteDetails;
  output: ResponsesOutputItem[];
  usage: ReturnType<typeof responsesUsage> | null;
  error: ResponsesReply["error"];
  /** The router's metadata, once done, for a request that opted in. */
  metadata?: RouterMetadata;
}

/** A Response object: the generation's state, with the request's settings echoed as OpenAI does. */
function responseObject(request: ResponsesRequest, s: Snapshot): ResponsesReply {
  const done = s.status !== "in_progress";
  return {
    id: s.id,
    object: "response",
    created_at: s.createdAt,
    completed_at: s.status === "completed" ? Math.floor(Date.now() / 1000) : null,
    status: s.status,
    error: s.error,
    incomplete_details: s.incomplete_details,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    metadata: request.metadata ?? {},
    model: s.model,
    ...(s.provider ? { provider: s.provider } : {}),
    output: s.output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: request.reasoning
      ? { effort: request.reasoning.effort ?? null, summary: request.reasoning.summary ?? null }
      : null,
    service_tier: request.service_tier ?? "auto",
    store: false,
    background: false,
    temperature: request.temperature ?? null,
    top_p: request.top_p ?? null,
    frequency_penalty: request.frequency_penalty ?? null,
    presence_penalty: request.presence_penalty ?? null,
    text: {
      format: request.text?.format ?? { type: "text" },
      ...(request.text?.verbosity ? { verbosity: request.text.verbosity } : {}),
    },
    tool_choice: request.tool_choice ?? "auto",
    tools: (request.tools ?? []).map((tool) =>
      // A server tool (or OpenAI's web search) as it was asked for; a function tool with OpenAI's fields.
      tool.type !== "function"
        ? { ...tool }
        : {
            type: "function",
            name: tool.name,
            description: tool.description ?? null,
            parameters: tool.parameters ?? null,
            strict: tool.strict ?? null,
          },
    ),
    truncation: "disabled",
    user: request.user ?? null,
    usage: done ? s.usage : null,
    ...(done && s.metadata ? { openrouter_metadata: s.metadata } : {}),
  };
}

/** Item ids, derived from the generation's id so that they are unique without more randomness. */
const itemId = (prefix: string, generationId: string, n = 0) =>
  `${prefix}_${generationId.replace(/^gen-/, "")}${n > 0 ? `_${n}` : ""}`;

const reasoningItem = (id: string, block: ReasoningBlock, status: ItemStatus): ResponsesReasoningItem => ({
  type: "reasoning",
  id,
  summary: block.text ? [{ type: "summary_text", text: block.text }] : [],
  ...(block.encrypted ? { encrypted_content: block.encrypted } : {}),
  ...(block.signature ? { signature: block.signature } : {}),
  ...(block.format ? { format: block.format } : {}),
  status,
});

const messageItem = (id: string, parts: ResponsesMessageItem["content"], status: ItemStatus): ResponsesMessageItem => ({
  type: "message",
  id,
  role: "assistant",
  status,
  content: parts,
});

/** A chat `url_citation` annotation as the Responses API's (its fields flat). */
const responsesCitation = ({ url_citation }: UrlCitation): ResponsesUrlCitation => ({
  type: "url_citation",
  ...url_citation,
});
const textPart = (text: string, cited?: UrlCitation[]): ResponsesOutputText => ({
  type: "output_text",
  text,
  annotations: cited ? cited.map(responsesCitation) : [],
  logprobs: [],
});
const refusalPart = (refusal: string): ResponsesRefusal => ({ type: "refusal", refusal });

const functionCallItem = (
  id: string,
  callId: string,
  name: string,
  args: string,
  status: ItemStatus,
): ResponsesFunctionCallItem => ({
  type: "function_call",
  id,
  call_id: callId,
  name,
  arguments: args,
  status,
});

/**
 * How a request's web searches are listed: as OpenAI's `web_search_call` items when it asked with
 * OpenAI's tool (`web_search_preview`…), as `openrouter:web_search` items when with OpenRouter's.
 */
type SearchListing = "web_search_call" | "openrouter:web_search";

const searchListingOf = (request: ResponsesRequest): SearchListing =>
  request.tools?.some((tool) => WEB_SEARCH_TOOL_TYPES.has(tool.type)) ? "web_search_call" : "openrouter:web_search";

/** A server-tool call the loop ran, as its output item (`id` given; `running` while it is listed as added). */
function serverToolItem(
  call: ServerToolCallRecord,
  id: string,
  listing: SearchListing,
  running = false,
):
  | ResponsesWebSearchToolItem
  | ResponsesWebSearchCallItem
  | ResponsesWebFetchToolItem
  | ResponsesSearchModelsToolItem
  | ResponsesDatetimeToolItem {
  const status = running ? "in_progress" : call.completed ? "completed" : "incomplete";
  if (call.kind === "datetime") {
    return { type: "openrouter:datetime", id, status, datetime: call.datetime, timezone: call.timezone };
  }
  if (call.kind === "search_models") {
    const query = call.query !== undefined ? { query: call.query } : {};
    return { type: "openrouter:experimental__search_models", id, status, ...query, arguments: call.arguments };
  }
  if (call.kind === "web_fetch") {
    // While it is listed as added, the URL alone: what it read comes with the item's done.
    const { kind: _kind, completed: _completed, failure: _failure, ...page } = call;
    return { type: "openrouter:web_fetch", id, status, ...(running ? { url: call.url } : page) };
  }
  // A call without a query (the model's arguments had none) searched nothing: no action.
  const action =
    call.query !== undefined
      ? {
          action: {
            type: "search" as const,
            query: call.query,
            sources: call.results.map(({ url }) => ({ type: "url" as const, url })),
          },
        }
      : {};
  if (listing === "web_search_call") {
    return { type: "web_search_call", id, status: status === "incomplete" ? "failed" : status, ...action };
  }
  return { type: "openrouter:web_search", id, status, ...action };
}

/** An item id's prefix for a server-tool call: OpenAI's for a web search call, and one for each other tool. */
const SERVER_TOOL_PREFIXES = { web_search: "ws", web_fetch: "wf", datetime: "dt", search_models: "sm" } as const;
const serverToolPrefix = (call: ServerToolCallRecord) => SERVER_TOOL_PREFIXES[call.kind];

/**
 * A non-streaming chat reply (CHAT_SHAPE) as a Response object; the server-tool calls its loop
 * ran (`serverCalls`) come first in its output, in the order they ran, as on OpenRouter.
 */
export function responseFromChat(
  request: ResponsesRequest,
  chat: CompletionReply<unknown>,
  serverCalls: readonly ServerToolCallRecord[] = [],
): ResponsesReply {
  const id = chat.id;
  const choice = (chat.choices as ChatChoice[])[0];
  const message = choice?.message ?? {};
  const { status, incomplete_details } = statusOf(choice?.finish_reason);
  const itemStatus = status === "completed" ? "completed" : "incomplete";
  const listing = searchListingOf(request);
  const output: ResponsesOutputItem[] = serverCalls.map((call, n) =>
    serverToolItem(call, itemId(serverToolPrefix(call), id, n), listing),
  );
  reasoningBlocks(message).forEach((block, index) => {
    output.push(reasoningItem(itemId("rs", id, index), block, itemStatus));
  });
  const parts: ResponsesMessageItem["content"] = [];
  if (message.content) parts.push(textPart(message.content, citationsIn(message.annotations)));
  if (message.refusal) parts.push(refusalPart(message.refusal));
  if (parts.length > 0) output.push(messageItem(itemId("msg", id), parts, itemStatus));
  (message.tool_calls ?? []).forEach((call, index) => {
    output.push(
      functionCallItem(itemId("fc", id, index), call.id, call.function.name, call.function.arguments, itemStatus),
    );
  });
  return responseObject(request, {
    id,
    createdAt: chat.created,
    model: chat.model,
    provider: chat.provider,
    status,
    incomplete_details,
    output,
    usage: responsesUsage(chat.usage),
    metadata: chat.openrouter_metadata,
    error: null,
  });
}

interface OpenItem {
  outputIndex: number;
  id: string;
}
interface ToolCallState extends OpenItem {
  callId: string;
  name: string;
  args: string;
  opened: boolean;
}

/**
 * The chat stream's chunks (SSE, as streaming/chat-stream.ts writes them) as the Responses API's
 * events, each with its `sequence_number`. Per chunk: one JSON parse and a few small writes; the
 * texts are kept whole only to repeat them in the `done` events and the final Response.
 */
export function responsesEventStream(
  chat: ReadableStream<Uint8Array>,
  request: ResponsesRequest,
  /** The server-tool calls the chat request's loop runs (filled as they run): all run by the answer's first chunk. */
  serverCalls: readonly ServerToolCallRecord[] = [],
): ReadableStream<Uint8Array> {
  return translateChatStream(chat, new ResponsesStreamState(request, serverCalls));
}

class ResponsesStreamState implements ChunkTranslator {
  private sequence = 0;
  private out = "";
  private id = "";
  private createdAt = 0;
  private model = "";
  private provider: string | undefined;
  private readonly output: ResponsesOutputItem[] = [];
  private nextIndex = 0;
  private reasoning: (OpenItem & ReasoningBlock) | undefined;
  private message:
    | (OpenItem & { text: string; refusal: string; textIndex: number; refusalIndex: number; cited: UrlCitation[] })
    | undefined;
  private readonly tools = new Map<number, ToolCallState>();
  private finishReason: string | null = null;
  private started = false;
  private ended = false;

  constructor(
    private readonly request: ResponsesRequest,
    private readonly serverCalls: readonly ServerToolCallRecord[],
  ) {}

  /** The events for one chat chunk, serialised. */
  chunk(chunk: ChatChunk): string {
    this.out = "";
    if (this.ended) return "";
    // `debug.echo_upstream_body`: OpenRouter's `response.debug`, ahead of the response's events.
    if (chunk.debug) {
      this.emit("response.debug", { debug: chunk.debug });
      return this.out;
    }
    if (!this.started) {
      this.start(chunk);
      this.listServerCalls();
    }
    const choice = chunk.choices.find((c) => c.index === 0);
    if (choice) {
      const { delta } = choice;
      if (delta.reasoning) this.reasoningDelta(delta.reasoning);
      if (delta.reasoning_details) for (const detail of delta.reasoning_details) this.reasoningDetail(detail);
      if (delta.content) this.textDelta(delta.content);
      if (delta.refusal) this.refusalDelta(delta.refusal);
      const cited = citationsIn(delta.annotations);
      if (cited?.length) this.annotationsDelta(cited);
      if (delta.tool_calls) for (const call of delta.tool_calls) this.toolCallDelta(call);
      if (choice.finish_reason && choice.finish_reason !== "error") this.finishReason = choice.finish_reason;
    }
    if (chunk.error) this.fail(chunk);
    else if (chunk.usage) this.complete(chunk.usage, chunk.openrouter_metadata);
    return this.out;
  }

  private emit(type: string, fields: object): void {
    const event = { type, sequence_number: this.sequence++, ...fields };
    this.out += `event: ${type}\ndata: ${JSON.stringify(event)}\n\n`;
  }

  private snapshot(status: ResponseStatus, extra: Partial<Snapshot> = {}): ResponsesReply {
    return responseObject(this.request, {
      id: this.id,
      createdAt: this.createdAt,
      model: this.model,
      provider: this.provider,
      status,
      incomplete_details: null,
      output: status === "in_progress" ? [] : this.output,
      usage: null,
      error: null,
      ...extra,
    });
  }

  private start(chunk: ChatChunk): void {
    this.started = true;
    this.id = chunk.id;
    this.createdAt = chunk.created;
    this.model = chunk.model;
    this.provider = chunk.provider;
    const response = this.snapshot("in_progress");
    this.emit("response.created", { response });
    this.emit("response.in_progress", { response });
  }

  /**
   * The server-tool calls, each an item added and done ahead of the answer's: a loop's stream
   * sends its answer once the loop has ended (keep-alive comments until then), so all have run.
   */
  private listServerCalls(): void {
    const listing = searchListingOf(this.request);
    for (const call of this.serverCalls) {
      const item = this.open(serverToolPrefix(call), serverToolItem(call, "", listing, true));
      const done = serverToolItem(call, item.id, listing);
      if (done.type === "web_search_call") {
        // OpenAI's own events of a search's progress, as a client that shows it reads them.
        const at = { output_index: item.outputIndex, item_id: item.id };
        this.emit("response.web_search_call.in_progress", at);
        this.emit("response.web_search_call.searching", at);
        if (done.status === "completed") this.emit("response.web_search_call.completed", at);
      }
      this.done(item, done);
    }
  }

  private open(prefix: string, item: ResponsesOutputItem): OpenItem {
    const outputIndex = this.nextIndex++;
    const id = itemId(prefix, this.id, outputIndex);
    this.emit("response.output_item.added", { output_index: outputIndex, item: { ...item, id } });
    return { outputIndex, id };
  }

  private openReasoning() {
    this.reasoning ??= { ...this.open("rs", reasoningItem("", { text: "" }, "in_progress")), text: "" };
    return this.reasoning;
  }

  private reasoningDelta(delta: string): void {
    // Text after a signed (or redacted) block starts the next block.
    if (this.reasoning?.signature || this.reasoning?.encrypted) this.closeReasoning("completed");
    const r = this.openReasoning();
    if (!r.text) {
      this.emit("response.reasoning_summary_part.added", {
        item_id: r.id,
        output_index: r.outputIndex,
        summary_index: 0,
        part: { type: "summary_text", text: "" },
      });
    }
    r.text += delta;
    this.emit("response.reasoning_summary_text.delta", {
      item_id: r.id,
      output_index: r.outputIndex,
      summary_index: 0,
      delta,
    });
  }

  /** What a reasoning block needs to be continued from: its signature, or its encrypted form. */
  private reasoningDetail(detail: ChatReasoningDetail): void {
    if (detail.type === "reasoning.encrypted") {
      if (!detail.data) return;
      const r = this.reasoning;
      if (r && (r.text || r.signature || r.encrypted)) this.closeReasoning("completed");
      const block = this.openReasoning();
      block.encrypted = detail.data;
      block.format = detail.format ?? block.format;
    } else if (detail.signature) {
      const block = this.openReasoning();
      block.signature = detail.signature;
      block.format = detail.format ?? block.format;
    } else if (detail.format && this.reasoning) {
      this.reasoning.format ??= detail.format;
    }
  }

  private closeReasoning(status: ItemStatus): void {
    const r = this.reasoning;
    if (!r) return;
    this.reasoning = undefined;
    const at = { item_id: r.id, output_index: r.outputIndex, summary_index: 0 };
    if (r.text) {
      this.emit("response.reasoning_summary_text.done", { ...at, text: r.text });
      this.emit("response.reasoning_summary_part.done", { ...at, part: { type: "summary_text", text: r.text } });
    }
    this.done(r, reasoningItem(r.id, r, status));
  }

  private openMessage() {
    this.closeReasoning("completed");
    this.message ??= {
      ...this.open("msg", messageItem("", [], "in_progress")),
      text: "",
      refusal: "",
      textIndex: -1,
      refusalIndex: -1,
      cited: [],
    };
    return this.message;
  }

  private contentCount(m: NonNullable<ResponsesStreamState["message"]>): number {
    return (m.textIndex >= 0 ? 1 : 0) + (m.refusalIndex >= 0 ? 1 : 0);
  }

  /** The message's output_text part, announced when first needed. */
  private textPartOf(m: NonNullable<ResponsesStreamState["message"]>): number {
    if (m.textIndex < 0) {
      m.textIndex = this.contentCount(m);
      this.emit("response.content_part.added", {
        item_id: m.id,
        output_index: m.outputIndex,
        content_index: m.textIndex,
        part: textPart(""),
      });
    }
    return m.textIndex;
  }

  private textDelta(delta: string): void {
    const m = this.openMessage();
    const contentIndex = this.textPartOf(m);
    m.text += delta;
    this.emit("response.output_text.delta", {
      item_id: m.id,
      output_index: m.outputIndex,
      content_index: contentIndex,
      delta,
      logprobs: [],
    });
  }

  /** Web search citations (sent after the text they cite): one `annotation.added` event each, on the output_text. */
  private annotationsDelta(cited: UrlCitation[]): void {
    const m = this.openMessage();
    const contentIndex = this.textPartOf(m);
    for (const citation of cited) {
      this.emit("response.output_text.annotation.added", {
        item_id: m.id,
        output_index: m.outputIndex,
        content_index: contentIndex,
        annotation_index: m.cited.length,
        annotation: responsesCitation(citation),
      });
      m.cited.push(citation);
    }
  }

  private refusalDelta(delta: string): void {
    const m = this.openMessage();
    if (m.refusalIndex < 0) {
      m.refusalIndex = this.contentCount(m);
      this.emit("response.content_part.added", {
        item_id: m.id,
        output_index: m.outputIndex,
        content_index: m.refusalIndex,
        part: refusalPart(""),
      });
    }
    m.refusal += delta;
    this.emit("response.refusal.delta", {
      item_id: m.id,
      output_index: m.outputIndex,
      content_index: m.refusalIndex,
      delta,
    });
  }

  private closeMessage(status: ItemStatus): void {
    const m = this.message;
    if (!m) return;
    this.message = undefined;
    const parts: ResponsesMessageItem["content"] = [];
    const at = { item_id: m.id, output_index: m.outputIndex };
    // In content_index order.
    const order = m.refusalIndex >= 0 && m.refusalIndex < m.textIndex ? ["refusal", "text"] : ["text", "refusal"];
    for (const kind of order) {
      if (kind === "text" && m.textIndex >= 0) {
        const part = textPart(m.text, m.cited);
        this.emit("response.output_text.done", { ...at, content_index: m.textIndex, text: m.text, logprobs: [] });
        this.emit("response.content_part.done", { ...at, content_index: m.textIndex, part });
        parts.push(part);
      } else if (kind === "refusal" && m.refusalIndex >= 0) {
        const part = refusalPart(m.refusal);
        this.emit("response.refusal.done", { ...at, content_index: m.refusalIndex, refusal: m.refusal });
        this.emit("response.content_part.done", { ...at, content_index: m.refusalIndex, part });
        parts.push(part);
      }
    }
    this.done(m, messageItem(m.id, parts, status));
  }

  private toolCallDelta(call: ChatToolCallDelta): void {
    let tool = this.tools.get(call.index);
    if (!tool) {
      this.closeReasoning("completed");
      this.closeMessage("completed");
      tool = { outputIndex: -1, id: "", callId: "", name: "", args: "", opened: false };
      this.tools.set(call.index, tool);
    }
    if (call.id && !tool.callId) tool.callId = call.id;
    if (call.function?.name && !tool.name) tool.name = call.function.name;
    const piece = call.function?.arguments ?? "";
    tool.args += piece;
    // The item is announced once its name is known (some providers name it on a later delta);
    // arguments that came before then go out in one delta with it.
    if (!tool.opened && tool.name) this.openTool(tool);
    else if (tool.opened && piece) this.argumentsDelta(tool, piece);
  }

  private openTool(tool: ToolCallState): void {
    tool.opened = true;
    Object.assign(tool, this.open("fc", functionCallItem("", tool.callId, tool.name, "", "in_progress")));
    if (tool.args) this.argumentsDelta(tool, tool.args);
  }

  private argumentsDelta(tool: ToolCallState, delta: string): void {
    this.emit("response.function_call_arguments.delta", { item_id: tool.id, output_index: tool.outputIndex, delta });
  }

  private closeTools(status: ItemStatus): void {
    for (const tool of this.tools.values()) {
      if (!tool.opened) this.openTool(tool);
      this.emit("response.function_call_arguments.done", {
        item_id: tool.id,
        output_index: tool.outputIndex,
        name: tool.name,
        arguments: tool.args,
      });
      this.done(tool, functionCallItem(tool.id, tool.callId, tool.name, tool.args, status));
    }
    this.tools.clear();
  }

  private done(item: OpenItem, whole: ResponsesOutputItem): void {
    this.output[item.outputIndex] = whole;
    this.emit("response.output_item.done", { output_index: item.outputIndex, item: whole });
  }

  private closeAll(status: ItemStatus): void {
    this.closeReasoning(status);
    this.closeMessage(status);
    this.closeTools(status);
  }

  private complete(usage: ChatUsage, metadata: RouterMetadata | undefined): void {
    this.ended = true;
    const { status, incomplete_details } = statusOf(this.finishReason);
    this.closeAll(status === "completed" ? "completed" : "incomplete");
    const response = this.snapshot(status, { incomplete_details, usage: responsesUsage(usage), metadata });
    this.emit(status === "completed" ? "response.completed" : "response.incomplete", { response });
  }

  /** A failure after the stream started: an `error` event, then the Response as failed, with what it cost. */
  private fail(chunk: ChatChunk): void {
    this.ended = true;
    this.closeAll("incomplete");
    const error = chunk.error as NonNullable<ChatChunk["error"]>;
    const errorType = error.metadata?.error_type ?? "server_error";
    this.emit("error", { code: errorType, message: error.message, param: null });
    // The Response's error code is one of OpenAI's; OpenRouter's error_type is the event's.
    const code = errorType === "rate_limit_exceeded" ? errorType : "server_error";
    const response = this.snapshot("failed", {
      error: { code, message: error.message },
      usage: chunk.usage ? responsesUsage(chunk.usage) : null,
    });
    this.emit("response.failed", { response });
  }
}

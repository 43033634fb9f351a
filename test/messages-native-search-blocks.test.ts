import type Anthropic from "@anthropic-ai/sdk";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { anthropicClient, streamedMessage, withoutBlockIds } from "./support/anthropic-client";
import { postWithSettings } from "./support/app-with-settings";
import { fundedAccount, nonce } from "./support/gateway";

/**
 * The searches Claude runs natively on Anthropic's endpoint (Anthropic's web search tool, sent for
 * `openrouter:web_search`) shown in a `POST /messages` reply as Anthropic returned them: a
 * `server_tool_use` block and its `web_search_tool_result` per search, ahead of the text, whole
 * or streamed, in turn order among the loop's own calls. Chat and /responses replies do not
 * change: they show native searches by their citations and their count.
 */

const MODEL = "anthropic/claude-haiku-4.5";
const ANTHROPIC_ONLY = { provider: { only: ["anthropic"] } };
const SEARCH_TOOL = { type: "web_search_20250305", name: "web_search" } as const;
const FETCH_TOOL = { type: "web_fetch_20250910", name: "web_fetch" } as unknown as Anthropic.ToolUnion;
/** What Anthropic's emulator returns for a search: one page, and the query is the user's text. */
const EMULATED_PAGE = {
  type: "web_search_result",
  url: "https://example.com/emulated-result",
  title: "Emulated result on example.com",
  encrypted_content: "",
  page_age: null,
};
const EXA_PATH = "exa-messages-native-search-blocks-test";

let key: string;
let client: Anthropic;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
  client = anthropicClient(key);
});

/** A /messages request on Claude through Anthropic with its web search tool (OpenRouter's `provider` rides along). */
const params = (text: string, tools: Anthropic.ToolUnion[] = [SEARCH_TOOL]) =>
  ({
    model: MODEL,
    max_tokens: 30,
    messages: [{ role: "user" as const, content: text }],
    tools,
    ...ANTHROPIC_ONLY,
  }) as Anthropic.MessageCreateParamsNonStreaming;

describe("POST /messages: Claude's native searches as Anthropic's server tool blocks", () => {
  it("whole: server_tool_use with Claude's query, then web_search_tool_result with the pages Anthropic returned, then the text", async () => {
    const text = `search the web for ${nonce()}`;
    const message = await client.messages.create(params(text));
    expect(message.content.map((block) => block.type)).toEqual(["server_tool_use", "web_search_tool_result", "text"]);
    const [use, result, answer] = message.content as [
      Anthropic.ServerToolUseBlock,
      Anthropic.WebSearchToolResultBlock,
      Anthropic.TextBlock,
    ];
    expect(use).toEqual({
      type: "server_tool_use",
      id: expect.stringMatching(/^srvtoolu_/),
      name: "web_search",
      input: { query: text },
    });
    expect(result).toEqual({ type: "web_search_tool_result", tool_use_id: use.id, content: [EMULATED_PAGE] });
    expect(answer.citations).toEqual([
      expect.objectContaining({ type: "web_search_result_location", url: EMULATED_PAGE.url }),
    ]);
    // The search is counted once, as before.
    expect(message.usage.server_tool_use).toEqual({ web_search_requests: 1 });
  });

  it("streamed: the blocks at their own indexes before the text's, and finalMessage() is the whole reply's content", async () => {
    const text = `search the web for ${nonce()}`;
    const whole = await client.messages.create(params(text));
    const { events, message: streamed } = await streamedMessage(client, params(text));
    const starts = events.filter((e) => e.type === "content_block_start");
    expect(starts.map((e) => [e.index, e.content_block.type])).toEqual([
      [0, "server_tool_use"],
      [1, "web_search_tool_result"],
      [2, "text"],
    ]);
    expect(streamed.content[0]).toMatchObject({ type: "server_tool_use", name: "web_search", input: { query: text } });
    expect(streamed.content[1]).toMatchObject({ content: [EMULATED_PAGE] });
    expect(withoutBlockIds(streamed.content)).toEqual(withoutBlockIds(whole.content));
    expect(streamed.usage.server_tool_use).toEqual({ web_search_requests: 1 });
  });

  it("a search Anthropic failed: web_search_tool_result_error with Anthropic's own error_code, and the text after it", async () => {
    const marker = nonce();
    const message = await client.messages.create(
      params(`search the web for ${marker} [[emulate search_error=too_many_requests]]`),
    );
    expect(message.content.map((block) => block.type)).toEqual(["server_tool_use", "web_search_tool_result", "text"]);
    const [use, result] = message.content as [Anthropic.ServerToolUseBlock, Anthropic.WebSearchToolResultBlock];
    expect((use.input as { query: string }).query).toContain(marker);
    expect(result).toEqual({
      type: "web_search_tool_result",
      tool_use_id: use.id,
      content: { type: "web_search_tool_result_error", error_code: "too_many_requests" },
    });
    expect(message.usage.server_tool_use).toEqual({ web_search_requests: 0 });
  });

  it("among the loop's calls, in turn order: each turn's native search before the fetch that turn made, each pair its own id", async () => {
    const url = `https://docs.example.com/guide/${nonce()}`;
    const text = `use the tool to read ${url}`;
    const response = await postWithSettings(
      { EXA_BASE_URL: `${inject("emulatorUrl")}/${EXA_PATH}` },
      "/messages",
      key,
      params(text, [SEARCH_TOOL, FETCH_TOOL]),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    // Turn 1 searched natively then called the fetch; turn 2, given the page, searched again and answered.
    expect(body.content.map((block: any) => [block.type, block.name ?? null])).toEqual([
      ["server_tool_use", "web_search"],
      ["web_search_tool_result", null],
      ["server_tool_use", "web_fetch"],
      ["web_fetch_tool_result", null],
      ["server_tool_use", "web_search"],
      ["web_search_tool_result", null],
      ["text", null],
    ]);
    const uses = body.content.filter((block: any) => block.type === "server_tool_use");
    expect(new Set(uses.map((use: any) => use.id)).size).toBe(3);
    const results = body.content.filter((block: any) => block.type.endsWith("_tool_result"));
    expect(results.map((result: any) => result.tool_use_id)).toEqual(uses.map((use: any) => use.id));
    expect(uses[1].input).toEqual({ url });
    expect(results[0].content).toEqual([EMULATED_PAGE]);
    expect(results[1].content).toMatchObject({ type: "web_fetch_result", url });
    expect(body.usage.server_tool_use).toEqual({ web_search_requests: 2 });
  });
});

describe("Claude's native searches elsewhere: chat and /responses replies unchanged", () => {
  it("/chat/completions: the body and message have their usual keys only, the search counted, no call counted", async () => {
    const response = await postWithSettings({}, "/chat/completions", key, {
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: `search the web for ${nonce()}` }],
      tools: [{ type: "openrouter:web_search" }],
      ...ANTHROPIC_ONLY,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(Object.keys(body).sort()).toEqual([
      "choices",
      "created",
      "id",
      "model",
      "object",
      "provider",
      "system_fingerprint",
      "usage",
    ]);
    expect(Object.keys(body.choices[0]).sort()).toEqual(["finish_reason", "index", "message", "native_finish_reason"]);
    expect(Object.keys(body.choices[0].message).sort()).toEqual(["annotations", "content", "role"]);
    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 0,
      tool_calls_executed: 0,
      web_search_requests: 1,
    });
  });

  it("/responses: the native search is not an output item; the message cites it", async () => {
    const response = await postWithSettings({}, "/responses", key, {
      model: MODEL,
      max_output_tokens: 30,
      input: `search the web for ${nonce()}`,
      tools: [{ type: "web_search_preview" }],
      ...ANTHROPIC_ONLY,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.output.map((item: any) => item.type)).toEqual(["message"]);
    expect(body.output[0].content[0].annotations).toEqual([
      expect.objectContaining({ type: "url_citation", url: EMULATED_PAGE.url }),
    ]);
  });
});

import type Anthropic from "@anthropic-ai/sdk";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { anthropicClient, streamedMessage, withoutBlockIds } from "./support/anthropic-client";
import { postWithSettings } from "./support/app-with-settings";
import { emulatorRequests, fundedAccount, nonce } from "./support/gateway";
import { SEARCH_MODEL } from "./support/search-prices";

/**
 * The searches and fetches the gateway runs for a `POST /messages` request (Anthropic's web search
 * and fetch tools, run by the server-tool loop) shown in the Message as Anthropic shows its own:
 * a `server_tool_use` block and its `web_search_tool_result` / `web_fetch_tool_result` block per
 * call, ahead of the answer's text, whole or streamed. Claude Code's WebSearch tool reads them.
 */

const MODEL = SEARCH_MODEL;
const SEARCH_TOOL = { type: "web_search_20250305", name: "web_search" } as const;
const FETCH_TOOL = { type: "web_fetch_20250910", name: "web_fetch" } as unknown as Anthropic.ToolUnion;
/** This file's path to Exa's emulator (test files run side by side; each tells its own calls). */
const EXA_PATH = "exa-messages-search-blocks-test";

let key: string;
let client: Anthropic;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
  client = anthropicClient(key);
});

/** A prompt whose emulated model searches for `query` (a word), once or "twice" in one turn. */
const searchPrompt = (query: string, twice = false) =>
  `search ${twice ? "twice " : ""}the web [[emulate query=${query}]]`;

/** What Exa's emulator answers a query with: result i's URL host and title (its URLs' path is a hash of the query). */
const exaResult = (query: string, i: number) => ({
  host: `source${i}.example.com`,
  title: `Source ${i} on ${query}`,
});

/** `body` POSTed to /messages on the app run with `settings` (Exa elsewhere, …). */
const postMessages = (settings: Record<string, string>, body: Record<string, unknown>) =>
  postWithSettings(settings, "/messages", key, { model: MODEL, max_tokens: 30, ...body });

describe("POST /messages: the gateway's searches as Anthropic's server tool blocks", () => {
  it("a search: server_tool_use then web_search_tool_result (Exa's URLs and titles), then the text citing them", async () => {
    const query = nonce();
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: searchPrompt(query) }],
      tools: [{ ...SEARCH_TOOL, max_uses: 2 }],
    });
    expect(message.content.map((block) => block.type)).toEqual(["server_tool_use", "web_search_tool_result", "text"]);
    const [use, result, text] = message.content;
    if (use?.type !== "server_tool_use" || result?.type !== "web_search_tool_result" || text?.type !== "text") {
      throw new Error("unexpected blocks");
    }
    expect(use.id).toMatch(/^srvtoolu_/);
    expect(use.name).toBe("web_search");
    expect(use.input).toEqual({ query });
    expect(result.tool_use_id).toBe(use.id);
    if (!Array.isArray(result.content)) throw new Error(`expected results, got ${JSON.stringify(result.content)}`);
    // Exa was asked the model's query; the results are what it answered (5 by default), in its order.
    const exa = (await emulatorRequests(query)).filter((call) => call.provider === "exa");
    expect(exa.map((call) => (call.body as any).query)).toEqual([query]);
    expect(result.content).toHaveLength(5);
    result.content.forEach((page, i) => {
      const expected = exaResult(query, i + 1);
      expect(page).toEqual({
        type: "web_search_result",
        url: expect.stringMatching(new RegExp(`^https://${expected.host}/`)),
        title: expected.title,
        encrypted_content: "",
        page_age: null,
      });
    });
    // The text cites the same pages.
    const cited = (text.citations ?? []).map((c) => (c.type === "web_search_result_location" ? c.url : ""));
    expect(cited.length).toBeGreaterThan(0);
    for (const url of cited) expect(result.content.map((page) => page.url)).toContain(url);
    expect(message.usage.server_tool_use).toEqual({ web_search_requests: 1 });
  });

  it("streamed: the blocks at their own indexes before the text's, and the SDK rebuilds the whole reply's content", async () => {
    const query = nonce();
    const params = {
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user" as const, content: searchPrompt(query) }],
      tools: [SEARCH_TOOL],
    };
    const whole = await client.messages.create(params);
    const { events, message: streamed } = await streamedMessage(client, params);

    const starts = events.filter((e) => e.type === "content_block_start");
    expect(starts.map((e) => [e.index, e.content_block.type])).toEqual([
      [0, "server_tool_use"],
      [1, "web_search_tool_result"],
      [2, "text"],
    ]);
    // The call opens with an empty input, its input comes as one JSON delta, and the block closes.
    expect((starts[0]!.content_block as Anthropic.ServerToolUseBlock).input).toEqual({});
    const deltas = events.filter((e) => e.type === "content_block_delta" && e.index === 0);
    expect(deltas.map((e) => (e as Anthropic.RawContentBlockDeltaEvent).delta)).toEqual([
      { type: "input_json_delta", partial_json: JSON.stringify({ query }) },
    ]);
    const stops = events.filter((e) => e.type === "content_block_stop").map((e) => e.index);
    expect(stops).toEqual([0, 1, 2]);

    // The SDK's snapshot is the whole reply's content (ids aside: each reply's are its own).
    expect(streamed.content[0]).toMatchObject({ type: "server_tool_use", input: { query } });
    expect(withoutBlockIds(streamed.content)).toEqual(withoutBlockIds(whole.content));
    const [use, result] = streamed.content as [Anthropic.ServerToolUseBlock, Anthropic.WebSearchToolResultBlock];
    expect(result.tool_use_id).toBe(use.id);
    expect(use.id).not.toBe((whole.content[0] as Anthropic.ServerToolUseBlock).id);
  });

  it("a call past max_uses: its result is web_search_tool_result_error max_uses_exceeded; each pair has its own id", async () => {
    const query = nonce();
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: searchPrompt(query, true) }],
      tools: [{ ...SEARCH_TOOL, max_uses: 1 }],
    });
    expect(message.content.map((block) => block.type)).toEqual([
      "server_tool_use",
      "web_search_tool_result",
      "server_tool_use",
      "web_search_tool_result",
      "text",
    ]);
    const [first, firstResult, second, secondResult] = message.content as [
      Anthropic.ServerToolUseBlock,
      Anthropic.WebSearchToolResultBlock,
      Anthropic.ServerToolUseBlock,
      Anthropic.WebSearchToolResultBlock,
    ];
    expect(first.id).not.toBe(second.id);
    expect([firstResult.tool_use_id, secondResult.tool_use_id]).toEqual([first.id, second.id]);
    expect(Array.isArray(firstResult.content)).toBe(true);
    expect(secondResult.content).toEqual({ type: "web_search_tool_result_error", error_code: "max_uses_exceeded" });
    expect(message.usage.server_tool_use).toEqual({ web_search_requests: 1 });
  });

  it("a search that failed (Exa unreachable): web_search_tool_result_error unavailable, and the answer after it", async () => {
    const query = nonce();
    const response = await postMessages(
      { EXA_BASE_URL: `${inject("emulatorUrl")}/nowhere/at-all` },
      { messages: [{ role: "user", content: searchPrompt(query) }], tools: [SEARCH_TOOL] },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.content.map((block: any) => block.type)).toEqual(["server_tool_use", "web_search_tool_result", "text"]);
    expect(body.content[0].input).toEqual({ query });
    expect(body.content[1]).toEqual({
      type: "web_search_tool_result",
      tool_use_id: body.content[0].id,
      content: { type: "web_search_tool_result_error", error_code: "unavailable" },
    });
    expect(body.content[2].citations).toBeUndefined();
  });

  it("a fetch: server_tool_use web_fetch {url} then web_fetch_tool_result with the page as a text document", async () => {
    const marker = nonce();
    const url = `https://docs.example.com/guide/${marker}`;
    const response = await postMessages(
      { EXA_BASE_URL: `${inject("emulatorUrl")}/${EXA_PATH}` },
      { messages: [{ role: "user", content: `use the tool to read ${url}` }], tools: [FETCH_TOOL] },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.content.map((block: any) => block.type)).toEqual(["server_tool_use", "web_fetch_tool_result", "text"]);
    const [use, result] = body.content;
    expect(use).toEqual({
      type: "server_tool_use",
      id: expect.stringMatching(/^srvtoolu_/),
      name: "web_fetch",
      input: { url },
    });
    expect(result).toEqual({
      type: "web_fetch_tool_result",
      tool_use_id: use.id,
      content: {
        type: "web_fetch_result",
        url,
        content: {
          type: "document",
          source: { type: "text", media_type: "text/plain", data: expect.stringContaining(`Content of ${url}`) },
          title: `Page ${marker}`,
          citations: null,
        },
        retrieved_at: null,
      },
    });
    // A page that is not there: the fetch's error form.
    const missing = await postMessages(
      { EXA_BASE_URL: `${inject("emulatorUrl")}/${EXA_PATH}` },
      {
        messages: [{ role: "user", content: `use the tool to read https://docs.example.com/missing/${nonce()}` }],
        tools: [FETCH_TOOL],
      },
    );
    const failed = (await missing.json()) as any;
    expect(failed.content[1].content).toEqual({
      type: "web_fetch_tool_result_error",
      error_code: "url_not_accessible",
    });
  });

  it("streamed, a fetch's blocks are rebuilt by the SDK as the whole reply has them", async () => {
    const url = `https://docs.example.com/guide/${nonce()}`;
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: `use the tool to read ${url}` }],
      tools: [FETCH_TOOL],
    });
    const message = await stream.finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(["server_tool_use", "web_fetch_tool_result", "text"]);
    expect(message.content[0]).toMatchObject({ name: "web_fetch", input: { url } });
    expect(message.content[1]).toMatchObject({ content: { type: "web_fetch_result", url } });
  });

  it("OpenRouter's datetime tool has no Anthropic block: only the searches are shown", async () => {
    const query = nonce();
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: `${searchPrompt(query)} and use the clock` }],
      tools: [{ type: "openrouter:datetime" } as unknown as Anthropic.ToolUnion],
    });
    // The clock was called (a second turn was asked for the answer), and is not shown.
    expect((await emulatorRequests(query)).filter((call) => call.provider !== "exa")).toHaveLength(2);
    expect(message.content.map((block) => block.type)).toEqual(["text"]);
  });

  it("the reply's content sent back as the assistant turn of the next request is accepted", async () => {
    const query = nonce();
    const first = await client.messages.create({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: searchPrompt(query) }],
      tools: [SEARCH_TOOL],
    });
    expect(first.content[0]?.type).toBe("server_tool_use");
    const marker = nonce();
    const next = await client.messages.create({
      model: MODEL,
      max_tokens: 30,
      messages: [
        { role: "user", content: searchPrompt(query) },
        { role: "assistant", content: first.content },
        { role: "user", content: `thanks ${marker}` },
      ],
      tools: [SEARCH_TOOL],
    });
    expect(next.type).toBe("message");
    // The blocks were dropped on the way to the model; the text was kept.
    const [call] = (await emulatorRequests(marker)).filter((c) => c.provider !== "exa");
    const sent = JSON.stringify((call!.body as any).messages);
    expect(sent).not.toContain("srvtoolu_");
  });
});

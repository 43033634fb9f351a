import type Anthropic from "@anthropic-ai/sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { anthropicClient } from "./support/anthropic-client";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  recordedGeneration,
  searchCalls,
} from "./support/gateway";
import { SEARCH_MODEL } from "./support/search-prices";

/**
 * OpenRouter's server tools on `POST /messages` (its Messages request takes `openrouter:*` tools):
 * the chat path's loop runs them, and the Message is its answer, with the searches counted in
 * Anthropic's `usage.server_tool_use` and the results cited on its text.
 */

const MODEL = SEARCH_MODEL;

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

function post(body: Record<string, unknown>) {
  return gatewayFetch(`${BASE}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ model: MODEL, max_tokens: 30, ...body }),
  });
}

describe("POST /messages with OpenRouter's server tools", () => {
  it("openrouter:web_search: the search runs, the answer cites it, usage counts it, the cost is the record's", async () => {
    const marker = nonce();
    const response = await post({
      messages: [{ role: "user", content: `search the web for ${marker}` }],
      tools: [{ type: "openrouter:web_search", parameters: { max_results: 2 } }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const { model } = await searchCalls(marker);
    expect(model).toHaveLength(2);
    expect((model[0]!.body as any).tools[0].function.name).toBe("web_search");
    expect((model[1]!.body as any).messages.at(-1).content).toContain('Result 1 for "weather"');

    expect(body.stop_reason).toBe("end_turn");
    // The search as Anthropic shows its own (messages-search-blocks.test.ts), then the answer.
    expect(body.content.map((block: any) => block.type)).toEqual(["server_tool_use", "web_search_tool_result", "text"]);
    expect(body.content[2].citations).toHaveLength(2);
    expect(body.content[2].citations[0]).toMatchObject({
      type: "web_search_result_location",
      url: expect.stringContaining("https://source1.example.com/"),
    });
    expect(body.usage.server_tool_use).toEqual({ web_search_requests: 1 });
    const record = await recordedGeneration(key, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 12);
  });

  it("streams through Anthropic's SDK: the answer, and the searches counted in the final usage", async () => {
    const client = anthropicClient(key);
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: `search the web for ${nonce()}` }],
      tools: [{ type: "openrouter:web_search" } as unknown as Anthropic.Tool],
    });
    const message = await stream.finalMessage();
    expect(message.content.at(-1)?.type).toBe("text");
    expect(message.usage.server_tool_use).toEqual({ web_search_requests: 1 });
  });

  it("openrouter:datetime with stop_server_tools_when: one turn calls the clock, the next answers", async () => {
    const marker = nonce();
    const response = await post({
      messages: [{ role: "user", content: `use the clock for ${marker} [[emulate tool_rounds=10]]` }],
      tools: [{ type: "openrouter:datetime", parameters: { timezone: "Europe/Paris" } }],
      stop_server_tools_when: [{ type: "step_count_is", step_count: 1 }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.content.some((block: any) => block.type === "tool_use")).toBe(false);
    const { model } = await searchCalls(marker);
    expect(model).toHaveLength(2);
    const told = JSON.parse((model[1]!.body as any).messages.at(-1).content);
    expect(told.timezone).toBe("Europe/Paris");
    expect((model[1]!.body as any).tool_choice).toBe("none");
    // No search ran: no count of searches.
    expect(body.usage.server_tool_use).toEqual({ web_search_requests: 0 });
  });

  it("refuses in Anthropic's error shape, naming the field: a bad parameter, an unknown openrouter:* tool, a nameless client tool", async () => {
    const cases: Array<[unknown, string]> = [
      [{ type: "openrouter:web_search", parameters: { max_results: 99 } }, "tools.0.parameters.max_results"],
      [{ type: "openrouter:bash" }, '"openrouter:bash"'],
      [{ input_schema: { type: "object" } }, "tools.0.name"],
      // Anthropic's web search, its settings named as the request named them.
      [{ type: "web_search_20250305", name: "web_search", max_uses: 99 }, "tools.0.max_uses:"],
      [{ type: "web_search_20250305", name: "web_search", blocked_domains: "x.com" }, "tools.0.blocked_domains:"],
      [{ type: "code_execution_20250522", name: "code_execution" }, '"code_execution_20250522"'],
    ];
    for (const [tool, named] of cases) {
      const response = await post({ messages: [{ role: "user", content: `hi ${nonce()}` }], tools: [tool] });
      expect(response.status).toBe(400);
      const body = (await response.json()) as any;
      expect(body.error.type).toBe("invalid_request_error");
      expect(body.error.message).toContain(named);
    }
  });

  it("Anthropic's web search tool (web_search_20250305) runs as openrouter:web_search, through Anthropic's SDK", async () => {
    const client = anthropicClient(key);
    const marker = nonce();
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: `search the web for ${marker}` }],
      tools: [
        {
          type: "web_search_20250305",
          name: "web_search",
          max_uses: 2,
          allowed_domains: ["docs.example.org"],
          user_location: { type: "approximate", country: "FR" },
        },
      ],
    });
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.server_tool_use).toEqual({ web_search_requests: 1 });
    const text = message.content.at(-1);
    if (text?.type !== "text") throw new Error(`expected text, got ${text?.type}`);
    // The answer cites what Exa found, from the allowed domain only.
    expect(text.citations?.length).toBeGreaterThan(0);
    for (const citation of text.citations ?? []) {
      if (citation.type !== "web_search_result_location") throw new Error(`unexpected citation ${citation.type}`);
      expect(new URL(citation.url).host).toBe("docs.example.org");
    }
    const { model } = await searchCalls(marker);
    expect(model).toHaveLength(2);
    expect((model[0]!.body as any).tools.map((t: any) => t.function.name)).toEqual(["web_search"]);
  });
});

describe("POST /messages with a conversation that ran Anthropic's own server tools", () => {
  it("drops an assistant turn's server_tool_use and web search/fetch results, keeping its text", async () => {
    const marker = nonce();
    const response = await post({
      messages: [
        { role: "user", content: "What is new in the docs?" },
        {
          role: "assistant",
          content: [
            { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "docs news" } },
            {
              type: "web_search_tool_result",
              tool_use_id: "srvtoolu_1",
              content: [
                { type: "web_search_result", url: "https://docs.example.com/", title: "Docs", encrypted_content: "x" },
              ],
            },
            {
              type: "server_tool_use",
              id: "srvtoolu_2",
              name: "web_fetch",
              input: { url: "https://docs.example.com/" },
            },
            {
              type: "web_fetch_tool_result",
              tool_use_id: "srvtoolu_2",
              content: { type: "web_fetch_result", url: "https://docs.example.com/", content: { type: "document" } },
            },
            { type: "text", text: "The docs gained a page on fetching." },
          ],
        },
        { role: "user", content: `Thanks ${marker}` },
      ],
    });
    expect(response.status).toBe(200);
    const [call] = await emulatorRequests(marker);
    const messages = (call!.body as any).messages;
    expect(messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(messages[1].content).toBe("The docs gained a page on fetching.");
    expect(messages[1].tool_calls).toBeUndefined();
    expect(JSON.stringify(messages)).not.toContain("srvtoolu_");
  });

  it("a server tool's result in a user turn is a 400 naming the block", async () => {
    const response = await post({
      messages: [
        {
          role: "user",
          content: [{ type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] }],
        },
      ],
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain("messages.0.content.0.type");
  });
});

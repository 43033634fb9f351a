import { OpenResponsesResult$inboundSchema, StreamEvents$inboundSchema } from "@openrouter/sdk/models";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  recordedGeneration,
  searchCalls,
} from "./support/gateway";
import { SEARCH_MODEL } from "./support/search-prices";

/**
 * OpenRouter's server tools on `POST /responses`: the same loop as chat's (the request is answered
 * through chat), and the Response lists each call the gateway ran as an output item ahead of the
 * answer (`openrouter:web_search` with its query and sources, `openrouter:datetime` with the time
 * told), in the reply and in the stream's events, with usage's `server_tool_use_details`.
 */

const MODEL = SEARCH_MODEL;

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

function post(body: Record<string, unknown>, apiKey = key) {
  return gatewayFetch(`${BASE}/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, max_output_tokens: 30, ...body }),
  });
}

/** A stream's events, each as OpenRouter's SDK parses it (it throws on one it would refuse). */
async function streamEvents(response: Response): Promise<any[]> {
  const text = await response.text();
  const events = text
    .split("\n\n")
    .filter((frame) => frame.startsWith("event: "))
    .map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + "data: ".length)));
  for (const event of events) StreamEvents$inboundSchema.parse(event);
  return events;
}

describe("POST /responses with openrouter:web_search", () => {
  it("runs the model's search on Exa; the Response lists it (query, sources) before the cited answer", async () => {
    const marker = nonce();
    const response = await post({
      input: `search the web for ${marker}`,
      tools: [{ type: "openrouter:web_search", parameters: { max_results: 3 } }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    // The SDK reads every item as its own type.
    const parsed = OpenResponsesResult$inboundSchema.parse(body);
    expect(parsed.output[0]).toMatchObject({ type: "openrouter:web_search", status: "completed" });

    const { model } = await searchCalls(marker);
    expect(model).toHaveLength(2);
    expect((model[0]!.body as any).tools[0].function.name).toBe("web_search");

    expect(body.output.map((item: any) => item.type)).toEqual(["openrouter:web_search", "message"]);
    const search = body.output[0];
    expect(search.id).toMatch(/^ws_/);
    expect(search.action.type).toBe("search");
    expect(search.action.query).toBe("weather");
    expect(search.action.sources).toHaveLength(3);
    expect(search.action.sources[0]).toEqual({
      type: "url",
      url: expect.stringContaining("https://source1.example.com/"),
    });
    // The search's results are what the answer cites.
    const text = body.output[1].content[0];
    expect(text.type).toBe("output_text");
    expect(text.annotations.map((a: any) => a.url)).toEqual(search.action.sources.map((s: any) => s.url));

    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 1,
      tool_calls_executed: 1,
      web_search_requests: 1,
    });
    expect(body.tools).toEqual([{ type: "openrouter:web_search", parameters: { max_results: 3 } }]);
    // One generation, its cost the Response's.
    const record = await recordedGeneration(key, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 12);
  });

  it("streams the calls as items added and done ahead of the answer's, and the completed Response lists them", async () => {
    const marker = nonce();
    const response = await post({
      input: `search the web for ${marker}`,
      tools: [{ type: "openrouter:web_search", parameters: { max_results: 2 } }],
      stream: true,
    });
    expect(response.status).toBe(200);
    const events = await streamEvents(response);
    const items = events.filter(
      (e) => e.type === "response.output_item.added" || e.type === "response.output_item.done",
    );
    expect(items.map((e) => [e.type, e.output_index, e.item.type])).toEqual([
      ["response.output_item.added", 0, "openrouter:web_search"],
      ["response.output_item.done", 0, "openrouter:web_search"],
      ["response.output_item.added", 1, "message"],
      ["response.output_item.done", 1, "message"],
    ]);
    expect(items[0].item.status).toBe("in_progress");
    expect(items[1].item).toMatchObject({ status: "completed", action: { query: "weather" } });
    expect(items[1].item.action.sources).toHaveLength(2);
    const completed = events.at(-1);
    expect(completed.type).toBe("response.completed");
    expect(completed.response.output[0]).toEqual(items[1].item);
    expect(completed.response.usage.server_tool_use_details.web_search_requests).toBe(1);
  });

  it("a call that gave the model an error result (past max_uses) is listed incomplete, with no sources", async () => {
    const response = await post({
      input: `search twice for ${nonce()}`,
      tools: [{ type: "openrouter:web_search", parameters: { max_results: 2, max_uses: 1 } }],
      parallel_tool_calls: true,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.output.map((item: any) => [item.type, item.status, item.action?.sources.length])).toEqual([
      ["openrouter:web_search", "completed", 2],
      ["openrouter:web_search", "incomplete", 0],
      ["message", "completed", undefined],
    ]);
    expect(body.usage.server_tool_use_details).toMatchObject({ tool_calls_requested: 2, tool_calls_executed: 1 });
  });

  it.each([
    ["openrouter:web_search", "openrouter:web_search"],
    ["web_search_preview", "web_search_call"],
  ])(
    "takes back a Response's output as input (a stateless conversation): %s's %s items are not sent on",
    async (tool, item) => {
      const first = (await (
        await post({ input: `search the web for ${nonce()}`, tools: [{ type: tool }] })
      ).json()) as any;
      expect(first.output[0].type).toBe(item);
      const marker = nonce();
      const response = await post({
        input: [
          { role: "user", content: "search the web" },
          ...first.output,
          { role: "user", content: `thanks ${marker}` },
        ],
      });
      expect(response.status).toBe(200);
      const [call] = await emulatorRequests(marker);
      const messages = (call!.body as any).messages;
      expect(messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user"]);
      expect(JSON.stringify(messages)).not.toContain("openrouter:");
    },
  );
});

describe("POST /responses with OpenAI's web search tools (run as openrouter:web_search)", () => {
  it("web_search_preview searches on Exa and is listed as OpenAI's web_search_call, as OpenRouter's SDK parses it", async () => {
    const marker = nonce();
    const tool = {
      type: "web_search_preview",
      max_results: 2,
      filters: { allowed_domains: ["docs.example.org"] },
      user_location: { type: "approximate", country: "FR" },
    };
    const response = await post({ input: `search the web for ${marker}`, tools: [tool] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const parsed = OpenResponsesResult$inboundSchema.parse(body);
    expect(parsed.output.map((item) => item.type)).toEqual(["web_search_call", "message"]);
    const search = body.output[0];
    expect(search).toMatchObject({ type: "web_search_call", status: "completed", action: { type: "search" } });
    expect(search.id).toMatch(/^ws_/);
    expect(search.action.query).toBe("weather");
    // Exa was asked for the tool's settings: two results, from the allowed domain only.
    expect(search.action.sources).toHaveLength(2);
    for (const source of search.action.sources) expect(new URL(source.url).host).toBe("docs.example.org");
    // The answer cites what the search found.
    const text = body.output[1].content[0];
    expect(text.annotations.map((a: any) => a.url)).toEqual(search.action.sources.map((s: any) => s.url));
    // The model was shown the server tool's function, and given the results.
    const { model } = await searchCalls(marker);
    expect((model[0]!.body as any).tools.map((t: any) => t.function.name)).toEqual(["web_search"]);
    expect((model[1]!.body as any).messages.at(-1).content).toContain('Result 1 for "weather"');
    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 1,
      tool_calls_executed: 1,
      web_search_requests: 1,
    });
    // Echoed as given, as OpenAI and OpenRouter echo tools.
    expect(body.tools).toEqual([tool]);
    const record = await recordedGeneration(key, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 12);
  });

  it("the OpenAI SDK's web_search tool: its Response reads the call as a web_search_call", async () => {
    const client = new OpenAI({ apiKey: key, baseURL: BASE, fetch: (input, init) => gatewayFetch(input, init) });
    const marker = nonce();
    const response = await client.responses.create({
      model: MODEL,
      input: `search the web for ${marker}`,
      tools: [{ type: "web_search", search_context_size: "low" }],
      max_output_tokens: 30,
    });
    const call = response.output[0];
    if (call?.type !== "web_search_call") throw new Error(`expected a web_search_call, got ${call?.type}`);
    expect(call.status).toBe("completed");
    expect(call.action).toMatchObject({ type: "search", query: "weather" });
    expect(response.output_text.length).toBeGreaterThan(0);
  });

  it("streams OpenAI's web_search_call events between the call's item added and done", async () => {
    const marker = nonce();
    const response = await post({
      input: `search the web for ${marker}`,
      tools: [{ type: "web_search_preview_2025_03_11", max_results: 1 }],
      stream: true,
    });
    expect(response.status).toBe(200);
    const events = await streamEvents(response);
    const untilAnswer = events.slice(
      0,
      events.findIndex((e) => e.item?.type === "message"),
    );
    expect(untilAnswer.map((e) => e.type).slice(2)).toEqual([
      "response.output_item.added",
      "response.web_search_call.in_progress",
      "response.web_search_call.searching",
      "response.web_search_call.completed",
      "response.output_item.done",
    ]);
    const [added, , , completed, done] = untilAnswer.slice(2);
    expect(added.item).toMatchObject({ type: "web_search_call", status: "in_progress" });
    expect(completed).toMatchObject({ output_index: 0, item_id: added.item.id });
    expect(done.item).toMatchObject({ type: "web_search_call", status: "completed", id: added.item.id });
    expect(done.item.action.sources).toHaveLength(1);
    expect(events.at(-1).response.output[0]).toEqual(done.item);
  });

  it("tool_choice {type: web_search_preview} forces the search on the first turn, then lets the model answer", async () => {
    const marker = nonce();
    const response = await post({
      input: `hello ${marker} [[emulate tool_rounds=3]]`,
      tools: [{ type: "web_search_preview" }],
      tool_choice: { type: "web_search_preview" },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.output.map((item: any) => item.type)).toEqual(["web_search_call", "message"]);
    expect(body.tool_choice).toEqual({ type: "web_search_preview" });
    const { model } = await searchCalls(marker);
    expect(model.map((turn) => (turn.body as any).tool_choice)).toEqual([
      { type: "function", function: { name: "web_search" } },
      "auto",
    ]);
    const unlisted = await post({ input: `hello ${nonce()}`, tool_choice: { type: "web_search_preview" } });
    expect(unlisted.status).toBe(400);
    expect(((await unlisted.json()) as any).error.message).toMatch(
      /^tool_choice: "web_search_preview" forces a web search/,
    );
  });

  it("a search past max_uses is a failed web_search_call", async () => {
    const response = await post({
      input: `search twice for ${nonce()}`,
      tools: [{ type: "web_search", max_results: 1, max_uses: 1 }],
      parallel_tool_calls: true,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    OpenResponsesResult$inboundSchema.parse(body);
    expect(body.output.map((item: any) => [item.type, item.status])).toEqual([
      ["web_search_call", "completed"],
      ["web_search_call", "failed"],
      ["message", "completed"],
    ]);
  });

  it.each([
    [{ type: "web_search_preview", max_results: 50 }, "tools.0.max_results"],
    [{ type: "web_search", engine: "parallel" }, "tools.0.engine"],
    [{ type: "web_search", filters: { allowed_domains: "example.com" } }, "tools.0.filters.allowed_domains"],
    [{ type: "web_search", filters: ["example.com"] }, "tools.0.filters"],
    // OpenRouter's other name for excluded_domains: checked as that list, named as sent.
    [{ type: "web_search", filters: { blocked_domains: "example.com" } }, "tools.0.filters.blocked_domains"],
    [{ type: "web_search", filters: { excluded_domains: "example.com" } }, "tools.0.filters.excluded_domains"],
    [{ type: "web_search", filters: { excluded_domains: [], blocked_domains: [] } }, "tools.0.filters"],
  ])("refuses %j with a 400 naming %s", async (tool, path) => {
    const marker = nonce();
    const response = await post({ input: `search for ${marker}`, tools: [tool] });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as any;
    expect(error.message).toContain(`${path}:`);
    expect(await emulatorRequests(marker)).toHaveLength(0);
  });

  it("refuses two web search tools (OpenAI's and OpenRouter's are one tool here)", async () => {
    const response = await post({
      input: `search for ${nonce()}`,
      tools: [{ type: "web_search_preview" }, { type: "openrouter:web_search" }],
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toMatch(/one web search tool at most/);
  });
});

describe("POST /responses with openrouter:experimental__search_models", () => {
  it("lists the model search (its query and arguments) before the answer, through OpenRouter's SDK", async () => {
    const marker = nonce();
    const result = await openRouterClient(key).responses.send({
      responsesRequest: {
        model: MODEL,
        input: `[[emulate query=gemini]] use the tool for ${marker}`,
        tools: [{ type: "openrouter:experimental__search_models", parameters: { maxResults: 2 } }],
      },
    });
    if (!("output" in result)) throw new Error("expected a Response");
    const item = result.output[0] as any;
    expect(item).toMatchObject({
      type: "openrouter:experimental__search_models",
      status: "completed",
      query: "gemini",
    });
    expect(item.id).toMatch(/^sm_/);
    expect(JSON.parse(item.arguments)).toEqual({ query: "gemini" });
    expect(result.output.at(-1)?.type).toBe("message");
    const { model } = await searchCalls(marker);
    const found = JSON.parse((model[1]!.body as any).messages.at(-1).content).models;
    expect(found).toHaveLength(2);
    for (const m of found) expect(m.id).toMatch(/gemini/);
  });
});

describe("POST /responses with openrouter:datetime", () => {
  it("lists the time told the model, in the tool's timezone (through OpenRouter's SDK)", async () => {
    const marker = nonce();
    const result = await openRouterClient(key).responses.send({
      responsesRequest: {
        model: MODEL,
        input: `use the clock for ${marker}`,
        tools: [{ type: "openrouter:datetime", parameters: { timezone: "Asia/Tokyo" } }],
      },
    });
    if (!("output" in result)) throw new Error("expected a Response");
    const item = result.output[0] as any;
    expect(item).toMatchObject({ type: "openrouter:datetime", status: "completed", timezone: "Asia/Tokyo" });
    expect(item.datetime).toMatch(/\+09:00$/);
    expect(Math.abs(Date.parse(item.datetime) - Date.now())).toBeLessThan(60_000);
    expect(result.output.at(-1)?.type).toBe("message");
    expect(result.usage?.serverToolUseDetails?.toolCallsExecuted).toBe(1);
  });

  it("max_tool_calls is the loop's steps (as on OpenRouter): that many turns call tools, then the answer", async () => {
    const marker = nonce();
    const response = await post({
      input: `use the clock for ${marker} [[emulate tool_rounds=10]]`,
      tools: [{ type: "openrouter:datetime" }],
      max_tool_calls: 2,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.output.map((item: any) => item.type)).toEqual([
      "openrouter:datetime",
      "openrouter:datetime",
      "message",
    ]);
    expect(new Set(body.output.map((item: any) => item.id)).size).toBe(3);
    expect(body.max_tool_calls).toBe(2);
    const turns = (await emulatorRequests(marker)).filter((call) => call.provider !== "exa");
    expect(turns).toHaveLength(3);
    expect((turns[2]!.body as any).tool_choice).toBe("none");
  });

  it("stop_server_tools_when is taken as chat takes it, and wins over max_tool_calls", async () => {
    const marker = nonce();
    const response = await post({
      input: `use the clock for ${marker} [[emulate tool_rounds=10]]`,
      tools: [{ type: "openrouter:datetime" }],
      max_tool_calls: 5,
      stop_server_tools_when: [{ type: "step_count_is", step_count: 1 }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.output.map((item: any) => item.type)).toEqual(["openrouter:datetime", "message"]);
  });
});

describe("POST /responses refuses, naming the field", () => {
  const refusal = async (body: Record<string, unknown>) => {
    const response = await post({ input: `hi ${nonce()}`, ...body });
    expect(response.status).toBe(400);
    return ((await response.json()) as any).error as { message: string; metadata?: any };
  };

  it("a server tool's bad parameter, by its path in the Responses request", async () => {
    const error = await refusal({ tools: [{ type: "openrouter:web_search", parameters: { max_results: 99 } }] });
    expect(error.message).toContain("tools.0.parameters.max_results");
  });

  it("an openrouter:* tool the gateway does not run", async () => {
    const error = await refusal({ tools: [{ type: "openrouter:bash" }] });
    expect(error.message).toContain('"openrouter:bash"');
  });

  it("max_tool_calls past the loop's 30 steps, or 0, with server tools", async () => {
    for (const max_tool_calls of [31, 0]) {
      const error = await refusal({ tools: [{ type: "openrouter:datetime" }], max_tool_calls });
      expect(error.message).toContain("max_tool_calls");
    }
  });

  it("max_tool_calls without server tools bounds nothing and is echoed", async () => {
    const response = await post({ input: `hi ${nonce()}`, max_tool_calls: 0 });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).max_tool_calls).toBe(0);
  });
});

import { OpenResponsesResult$inboundSchema, StreamEvents$inboundSchema } from "@openrouter/sdk/models";
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

  it("takes back a Response's output as input (a stateless conversation): the calls' items are not sent on", async () => {
    const first = (await (
      await post({ input: `search the web for ${nonce()}`, tools: [{ type: "openrouter:web_search" }] })
    ).json()) as any;
    expect(first.output[0].type).toBe("openrouter:web_search");
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

import { beforeAll, describe, expect, inject, it } from "vitest";
import { postWithSettings } from "./support/app-with-settings";
import {
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  readSse,
  recordedGeneration,
  sleep,
  totalUsage,
} from "./support/gateway";
import { PER_RESULT, SEARCH_MODEL, tokensCost } from "./support/search-prices";

/**
 * OpenRouter's server tools (`openrouter:web_search`, `openrouter:datetime`) through the app: the
 * model is shown them as function tools; when it calls them the gateway runs the calls (the search
 * on Exa's emulator), gives the model the results and calls it again; the client gets the answer,
 * with every turn's usage summed and charged, plus $4 per 1000 results fetched.
 */

const MODEL = SEARCH_MODEL;
/** The emulated model searches for what its schema sampler writes for a `query`. */
const EXA_QUERY = '"query":"weather"';

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

/** `ask` to the app run with some of its settings changed (the env's vars), past SELF. */
const askWithSettings = (
  settings: Record<string, string>,
  apiKey: string,
  text: string,
  tools: unknown[],
  extra: Record<string, unknown> = {},
) =>
  postWithSettings(settings, "/chat/completions", apiKey, {
    model: MODEL,
    max_tokens: 30,
    messages: [{ role: "user", content: text }],
    tools,
    ...extra,
  });

/**
 * The path this file's searches reach the Exa emulator by: other files' requests search for the
 * same query at the same time (test files run side by side), and this file counts its own calls.
 */
const EXA_PATH = "exa-server-tools-test";
/** `ask`, as the tests here ask: the app with its searches sent to EXA_PATH. */
const ask = (text: string, tools: unknown[], extra: Record<string, unknown> = {}, apiKey = key) =>
  askWithSettings({ EXA_BASE_URL: `${inject("emulatorUrl")}/${EXA_PATH}` }, apiKey, text, tools, extra);
/** Exa's calls of the emulated model's query from this file's requests, so far. */
const exaCalls = async () => (await emulatorRequests(EXA_QUERY)).filter((call) => call.provider === EXA_PATH);
/** The model's calls carrying `marker`, in order. */
const modelCalls = async (marker: string) => (await emulatorRequests(marker)).filter((c) => c.provider !== "exa");

/** A reply whose loop ran one server-tool call that searched nothing: charged its tokens only. */
function expectOneFreeCall(body: any): void {
  expect(body.usage.server_tool_use_details).toEqual({
    tool_calls_requested: 1,
    tool_calls_executed: 1,
    web_search_requests: 0,
  });
  expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage), 9);
}

async function chargedUsage(apiKey: string): Promise<number> {
  for (let i = 0; i < 100 && (await totalUsage(apiKey)) === 0; i++) await sleep(20);
  return totalUsage(apiKey);
}

describe("openrouter:web_search", () => {
  it("the model's search runs on Exa, the answer cites it, and both turns and the results are charged", async () => {
    const { key: fresh } = await fundedAccount("10");
    const marker = nonce();
    const before = (await exaCalls()).length;
    const response = await ask(
      `search the web for ${marker}`,
      [{ type: "openrouter:web_search", parameters: { max_results: 3 } }],
      {},
      fresh,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const message = body.choices[0].message;
    expect(message.content).toEqual(expect.any(String));
    expect(message.content.length).toBeGreaterThan(0);
    expect(message.tool_calls).toBeUndefined();
    expect(body.choices[0].finish_reason).toBe("stop");

    // Exa was asked the model's query, once, for the tool's max_results.
    const exa = (await exaCalls()).slice(before);
    expect(exa).toHaveLength(1);
    expect((exa[0]!.body as any).query).toBe("weather");
    expect((exa[0]!.body as any).numResults).toBe(3);

    // Two model turns: the first shown a plain function tool, the second given the results.
    const turns = await modelCalls(marker);
    expect(turns).toHaveLength(2);
    const first = turns[0]?.body as any;
    expect(first.tools).toEqual([
      expect.objectContaining({ type: "function", function: expect.objectContaining({ name: "web_search" }) }),
    ]);
    expect(JSON.stringify(first.tools)).not.toContain("openrouter:");
    expect(JSON.stringify(first.tools)).not.toContain("server_tool");
    const second = turns[1]?.body as any;
    const toolMessage = second.messages.at(-1);
    expect(toolMessage.role).toBe("tool");
    expect(toolMessage.tool_call_id).toBe(second.messages.at(-2).tool_calls[0].id);
    expect(toolMessage.content).toContain('Result 1 for "weather"');
    expect(toolMessage.content).toContain("https://source3.example.com/");

    expect(message.annotations).toHaveLength(3);
    expect(message.annotations[0]).toMatchObject({
      type: "url_citation",
      url_citation: { url: expect.stringContaining("https://source1.example.com/"), title: expect.any(String) },
    });

    // Usage is both turns': each as the same call alone reports it.
    const alone = async (request: Record<string, unknown>) =>
      ((await (await chat(key, { model: MODEL, max_tokens: 30, ...request })).json()) as any).usage;
    const turn1 = await alone({ messages: first.messages, tools: first.tools });
    const turn2 = await alone({ messages: second.messages, tools: second.tools });
    expect(body.usage.prompt_tokens).toBe(turn1.prompt_tokens + turn2.prompt_tokens);
    expect(body.usage.completion_tokens).toBe(turn1.completion_tokens + turn2.completion_tokens);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 1,
      tool_calls_executed: 1,
      web_search_requests: 1,
    });
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + 3 * PER_RESULT, 9);

    const record = await recordedGeneration(fresh, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 9);
    expect(record.tokens_prompt).toBe(body.usage.prompt_tokens);
    expect(record.tokens_completion).toBe(body.usage.completion_tokens);
    expect(await chargedUsage(fresh)).toBeCloseTo(body.usage.cost, 9);
  });

  it("streams the answer in one piece: content, finish, citations, usage with the cost, [DONE]", async () => {
    const marker = nonce();
    const response = await ask(
      `search for ${marker}`,
      [{ type: "openrouter:web_search", parameters: { max_results: 2 } }],
      {
        stream: true,
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const { data } = await readSse(response);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.filter((d) => d !== "[DONE]") as Array<Record<string, any>>;
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ object: "chat.completion.chunk", model: MODEL, id: chunks[0]?.id });
    }
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    expect(chunks[0]?.choices[0].delta.role).toBe("assistant");
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    const cited = chunks.find((c) => c.choices[0]?.delta?.annotations);
    expect(cited?.choices[0].delta.annotations).toHaveLength(2);
    const usage = chunks.at(-1)?.usage;
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(usage.server_tool_use_details.web_search_requests).toBe(1);
    expect(usage.cost).toBeCloseTo(tokensCost(usage) + 2 * PER_RESULT, 9);
    expect(await modelCalls(marker)).toHaveLength(2);
    const record = await recordedGeneration(key, chunks[0]?.id);
    expect(record.total_cost).toBeCloseTo(usage.cost, 9);
    expect(record.streamed).toBe(true);
  });

  it("a stream is sent keep-alive comments while the later turns run", async () => {
    // Each model call takes 900 ms; keep-alives come every 400 ms in the tests.
    const marker = nonce();
    const response = await ask(`[[emulate delay_ms=900]] search for ${marker}`, [{ type: "openrouter:datetime" }], {
      stream: true,
    });
    expect(response.status).toBe(200);
    const { comments, data } = await readSse(response);
    expect(comments.length).toBeGreaterThanOrEqual(1);
    expect(comments[0]).toBe(": OPENROUTER PROCESSING");
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.filter((d) => d !== "[DONE]") as Array<Record<string, any>>;
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("").length).toBeGreaterThan(0);
    expect(chunks.at(-1)?.usage.server_tool_use_details.tool_calls_executed).toBe(1);
  });

  it("a later turn that fails ends the stream with an error chunk, and costs nothing", async () => {
    // Each model call takes 1 s, and the request's routing deadline is 1.5 s: the second turn runs out.
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const response = await askWithSettings(
      { ROUTING_DEADLINE_MS: "1500" },
      fresh,
      `[[emulate delay_ms=1000]] use the clock ${marker}`,
      [{ type: "openrouter:datetime" }],
      { stream: true },
    );
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    expect(data.at(-1)).toBe("[DONE]");
    const last = data.at(-2) as Record<string, any>;
    expect(last.choices[0]).toMatchObject({ finish_reason: "error" });
    expect(last.error).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
    expect(last.error.code).toBeGreaterThanOrEqual(400);
    expect(data.some((d) => d !== "[DONE]" && (d as any).usage)).toBe(false);
    await sleep(300);
    expect(await totalUsage(fresh)).toBe(0);
  });

  it.each([
    ["the server tool by name", { type: "function", function: { name: "web_search" } }],
    ["required", "required"],
  ])(
    "a tool_choice forcing a call (%s) forces the first turn's only: one search, then the answer",
    async (_, choice) => {
      const marker = nonce();
      const before = (await exaCalls()).length;
      // The model would call tools for three rounds if made to (tool_rounds); no tool word asks it to.
      const response = await ask(`hello ${marker} [[emulate tool_rounds=3]]`, [{ type: "openrouter:web_search" }], {
        tool_choice: choice,
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as any;
      expect(body.choices[0].finish_reason).toBe("stop");
      expect((await exaCalls()).length - before).toBe(1);
      const turns = await modelCalls(marker);
      expect(turns.map((turn) => (turn.body as any).tool_choice)).toEqual([choice, "auto"]);
      expect(body.usage.server_tool_use_details.web_search_requests).toBe(1);
    },
  );

  it("max_uses caps the searches: a call past it gets an error result, not a search", async () => {
    const marker = nonce();
    const before = (await exaCalls()).length;
    const response = await ask(
      `search twice for ${marker}`,
      [{ type: "openrouter:web_search", parameters: { max_results: 2, max_uses: 1 } }],
      { parallel_tool_calls: true },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect((await exaCalls()).length - before).toBe(1);
    const turns = await modelCalls(marker);
    expect(turns).toHaveLength(2);
    const results = (turns[1]!.body as any).messages.filter((m: any) => m.role === "tool");
    expect(results).toHaveLength(2);
    expect(results[0].content).toContain('Result 1 for "weather"');
    expect(JSON.parse(results[1].content).error).toMatch(/max_uses reached/);
    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 2,
      tool_calls_executed: 1,
      web_search_requests: 1,
    });
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + 2 * PER_RESULT, 9);
  });

  it("max_total_results caps the results fetched across the request", async () => {
    const before = (await exaCalls()).length;
    const response = await ask(`search for ${nonce()}`, [
      { type: "openrouter:web_search", parameters: { max_results: 5, max_total_results: 2 } },
    ]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const exa = (await exaCalls()).slice(before);
    expect((exa[0]!.body as any).numResults).toBe(2);
    expect(body.choices[0].message.annotations).toHaveLength(2);
  });

  it("max_characters, else search_context_size, sets each result's text: 1,000 characters by default", async () => {
    const askedFor = async (parameters: Record<string, unknown>) => {
      const marker = nonce();
      const before = (await exaCalls()).length;
      const response = await ask(`search for ${marker}`, [{ type: "openrouter:web_search", parameters }]);
      expect(response.status).toBe(200);
      await response.body?.cancel();
      const exa = (await exaCalls()).slice(before);
      expect(exa).toHaveLength(1);
      const turns = await modelCalls(marker);
      const result = (turns[1]!.body as any).messages.at(-1).content as string;
      return { maxCharacters: (exa[0]!.body as any).contents.text.maxCharacters, result };
    };
    expect((await askedFor({})).maxCharacters).toBe(1000);
    expect((await askedFor({ search_context_size: "low" })).maxCharacters).toBe(5000);
    expect((await askedFor({ search_context_size: "high" })).maxCharacters).toBe(30000);
    const cut = await askedFor({ max_characters: 12, search_context_size: "medium" });
    expect(cut.maxCharacters).toBe(12);
    // The page text the model reads is cut there ('Result 1 for "weather": …' is longer).
    expect(cut.result).toContain("Result 1 for");
    expect(cut.result).not.toContain("emulated page text");
  });

  it("user_location's country biases Exa's results (its userLocation); none, none sent", async () => {
    const sent = async (parameters: Record<string, unknown>) => {
      const before = (await exaCalls()).length;
      const response = await ask(`search for ${nonce()}`, [{ type: "openrouter:web_search", parameters }]);
      expect(response.status).toBe(200);
      await response.body?.cancel();
      return (await exaCalls()).slice(before)[0]!.body as any;
    };
    const located = await sent({
      user_location: { type: "approximate", country: "FR", city: "Lyon", timezone: "Europe/Paris" },
    });
    expect(located.userLocation).toBe("fr");
    expect(await sent({ user_location: { type: "approximate", city: "Lyon" } })).not.toHaveProperty("userLocation");
    expect(await sent({})).not.toHaveProperty("userLocation");
  });

  it("the hold grows with the text asked for: a key that affords 1,000 characters a result but not 30,000 is a 402", async () => {
    // The default loop holds ~$0.11 (25 results, each later turn's prompt grown by their text); with
    // 30,000 characters a result, ~$0.18: each later turn's prompt as long as the model's context
    // (128k tokens) allows, not the ~500k tokens the results' text would make it (~$0.55).
    const { key: modest } = await fundedAccount("0.15");
    const tools = (parameters: Record<string, unknown>) => [{ type: "openrouter:web_search", parameters }];
    const plain = await ask(`search for ${nonce()}`, tools({}), {}, modest);
    expect(plain.status).toBe(200);
    await plain.body?.cancel();
    const before = (await exaCalls()).length;
    const wide = await ask(`search for ${nonce()}`, tools({ search_context_size: "high" }), {}, modest);
    expect(wide.status).toBe(402);
    await wide.body?.cancel();
    expect((await exaCalls()).length).toBe(before);
    // A key that affords the capped hold is served.
    const { key: enough } = await fundedAccount("0.2");
    const capped = await ask(`search for ${nonce()}`, tools({ search_context_size: "high" }), {}, enough);
    expect(capped.status).toBe(200);
    await capped.body?.cancel();
  });

  it("a failed search is an error result the model answers with: a 200 charging the tokens only", async () => {
    const emulator = inject("emulatorUrl");
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const response = await askWithSettings({ EXA_BASE_URL: `${emulator}/nowhere/at-all` }, fresh, `search ${marker}`, [
      { type: "openrouter:web_search" },
    ]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const turns = await modelCalls(marker);
    expect(turns).toHaveLength(2);
    const result = (turns[1]!.body as any).messages.at(-1);
    expect(JSON.parse(result.content).error).toMatch(/web search failed/);
    expect(body.choices[0].message.annotations).toBeUndefined();
    expect(body.usage.server_tool_use_details.tool_calls_executed).toBe(0);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage), 9);
  });

  it("the hold covers the loop's worst case: credit for one call but not the loop is a 402, and no search runs", async () => {
    // gpt-4o-mini's one call here is well under a cent; the loop's results alone may be ten cents.
    const { key: poor } = await fundedAccount("0.05");
    const marker = nonce();
    const before = (await exaCalls()).length;
    const refused = await ask(`search for ${marker}`, [{ type: "openrouter:web_search" }], {}, poor);
    expect(refused.status).toBe(402);
    await sleep(50);
    expect((await exaCalls()).length).toBe(before);
    // The same request with a plain function tool is answered on that credit.
    const tool = { type: "function", function: { name: "web_search", parameters: { type: "object" } } };
    expect((await ask(`search for ${marker}`, [tool], {}, poor)).status).toBe(200);
  });
});

describe("@openrouter/sdk", () => {
  it("sends server tools as its types define them, and parses the reply and the stream", async () => {
    const client = openRouterClient(key);
    const tools = [
      { type: "openrouter:web_search" as const, parameters: { maxResults: 2, maxUses: 2, engine: "exa" as const } },
      { type: "openrouter:datetime" as const, parameters: { timezone: "Europe/Paris" } },
    ];
    const reply = await client.chat.send({
      chatRequest: { model: MODEL, maxTokens: 30, messages: [{ role: "user", content: `search ${nonce()}` }], tools },
    });
    if (!("choices" in reply)) throw new Error("expected a completion");
    expect(reply.choices[0]?.message.content).toBeTruthy();
    expect(reply.usage?.serverToolUseDetails).toEqual({
      toolCallsRequested: 1,
      toolCallsExecuted: 1,
      webSearchRequests: 1,
    });
    const usage = {
      prompt_tokens: reply.usage?.promptTokens ?? 0,
      completion_tokens: reply.usage?.completionTokens ?? 0,
    };
    expect(reply.usage?.cost).toBeCloseTo(tokensCost(usage) + 2 * PER_RESULT, 9);
    const stream = await client.chat.send({
      chatRequest: {
        model: MODEL,
        maxTokens: 30,
        stream: true,
        messages: [{ role: "user", content: `search stream ${nonce()}` }],
        tools,
      },
    });
    if ("choices" in stream) throw new Error("expected a stream");
    let text = "";
    let cost: number | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) cost = chunk.usage.cost;
    }
    expect(text).toBeTruthy();
    expect(cost).toBeGreaterThan(2 * PER_RESULT);
  });
});

describe("openrouter:datetime", () => {
  it("gives the model the time in the tool's timezone, then its answer", async () => {
    const marker = nonce();
    const before = (await exaCalls()).length;
    const response = await ask(`use the clock for ${marker}`, [
      { type: "openrouter:datetime", parameters: { timezone: "America/New_York" } },
    ]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    const turns = await modelCalls(marker);
    expect(turns).toHaveLength(2);
    expect((turns[0]!.body as any).tools[0].function.name).toBe("datetime");
    const result = JSON.parse((turns[1]!.body as any).messages.at(-1).content);
    expect(result.timezone).toBe("America/New_York");
    expect(result.datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}-0[45]:00$/);
    expect(Math.abs(Date.parse(result.datetime) - Date.now())).toBeLessThan(60_000);
    expect((await exaCalls()).length).toBe(before);
    expectOneFreeCall(body);
  });

  it("is UTC by default", async () => {
    const marker = nonce();
    expect((await ask(`use the clock ${marker}`, [{ type: "openrouter:datetime" }])).status).toBe(200);
    const turns = await modelCalls(marker);
    const result = JSON.parse((turns[1]!.body as any).messages.at(-1).content);
    expect(result).toMatchObject({ timezone: "UTC", datetime: expect.stringMatching(/\+00:00$/) });
  });
});

describe("openrouter:experimental__search_models", () => {
  const SEARCH_MODELS = "openrouter:experimental__search_models";

  it("gives the model the catalog's models that match its query, best first, at most max_results, for free", async () => {
    const marker = nonce();
    const response = await ask(`[[emulate query=claude]] use the tool for ${marker}`, [
      { type: SEARCH_MODELS, parameters: { max_results: 3 } },
    ]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const turns = await modelCalls(marker);
    expect(turns).toHaveLength(2);
    expect((turns[0]!.body as any).tools[0].function.name).toBe("search_models");
    const { models } = JSON.parse((turns[1]!.body as any).messages.at(-1).content);
    expect(models).toHaveLength(3);
    // The catalog's own listing of the same word: every match is among them.
    const listed = (await (await gatewayFetch(`${BASE}/models?q=claude`)).json()) as any;
    const ids = new Set(listed.data.map((m: any) => m.id));
    expect(ids.size).toBeGreaterThan(3);
    for (const model of models) {
      expect(ids.has(model.id)).toBe(true);
      expect(model).toMatchObject({
        name: expect.any(String),
        context_length: expect.any(Number),
        input_modalities: expect.arrayContaining(["text"]),
        pricing: { prompt: expect.stringMatching(/^\d/), completion: expect.stringMatching(/^\d/) },
      });
      expect(model.description.length).toBeLessThanOrEqual(301);
    }
    expectOneFreeCall(body);
  });

  it("ranks a model whose name holds every word above those that hold one", async () => {
    const marker = nonce();
    await ask(`[[emulate query=gpt-4o-mini]] use the tool for ${marker}`, [{ type: SEARCH_MODELS }]);
    const turns = await modelCalls(marker);
    const { models } = JSON.parse((turns[1]!.body as any).messages.at(-1).content);
    expect(models.length).toBeGreaterThan(1);
    expect(models.length).toBeLessThanOrEqual(5);
    expect(models[0].id).toBe("openai/gpt-4o-mini");
  });

  it("a query nothing matches is an empty list; max_results past 20 is a 400 naming it", async () => {
    const marker = nonce();
    await ask(`[[emulate query=zzqqxx]] use the tool for ${marker}`, [{ type: SEARCH_MODELS }]);
    const turns = await modelCalls(marker);
    expect(JSON.parse((turns[1]!.body as any).messages.at(-1).content)).toEqual({ models: [] });
    const refused = await ask(`use the tool ${nonce()}`, [{ type: SEARCH_MODELS, parameters: { max_results: 21 } }]);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.message).toContain("tools.0.parameters.max_results");
  });
});

describe("the loop's bounds and stop_server_tools_when", () => {
  /** A model that calls the clock again after each result, ten times over unless stopped. */
  const agent = async (stops?: unknown[], apiKey = key) => {
    const marker = nonce();
    const response = await ask(
      `use the clock for ${marker} [[emulate tool_rounds=10]]`,
      [{ type: "openrouter:datetime" }],
      stops ? { stop_server_tools_when: stops } : {},
      apiKey,
    );
    const body = (await response.json()) as any;
    expect(response.status, JSON.stringify(body)).toBe(200);
    const turns = (await modelCalls(marker)).map((call) => call.body as any);
    return { body, turns };
  };
  /** Each turn's tool_choice, in order (undefined: the client's, none sent). */
  const choices = (turns: any[]) => turns.map((turn) => turn.tool_choice);

  it("by default, 4 turns may call tools and a fifth is asked for the answer", async () => {
    const { body, turns } = await agent();
    expect(choices(turns)).toEqual([undefined, undefined, undefined, undefined, "none"]);
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    expect(body.choices[0].message.tool_calls).toBeUndefined();
    expect(body.usage.server_tool_use_details).toMatchObject({ tool_calls_requested: 4, tool_calls_executed: 4 });
    for (const turn of turns) expect(JSON.stringify(turn)).not.toContain("stop_server_tools_when");
  });

  it("step_count_is: that many turns call tools (fewer or more than the default), then the answer", async () => {
    const short = await agent([{ type: "step_count_is", step_count: 2 }]);
    expect(choices(short.turns)).toEqual([undefined, undefined, "none"]);
    expect(short.body.usage.server_tool_use_details.tool_calls_executed).toBe(2);
    const long = await agent([{ type: "step_count_is", step_count: 7 }]);
    expect(choices(long.turns)).toEqual([...Array(7).fill(undefined), "none"]);
    expect(long.body.usage.server_tool_use_details.tool_calls_executed).toBe(7);
    // The fewest of several.
    const both = await agent([
      { type: "step_count_is", step_count: 6 },
      { type: "step_count_is", step_count: 1 },
    ]);
    expect(choices(both.turns)).toEqual([undefined, "none"]);
  });

  it("has_tool_call: the named tool's calls run, then the answer (by its type or the name the model knows)", async () => {
    for (const tool_name of ["openrouter:datetime", "datetime"]) {
      const { body, turns } = await agent([{ type: "has_tool_call", tool_name }]);
      expect(choices(turns)).toEqual([undefined, "none"]);
      expect(body.usage.server_tool_use_details.tool_calls_executed).toBe(1);
    }
    const other = await agent([{ type: "has_tool_call", tool_name: "openrouter:web_search" }]);
    expect(other.turns).toHaveLength(5);
  });

  it("max_cost and max_tokens_used: once the loop passes them, its pending calls run and the answer is asked for", async () => {
    const cost = await agent([{ type: "max_cost", max_cost_in_dollars: 0 }]);
    expect(choices(cost.turns)).toEqual([undefined, "none"]);
    // The threshold is passed, not a ceiling: the answer's turn is charged too.
    expect(cost.body.usage.cost).toBeGreaterThan(0);
    const tokens = await agent([{ type: "max_tokens_used", max_tokens: 1 }]);
    expect(choices(tokens.turns)).toEqual([undefined, "none"]);
    const roomy = await agent([
      { type: "max_tokens_used", max_tokens: 1_000_000 },
      { type: "max_cost", max_cost_in_dollars: 5 },
    ]);
    expect(roomy.turns).toHaveLength(5);
  });

  it("finish_reason_is: a turn ending so stops the loop", async () => {
    const { turns } = await agent([{ type: "finish_reason_is", reason: "tool_calls" }]);
    expect(choices(turns)).toEqual([undefined, "none"]);
    const never = await agent([{ type: "finish_reason_is", reason: "length" }]);
    expect(never.turns).toHaveLength(5);
  });

  it("the hold covers the steps asked for: credit for the default loop but not for 30 steps is a 402", async () => {
    const { key: modest } = await fundedAccount("0.01");
    expect((await agent(undefined, modest)).turns).toHaveLength(5);
    const marker = nonce();
    const response = await ask(
      `use the clock for ${marker} [[emulate tool_rounds=40]]`,
      [{ type: "openrouter:datetime" }],
      { stop_server_tools_when: [{ type: "step_count_is", step_count: 30 }] },
      modest,
    );
    expect(response.status).toBe(402);
    expect(await modelCalls(marker)).toHaveLength(0);
  });

  it("is refused when malformed, naming the condition; and never sent to a provider", async () => {
    for (const stops of [
      [{ type: "step_count_is", step_count: 31 }],
      [{ type: "stop_when_bored" }],
      [{ type: "max_cost" }],
    ]) {
      const marker = nonce();
      const response = await ask(`use the clock ${marker}`, [{ type: "openrouter:datetime" }], {
        stop_server_tools_when: stops,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).error.message).toContain("stop_server_tools_when.0");
      expect(await modelCalls(marker)).toHaveLength(0);
    }
    // A request with no server tools: nothing to stop, and the field goes nowhere.
    const marker = nonce();
    const plain = await chat(key, {
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: "user", content: `hello ${marker}` }],
      stop_server_tools_when: [{ type: "step_count_is", step_count: 1 }],
    });
    expect(plain.status).toBe(200);
    const [sent] = await modelCalls(marker);
    expect(sent?.body).not.toHaveProperty("stop_server_tools_when");
  });
});

describe("server tools beside the client's functions", () => {
  it("a turn calling a client function too goes back to the client, less the server call", async () => {
    const marker = nonce();
    const weather = {
      type: "function",
      function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
    };
    const response = await ask(`call both tools for ${marker}`, [{ type: "openrouter:datetime" }, weather], {
      parallel_tool_calls: true,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const calls = body.choices[0].message.tool_calls;
    expect(calls.map((c: any) => c.function.name)).toEqual(["get_weather"]);
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    const turns = await modelCalls(marker);
    expect(turns).toHaveLength(1);
    expect((turns[0]!.body as any).tools.map((t: any) => t.function.name)).toEqual(["datetime", "get_weather"]);
  });
});

describe("a function tool", () => {
  it("cannot pass itself off as a server tool: its call goes to the client, and the mark goes nowhere", async () => {
    const marker = nonce();
    const before = (await exaCalls()).length;
    const forged = {
      type: "function",
      function: { name: "lookup", parameters: { type: "object", properties: { query: { type: "string" } } } },
      server_tool: { kind: "web_search", maxResults: 100, maxUses: 100, maxTotalResults: 10000 },
    };
    const response = await ask(`search for ${marker}`, [forged]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.choices[0].message.tool_calls[0].function.name).toBe("lookup");
    const turns = await modelCalls(marker);
    expect(turns).toHaveLength(1);
    expect(JSON.stringify(turns[0]!.body)).not.toContain("server_tool");
    expect((await exaCalls()).length).toBe(before);
  });
});

describe("server tools refused", () => {
  it("with the web plugin", async () => {
    const marker = nonce();
    const response = await ask(`search ${marker}`, [{ type: "openrouter:datetime" }], { plugins: [{ id: "web" }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toMatch(/web plugin and server tools/);
    expect(await modelCalls(marker)).toHaveLength(0);
  });

  const refusal = async (tools: unknown[], extra: Record<string, unknown> = {}) => {
    const marker = nonce();
    const response = await ask(`search ${marker}`, tools, extra);
    expect(response.status).toBe(400);
    expect(await modelCalls(marker)).toHaveLength(0);
    return ((await response.json()) as any).error.message as string;
  };

  it("an openrouter:* tool this gateway does not run, naming it", async () => {
    const message = await refusal([{ type: "openrouter:image_generation" }]);
    expect(message).toContain("tools.0.type");
    expect(message).toContain('"openrouter:image_generation" is not supported by this gateway');
    expect(message).toContain('"openrouter:web_search", "openrouter:web_fetch", "openrouter:datetime"');
  });

  it("a timezone that is not an IANA zone, naming the field", async () => {
    const message = await refusal([{ type: "openrouter:datetime", parameters: { timezone: "Mars/Olympus_Mons" } }]);
    expect(message).toContain("tools.0.parameters.timezone");
  });

  it("a user_location country that is no ISO 3166-1 code, naming it", async () => {
    expect(
      await refusal([{ type: "openrouter:web_search", parameters: { user_location: { country: "France" } } }]),
    ).toContain("tools.0.parameters.user_location.country");
  });

  it("a max_characters or search_context_size out of range, naming it", async () => {
    expect(await refusal([{ type: "openrouter:web_search", parameters: { max_characters: 0 } }])).toContain(
      "tools.0.parameters.max_characters",
    );
    expect(await refusal([{ type: "openrouter:web_search", parameters: { search_context_size: "huge" } }])).toContain(
      "tools.0.parameters.search_context_size",
    );
  });

  it("an engine this gateway does not run, and max_results past 10", async () => {
    expect(await refusal([{ type: "openrouter:web_search", parameters: { engine: "parallel" } }])).toMatch(
      /tools\.0\.parameters\.engine.*"auto", "native" or "exa"/,
    );
    expect(await refusal([{ type: "openrouter:web_search", parameters: { max_results: 11 } }])).toContain(
      "tools.0.parameters.max_results",
    );
  });

  it("a client function with a server tool's name", async () => {
    const message = await refusal([
      { type: "openrouter:web_search" },
      { type: "function", function: { name: "web_search", parameters: { type: "object" } } },
    ]);
    expect(message).toMatch(/"web_search".*openrouter:web_search/);
  });
});

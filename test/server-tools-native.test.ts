import { beforeAll, describe, expect, inject, it } from "vitest";
import { postWithSettings } from "./support/app-with-settings";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  readSse,
  recordedGeneration,
  sleep,
} from "./support/gateway";
import { PER_RESULT } from "./support/search-prices";

/**
 * `openrouter:web_search` searched natively (OpenRouter's default engine, with Exa its fallback):
 * on Claude through Anthropic's API the model is not shown the `web_search` function; Anthropic's
 * own web search tool is sent with the server tool's settings, Exa is not asked, the reply's
 * citations come back as `url_citation` annotations, and each search Anthropic reports is charged
 * at the endpoint's `web_search` price ($10 per 1000), held for `max_uses` of them.
 */

const MODEL = "anthropic/claude-haiku-4.5";
/** Claude Haiku 4.5's prices on Anthropic and Bedrock (the bundled catalog's): USD per million tokens, and per search. */
const PROMPT_PRICE = 1;
const COMPLETION_PRICE = 5;
const PER_SEARCH = 0.01;

const tokensCost = (usage: { prompt_tokens: number; completion_tokens: number }) =>
  (usage.prompt_tokens * PROMPT_PRICE + usage.completion_tokens * COMPLETION_PRICE) / 1e6;

/** The path this file's searches reach the Exa emulator by (other files search for the same query). */
const EXA_PATH = "exa-server-tools-native-test";
/** The emulated model searches for what its schema sampler writes for a `query`. */
const EXA_QUERY = '"query":"weather"';
const exaCalls = async () => (await emulatorRequests(EXA_QUERY)).filter((call) => call.provider === EXA_PATH);
/** The model's calls carrying `marker`, in order. */
const modelCalls = async (marker: string) =>
  (await emulatorRequests(marker)).filter((call) => call.provider !== EXA_PATH);

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

/** A chat request to the app, its Exa searches sent to EXA_PATH. */
const ask = (text: string, tools: unknown[], extra: Record<string, unknown> = {}, apiKey = key) =>
  postWithSettings({ EXA_BASE_URL: `${inject("emulatorUrl")}/${EXA_PATH}` }, "/chat/completions", apiKey, {
    model: MODEL,
    max_tokens: 30,
    messages: [{ role: "user", content: text }],
    tools,
    ...extra,
  });

/** Claude Haiku's endpoints share a price, so the plan's order varies: tests of the default pin Anthropic's. */
const ANTHROPIC_ONLY = { provider: { only: ["anthropic"] } };
const searchTool = (body: any) => (body.tools ?? []).find((t: any) => t.type === "web_search_20250305");
const functionNames = (body: any) =>
  (body.tools ?? []).flatMap((t: any) => (t.type === "web_search_20250305" ? [] : [t.name ?? t.function?.name]));

describe("openrouter:web_search searched natively", () => {
  it("by default on Claude through Anthropic: Anthropic's tool instead of the function, no Exa, cited, charged per search", async () => {
    const { key: fresh } = await fundedAccount("10");
    const marker = nonce();
    const before = (await exaCalls()).length;
    const response = await ask(
      `search the web for ${marker}`,
      [{ type: "openrouter:web_search" }],
      ANTHROPIC_ONLY,
      fresh,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.provider).toBe("Anthropic");

    // One call to Anthropic, with its web search tool (the default max_uses) and no function tool.
    const calls = await modelCalls(marker);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toMatch(/\/v1\/messages$/);
    expect(searchTool(calls[0]!.body)).toEqual({ type: "web_search_20250305", name: "web_search", max_uses: 5 });
    expect(functionNames(calls[0]!.body)).toEqual([]);
    expect((await exaCalls()).length).toBe(before);

    const message = body.choices[0].message;
    expect(message.content.length).toBeGreaterThan(0);
    expect(message.tool_calls).toBeUndefined();
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(message.annotations).toEqual([
      {
        type: "url_citation",
        url_citation: {
          url: "https://example.com/emulated-result",
          title: "Emulated result on example.com",
          content: expect.stringContaining("example.com says about search the web"),
          start_index: 0,
          end_index: message.content.length,
        },
      },
    ]);
    // The search Anthropic ran is counted as OpenRouter counts the loop's, and charged at its price.
    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 0,
      tool_calls_executed: 0,
      web_search_requests: 1,
    });
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + PER_SEARCH, 9);
    const record = await recordedGeneration(fresh, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 9);
  });

  it("maps max_uses, allowed_domains, excluded_domains and user_location onto Anthropic's tool", async () => {
    const sent = async (parameters: Record<string, unknown>) => {
      const marker = nonce();
      const response = await ask(
        `search for ${marker}`,
        [{ type: "openrouter:web_search", parameters }],
        ANTHROPIC_ONLY,
      );
      expect(response.status).toBe(200);
      await response.body?.cancel();
      const calls = await modelCalls(marker);
      expect(calls).toHaveLength(1);
      return searchTool(calls[0]!.body);
    };
    expect(
      await sent({
        engine: "native",
        max_uses: 3,
        allowed_domains: ["docs.example.org"],
        user_location: { type: "approximate", country: "fr", city: "Lyon", region: "", timezone: "Europe/Paris" },
      }),
    ).toEqual({
      type: "web_search_20250305",
      name: "web_search",
      max_uses: 3,
      allowed_domains: ["docs.example.org"],
      user_location: { type: "approximate", city: "Lyon", country: "FR", timezone: "Europe/Paris" },
    });
    expect(await sent({ engine: "auto", excluded_domains: ["spam.example"] })).toEqual({
      type: "web_search_20250305",
      name: "web_search",
      max_uses: 5,
      blocked_domains: ["spam.example"],
    });
  });

  it('engine "exa" on Claude runs the Exa loop: the function shown, Exa asked, its results charged', async () => {
    const marker = nonce();
    const before = (await exaCalls()).length;
    const response = await ask(
      `search the web for ${marker}`,
      [{ type: "openrouter:web_search", parameters: { engine: "exa", max_results: 2 } }],
      ANTHROPIC_ONLY,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect((await exaCalls()).length - before).toBe(1);
    const calls = await modelCalls(marker);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(searchTool(call.body)).toBeUndefined();
      expect(functionNames(call.body)).toEqual(["web_search"]);
    }
    expect(body.choices[0].message.annotations).toHaveLength(2);
    expect(body.usage.server_tool_use_details.web_search_requests).toBe(1);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + 2 * PER_RESULT, 9);
  });

  it("engine unset: Anthropic's endpoint searches natively, Bedrock's through the Exa loop", async () => {
    const marker = nonce();
    const before = (await exaCalls()).length;
    const response = await ask(`search the web for ${marker}`, [{ type: "openrouter:web_search" }], {
      provider: { only: ["amazon-bedrock"] },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.provider).toBe("Amazon Bedrock");
    expect((await exaCalls()).length - before).toBe(1);
    const calls = await modelCalls(marker);
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls[0]!.body)).not.toContain("web_search_20250305");
    expect(JSON.stringify(calls[0]!.body)).toContain('"web_search"');
  });

  it("other server tools still run through the loop: the clock a function, web search Anthropic's, max_uses the request's", async () => {
    const marker = nonce();
    const before = (await exaCalls()).length;
    const response = await ask(
      `use the tool for ${marker}`,
      [{ type: "openrouter:web_search", parameters: { max_uses: 3 } }, { type: "openrouter:datetime" }],
      ANTHROPIC_ONLY,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const calls = await modelCalls(marker);
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(functionNames(call.body)).toEqual(["datetime"]);
    // The first turn searched once before calling the clock: the second may run what is left.
    expect(searchTool(calls[0]!.body)).toMatchObject({ max_uses: 3 });
    expect(searchTool(calls[1]!.body)).toMatchObject({ max_uses: 2 });
    expect((await exaCalls()).length).toBe(before);
    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 1,
      tool_calls_executed: 1,
      web_search_requests: 2,
    });
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + 2 * PER_SEARCH, 9);
    const record = await recordedGeneration(key, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 9);
  });

  it("max_uses spent by an earlier turn: the answer's turn gets no search tool, and cites the earlier search", async () => {
    const marker = nonce();
    const response = await ask(
      `use the tool for ${marker}`,
      [{ type: "openrouter:web_search", parameters: { max_uses: 1 } }, { type: "openrouter:datetime" }],
      ANTHROPIC_ONLY,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const calls = await modelCalls(marker);
    expect(calls).toHaveLength(2);
    expect(searchTool(calls[0]!.body)).toMatchObject({ max_uses: 1 });
    expect(searchTool(calls[1]!.body)).toBeUndefined();
    expect(body.usage.server_tool_use_details.web_search_requests).toBe(1);
    // The search's place was in the first turn's text: the answer cites it, at no place of its own.
    expect(body.choices[0].message.annotations).toEqual([
      {
        type: "url_citation",
        url_citation: expect.objectContaining({
          url: "https://example.com/emulated-result",
          start_index: 0,
          end_index: 0,
        }),
      },
    ]);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + PER_SEARCH, 9);
  });

  it("a stream carries the citations and a cost with the search, as its record does", async () => {
    const marker = nonce();
    const response = await ask(`search for ${marker}`, [{ type: "openrouter:web_search" }], {
      ...ANTHROPIC_ONLY,
      stream: true,
    });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.filter((d): d is Record<string, any> => d !== "[DONE]");
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(content.length).toBeGreaterThan(0);
    const cited = chunks.find((c) => c.choices[0]?.delta?.annotations);
    expect(cited?.choices[0].delta.annotations).toEqual([
      expect.objectContaining({
        type: "url_citation",
        url_citation: expect.objectContaining({ url: "https://example.com/emulated-result" }),
      }),
    ]);
    const usage = chunks.at(-1)?.usage;
    expect(usage.server_tool_use_details.web_search_requests).toBe(1);
    expect(usage.cost).toBeCloseTo(tokensCost(usage) + PER_SEARCH, 9);
    const calls = await modelCalls(marker);
    expect(calls).toHaveLength(1);
    expect(searchTool(calls[0]!.body)).toBeDefined();
    const record = await recordedGeneration(key, chunks[0]?.id);
    expect(record.total_cost).toBeCloseTo(usage.cost, 9);
    expect(record.streamed).toBe(true);
  });

  it("the hold covers max_uses searches at the endpoint's price: credit short of them is a 402 before any call", async () => {
    // Ten searches hold $0.10; one, $0.01: the model's worst case here is about a cent more.
    const { key: poor } = await fundedAccount("0.05");
    const marker = nonce();
    const tool = (maxUses: number) => [
      { type: "openrouter:web_search", parameters: { engine: "native", max_uses: maxUses } },
    ];
    const refused = await ask(`search ${marker}`, tool(10), {}, poor);
    expect(refused.status).toBe(402);
    await sleep(50);
    expect(await modelCalls(marker)).toHaveLength(0);
    const one = await ask(`search ${marker}`, tool(1), {}, poor);
    expect(one.status).toBe(200);
    await one.body?.cancel();
  });

  it("with no other server tool, no later turn is held for: only the loop's turns are", async () => {
    // No max_tokens: a turn may write Claude Haiku's 64,000 tokens, ~$0.32. One turn and its search
    // fit $0.50; the clock beside it holds for the loop's four later turns too (over $1.50).
    const { key: some } = await fundedAccount("0.5");
    const marker = nonce();
    const alone = await ask(
      `search ${marker}`,
      [{ type: "openrouter:web_search" }],
      {
        ...ANTHROPIC_ONLY,
        max_tokens: undefined,
      },
      some,
    );
    expect(alone.status).toBe(200);
    await alone.body?.cancel();
    const withClock = await ask(
      `search ${marker}`,
      [{ type: "openrouter:web_search" }, { type: "openrouter:datetime" }],
      { ...ANTHROPIC_ONLY, max_tokens: undefined },
      some,
    );
    expect(withClock.status).toBe(402);
  });

  it("a gateway without Exa serves a search its endpoint runs natively; engine exa there is the 503, before any call", async () => {
    // No Exa and no emulator fallback: Anthropic is reached by its base URL override alone.
    const noExa = {
      EXA_BASE_URL: undefined,
      EXA_API_KEY: undefined,
      EMULATOR_URL: undefined,
      ANTHROPIC_BASE_URL: `${inject("emulatorUrl")}/anthropic`,
      ANTHROPIC_API_KEY: "test",
    };
    const marker = nonce();
    const body = (text: string, parameters: Record<string, unknown> = {}) => ({
      model: MODEL,
      max_tokens: 30,
      messages: [{ role: "user", content: text }],
      tools: [{ type: "openrouter:web_search", parameters }],
      ...ANTHROPIC_ONLY,
    });
    const native = await postWithSettings(noExa, "/chat/completions", key, body(`search the web for ${marker}`));
    expect(native.status).toBe(200);
    const reply = (await native.json()) as any;
    expect(reply.usage.server_tool_use_details.web_search_requests).toBe(1);
    expect(searchTool((await modelCalls(marker))[0]?.body)).toMatchObject({ type: "web_search_20250305" });

    const exaMarker = nonce();
    const refused = await postWithSettings(
      noExa,
      "/chat/completions",
      key,
      body(`search the web for ${exaMarker}`, { engine: "exa" }),
    );
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as any).error.message).toMatch(/^web search is not configured on this gateway/);
    expect(await modelCalls(exaMarker)).toEqual([]);
  });

  it('engine "native" on a model with no native search is a 400 naming it, with no call', async () => {
    const marker = nonce();
    const response = await ask(
      `search ${marker}`,
      [{ type: "openrouter:web_search", parameters: { engine: "native" } }],
      { model: "openai/gpt-4o-mini" },
    );
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as any;
    expect(error.message).toContain(
      'tools: "openrouter:web_search" engine "native" is not available for openai/gpt-4o-mini',
    );
    expect(error.metadata).toMatchObject({ tool: "openrouter:web_search", field: "engine" });
    await sleep(50);
    expect(await modelCalls(marker)).toHaveLength(0);
  });

  it('engine "native" leaves out the fallbacks that cannot search natively', async () => {
    const marker = nonce();
    const response = await ask(
      `[[emulate@anthropic status=500]] search ${marker}`,
      [{ type: "openrouter:web_search", parameters: { engine: "native" } }],
      { provider: { order: ["anthropic", "amazon-bedrock"] } },
    );
    expect(response.status).toBe(502);
    const calls = await modelCalls(marker);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.provider === "anthropic")).toBe(true);
  });
});

describe("Anthropic's web search tool on /messages, on Claude", () => {
  it("runs natively: Anthropic's tool with its settings, the answer's citations, the search counted", async () => {
    const marker = nonce();
    const response = await gatewayFetch(`${BASE}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({
        model: MODEL,
        max_tokens: 30,
        messages: [{ role: "user", content: `search the web for ${marker}` }],
        tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 2, blocked_domains: ["spam.example"] }],
        provider: { only: ["anthropic"] },
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const calls = await modelCalls(marker);
    expect(calls).toHaveLength(1);
    expect(searchTool(calls[0]!.body)).toEqual({
      type: "web_search_20250305",
      name: "web_search",
      max_uses: 2,
      blocked_domains: ["spam.example"],
    });
    // The search shown ahead of the text (messages-native-search-blocks.test.ts), the text citing it.
    expect(body.content.map((block: any) => block.type)).toEqual(["server_tool_use", "web_search_tool_result", "text"]);
    expect(body.content[2].citations).toEqual([
      expect.objectContaining({ type: "web_search_result_location", url: "https://example.com/emulated-result" }),
    ]);
    expect(body.usage.server_tool_use).toEqual({ web_search_requests: 1 });
    const record = await recordedGeneration(key, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 9);
  });
});

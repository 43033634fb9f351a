import { beforeAll, describe, expect, it } from "vitest";
import { chat, fundedAccount, nonce, readSse, recordedGeneration, searchCalls, sleep } from "./support/gateway";

/**
 * OpenRouter's web search with `engine: "native"` (and its default) on Claude through Anthropic's
 * API: the request carries Anthropic's web search server tool, Exa is not asked, the reply's
 * citations come back as `url_citation` annotations, and each search Anthropic reports is charged
 * at the endpoint's `web_search` price ($10 per 1000), held for `max_results` (max_uses) of them.
 */

const MODEL = "anthropic/claude-haiku-4.5";
/** Claude Haiku 4.5's prices on Anthropic (the bundled catalog's): USD per million tokens, and per search. */
const PROMPT_PRICE = 1;
const COMPLETION_PRICE = 5;
const PER_SEARCH = 0.01;

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

const ask = (text: string, extra: Record<string, unknown> = {}, apiKey = key) =>
  chat(apiKey, { model: MODEL, max_tokens: 20, messages: [{ role: "user", content: text }], ...extra });

const tokensCost = (usage: { prompt_tokens: number; completion_tokens: number }) =>
  (usage.prompt_tokens * PROMPT_PRICE + usage.completion_tokens * COMPLETION_PRICE) / 1e6;

const searchTool = (body: any) => (body.tools ?? []).find((t: any) => t.type === "web_search_20250305");

describe("native web search on Claude (Anthropic's web search tool)", () => {
  it("sends Anthropic's tool instead of searching Exa, and cites the reply's citations as url_citation annotations", async () => {
    const marker = nonce();
    const response = await ask(`native news ${marker}`, {
      plugins: [{ id: "web", engine: "native", max_results: 3, include_domains: ["docs.example.org"] }],
    });
    expect(response.status).toBe(200);
    const { exa, model } = await searchCalls(marker);
    expect(exa).toHaveLength(0);
    expect(model).toHaveLength(1);
    expect(model[0]!.path).toMatch(/\/v1\/messages$/);
    expect(searchTool(model[0]!.body)).toEqual({
      type: "web_search_20250305",
      name: "web_search",
      max_uses: 3,
      allowed_domains: ["docs.example.org"],
    });
    // No Exa results were put in the prompt.
    expect(JSON.stringify(model[0]!.body)).not.toContain("A web search was conducted");

    const body = (await response.json()) as any;
    const message = body.choices[0].message;
    expect(message.content).toBeTruthy();
    expect(message.tool_calls).toBeUndefined();
    expect(message.annotations).toEqual([
      {
        type: "url_citation",
        url_citation: {
          url: "https://docs.example.org/emulated-result",
          title: "Emulated result on docs.example.org",
          content: expect.stringContaining("docs.example.org says about native news"),
          start_index: 0,
          end_index: message.content.length,
        },
      },
    ]);
    // The search is charged at the endpoint's price, in usage.cost and in /generation.
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + PER_SEARCH, 9);
    const record = await recordedGeneration(key, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 9);
  });

  it("a stream sends the citations in an annotations delta, and its cost includes the search", async () => {
    const marker = nonce();
    const response = await ask(`stream ${marker}`, {
      stream: true,
      plugins: [{ id: "web", engine: "native", exclude_domains: ["spam.example"] }],
    });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const chunks = data.filter((d): d is Record<string, any> => d !== "[DONE]");
    const content = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
    const cited = chunks.flatMap((c) => c.choices ?? []).filter((ch: any) => ch.delta?.annotations);
    expect(cited).toHaveLength(1);
    expect(cited[0].delta.annotations).toEqual([
      {
        type: "url_citation",
        url_citation: {
          url: "https://example.com/emulated-result",
          title: "Emulated result on example.com",
          content: expect.stringContaining("example.com says about stream"),
          start_index: 0,
          end_index: content.length,
        },
      },
    ]);
    const { exa, model } = await searchCalls(marker);
    expect(exa).toHaveLength(0);
    expect(searchTool(model[0]!.body)).toEqual({
      type: "web_search_20250305",
      name: "web_search",
      max_uses: 5,
      blocked_domains: ["spam.example"],
    });
    const usage = chunks.at(-1)?.usage;
    expect(usage.cost).toBeCloseTo(tokensCost(usage) + PER_SEARCH, 9);
    const record = await recordedGeneration(key, chunks[0]?.id);
    expect(record.total_cost).toBeCloseTo(usage.cost, 9);
  });

  it("with no engine given, Anthropic's endpoint searches natively and Bedrock's with Exa", async () => {
    const marker = nonce();
    const anthropic = await ask(`default ${marker}`, {
      plugins: [{ id: "web", max_results: 2 }],
      provider: { only: ["anthropic"] },
    });
    expect(anthropic.status).toBe(200);
    let calls = await searchCalls(marker);
    expect(calls.exa).toHaveLength(0);
    expect(searchTool(calls.model[0]!.body)).toMatchObject({ max_uses: 2 });
    expect(((await anthropic.json()) as any).choices[0].message.annotations).toHaveLength(1);

    const other = nonce();
    const bedrock = await ask(`default ${other}`, {
      plugins: [{ id: "web", max_results: 2 }],
      provider: { only: ["amazon-bedrock"] },
    });
    expect(bedrock.status).toBe(200);
    calls = await searchCalls(other);
    expect(calls.exa).toHaveLength(1);
    expect(JSON.stringify(calls.model[0]!.body)).not.toContain("web_search_20250305");
  });

  it("a fallback from Anthropic to Bedrock is searched with Exa, only once it is reached, and charged Exa's price", async () => {
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const response = await ask(
      `[[emulate@anthropic status=500]] fallback ${marker}`,
      { plugins: [{ id: "web", max_results: 2 }], provider: { order: ["anthropic", "amazon-bedrock"] } },
      fresh,
    );
    expect(response.status).toBe(200);
    const { exa, model } = await searchCalls(marker);
    expect(exa).toHaveLength(1);
    const anthropic = model.filter((call) => call.provider === "anthropic");
    const bedrock = model.filter((call) => call.provider !== "anthropic");
    expect(anthropic.length).toBeGreaterThan(0);
    expect(searchTool(anthropic[0]!.body)).toMatchObject({ max_uses: 2 });
    expect(bedrock).toHaveLength(1);
    expect(JSON.stringify(bedrock[0]!.body)).toContain("A web search was conducted");
    const body = (await response.json()) as any;
    expect(body.provider).toBe("Amazon Bedrock");
    expect(body.choices[0].message.annotations).toHaveLength(2);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + 2 * 0.004, 9);
  });

  it("the hold covers max_results searches: credit short of them is a 402 before any call", async () => {
    // Ten searches hold $0.10; one, $0.01: the model's worst case here is about a cent more.
    const { key: poor } = await fundedAccount("0.05");
    const marker = nonce();
    const refused = await ask(`hold ${marker}`, { plugins: [{ id: "web", engine: "native", max_results: 10 }] }, poor);
    expect(refused.status).toBe(402);
    await sleep(50);
    expect((await searchCalls(marker)).model).toHaveLength(0);
    const one = await ask(`hold ${marker}`, { plugins: [{ id: "web", engine: "native", max_results: 1 }] }, poor);
    expect(one.status).toBe(200);
  });

  it("engine native on a model with no native search is a 400 naming it, with no call", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      max_tokens: 20,
      messages: [{ role: "user", content: `native ${marker}` }],
      plugins: [{ id: "web", engine: "native" }],
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as any;
    expect(error.message).toContain('engine "native" is not available for openai/gpt-4o-mini');
    expect(error.metadata).toMatchObject({ field: "engine" });
    await sleep(50);
    expect((await searchCalls(marker)).model).toHaveLength(0);
  });
});

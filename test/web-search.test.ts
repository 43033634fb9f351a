import { createExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import worker from "../src/index";
import { env } from "./billing-support";
import {
  admin,
  BASE,
  chat,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  readSse,
  recordedGeneration,
  searchCalls,
  sleep,
  totalUsage,
} from "./support/gateway";
import { PER_RESULT, SEARCH_MODEL, tokensCost } from "./support/search-prices";

/**
 * OpenRouter's web search (the `web` plugin and `:online`) through the app: the search runs on
 * Exa's API (the emulator's `/exa/search` in tests), its results go to the model as a system
 * message before the last user message, come back as `url_citation` annotations, and are charged
 * at $4 per 1000 results, held for before any call.
 */

const MODEL = SEARCH_MODEL;

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

const ask = (text: string, extra: Record<string, unknown> = {}, apiKey = key) =>
  chat(apiKey, { model: MODEL, max_tokens: 20, messages: [{ role: "user", content: text }], ...extra });

/** The JSON events of an SSE stream with `event:` lines (/messages, /responses). */
const eventsOf = (text: string): any[] =>
  text
    .split("\n\n")
    .map((frame) => frame.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice("data: ".length)));

/** The first result's citation as /responses has it (flat), for a search of `query`. */
const firstCitation = (query: string) => ({
  type: "url_citation",
  url: expect.stringMatching(/^https:\/\/source1\.example\.com\//),
  title: expect.stringContaining("Source 1"),
  content: expect.stringContaining(query),
  start_index: expect.any(Number),
  end_index: expect.any(Number),
});

describe("web search with Exa", () => {
  it("the web plugin searches for the last user message and gives the model the results before it", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: MODEL,
      max_tokens: 20,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "an earlier question" },
        { role: "assistant", content: "an earlier answer" },
        { role: "user", content: `latest news on ${marker}` },
      ],
      plugins: [{ id: "web", max_results: 3 }],
    });
    expect(response.status).toBe(200);
    const { exa, model } = await searchCalls(marker);
    expect(exa).toHaveLength(1);
    const search = exa[0]?.body as any;
    expect(search.query).toBe(`latest news on ${marker}`);
    expect(search.numResults).toBe(3);
    expect(search.contents.text.maxCharacters).toBeGreaterThan(0);
    expect(exa[0]!.headers["x-api-key"]).toBeTruthy();
    expect(model).toHaveLength(1);
    const messages = (model[0]!.body as any).messages as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "system", "user"]);
    const injected = messages[3]?.content ?? "";
    expect(injected).toMatch(/^A web search was conducted on \d{4}-\d{2}-\d{2}\. Incorporate the following/);
    expect(injected).toContain("Cite them using markdown links named using the domain of the source");
    for (const i of [1, 2, 3]) expect(injected).toContain(`https://source${i}.example.com/`);
    expect(injected).not.toContain("https://source4.example.com/");
    expect(injected).toContain(`Result 1 for "latest news on ${marker}"`);

    const body = (await response.json()) as any;
    const annotations = body.choices[0].message.annotations;
    expect(annotations).toHaveLength(3);
    expect(annotations[0]).toEqual({
      type: "url_citation",
      url_citation: {
        url: expect.stringMatching(/^https:\/\/source1\.example\.com\//),
        title: expect.stringContaining("Source 1"),
        content: `Result 1 for "latest news on ${marker}": emulated page text.`,
        start_index: expect.any(Number),
        end_index: expect.any(Number),
      },
    });
  });

  it("costs the model's tokens plus $4 per 1000 results, in usage.cost, /generation and the account's charge", async () => {
    const { key: fresh } = await fundedAccount("1");
    const response = await ask(`prices ${nonce()}`, { plugins: [{ id: "web", max_results: 4 }] }, fresh);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const expected = tokensCost(body.usage) + 4 * PER_RESULT;
    expect(body.usage.cost).toBeCloseTo(expected, 9);
    const record = await recordedGeneration(fresh, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 9);
    for (let i = 0; i < 100 && (await totalUsage(fresh)) === 0; i++) await sleep(20);
    expect(await totalUsage(fresh)).toBeCloseTo(body.usage.cost, 9);
  });

  it(":online is the plugin with its defaults: five results", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: `${MODEL}:online`,
      max_tokens: 20,
      messages: [{ role: "user", content: `what happened to ${marker}` }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.choices[0].message.annotations).toHaveLength(5);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + 5 * PER_RESULT, 9);
    const { exa, model } = await searchCalls(marker);
    expect((exa[0]!.body as any).numResults).toBe(5);
    expect(JSON.stringify(model[0]?.body)).toContain("A web search was conducted on");
  });

  it("include_domains and exclude_domains go to Exa, and the results come from those domains", async () => {
    const marker = nonce();
    const response = await ask(`domains ${marker}`, {
      plugins: [
        {
          id: "web",
          max_results: 2,
          include_domains: ["docs.example.org", "*.news.example.net"],
          exclude_domains: ["spam.example.com"],
        },
      ],
    });
    expect(response.status).toBe(200);
    const search = (await searchCalls(marker)).exa[0]!.body as any;
    expect(search.includeDomains).toEqual(["docs.example.org", "*.news.example.net"]);
    expect(search.excludeDomains).toEqual(["spam.example.com"]);
    const urls = ((await response.json()) as any).choices[0].message.annotations.map((a: any) => a.url_citation.url);
    expect(urls[0]).toMatch(/^https:\/\/docs\.example\.org\//);
    expect(urls[1]).toMatch(/^https:\/\/news\.example\.net\//);
  });

  it("search_prompt replaces the text put before the results", async () => {
    const marker = nonce();
    const response = await ask(`q ${marker}`, {
      plugins: [{ id: "web", max_results: 1, search_prompt: "Some relevant web results:" }],
    });
    expect(response.status).toBe(200);
    const { model } = await searchCalls(marker);
    const messages = (model[0]!.body as any).messages as Array<{ role: string; content: string }>;
    expect(messages[0]?.role).toBe("system");
    expect(messages[0]?.content).toMatch(/^Some relevant web results:\n\n\[1\] /);
    expect(messages[0]?.content).not.toContain("A web search was conducted");
  });

  it("a stream sends the annotations in a delta, and its cost includes the search", async () => {
    const marker = nonce();
    const response = await ask(`stream ${marker}`, { stream: true, plugins: [{ id: "web", max_results: 2 }] });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const chunks = data.filter((d): d is Record<string, any> => d !== "[DONE]");
    const cited = chunks.flatMap((c) => c.choices ?? []).filter((ch: any) => ch.delta?.annotations);
    expect(cited).toHaveLength(1);
    expect(cited[0].delta.annotations).toHaveLength(2);
    expect(cited[0].delta.annotations[1].url_citation.url).toMatch(/^https:\/\/source2\.example\.com\//);
    const usage = chunks.at(-1)?.usage;
    expect(usage.cost).toBeCloseTo(tokensCost(usage) + 2 * PER_RESULT, 9);
    const record = await recordedGeneration(key, chunks[0]?.id);
    expect(record.total_cost).toBeCloseTo(usage.cost, 9);
  });

  it("the hold covers the results: credit for the model but not the search is a 402 before any call", async () => {
    // gpt-4o-mini's worst case here is well under a cent; five results are two cents.
    const { key: poor } = await fundedAccount("0.01");
    const marker = nonce();
    const refused = await ask(`search ${marker}`, { plugins: [{ id: "web" }] }, poor);
    expect(refused.status).toBe(402);
    await sleep(50);
    const { exa, model } = await searchCalls(marker);
    expect(exa).toHaveLength(0);
    expect(model).toHaveLength(0);
    // The same request without the search is answered on that credit.
    expect((await ask(`plain ${marker}`, {}, poor)).status).toBe(200);
  });

  it("Exa's failure fails the request with a 502 naming the search, before any model call, charging nothing", async () => {
    const { key: fresh } = await fundedAccount("1");
    for (const status of [401, 429, 500]) {
      const marker = nonce();
      const response = await ask(`[[emulate@exa status=${status}]] ${marker}`, { plugins: [{ id: "web" }] }, fresh);
      expect(response.status).toBe(502);
      const { error } = (await response.json()) as any;
      expect(error.message).toMatch(/web search failed.*Exa.*status/);
      const { exa, model } = await searchCalls(marker);
      expect(exa).toHaveLength(1);
      expect(model).toHaveLength(0);
    }
    await sleep(200);
    expect(await totalUsage(fresh)).toBe(0);
  });

  it("without EXA_API_KEY (and no emulator), web search is a 503 that says so, with no call", async () => {
    const emulator = inject("emulatorUrl");
    // The model is reachable (OPENAI_BASE_URL), the search is not configured.
    const unconfigured = { ...env, EMULATOR_URL: undefined, OPENAI_BASE_URL: `${emulator}/openai/v1` };
    const marker = nonce();
    const request = (body: Record<string, unknown>) =>
      worker.fetch(
        new Request(`${BASE}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: "user", content: marker }], ...body }),
        }),
        unconfigured,
        createExecutionContext(),
      );
    const refused = await request({ plugins: [{ id: "web" }] });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as any).error.message).toMatch(/web search is not configured.*EXA_API_KEY/);
    expect((await request({ model: `${MODEL}:online` })).status).toBe(503);
    expect((await searchCalls(marker)).model).toHaveLength(0);
    // The model itself is served there.
    expect((await request({})).status).toBe(200);
  });

  it("bad max_results, engine and search_prompt are 400s naming the field; engine exa is taken", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ max_results: 0 }, "max_results"],
      [{ max_results: 11 }, "max_results"],
      [{ max_results: 2.5 }, "max_results"],
      [{ max_results: "3" }, "max_results"],
      [{ engine: "native" }, "engine"],
      [{ engine: "bing" }, "engine"],
      [{ search_prompt: 5 }, "search_prompt"],
      [{ search_prompt: "" }, "search_prompt"],
      [{ include_domains: "example.com" }, "include_domains"],
      [{ exclude_domains: [1] }, "exclude_domains"],
    ];
    for (const [fields, named] of cases) {
      const response = await ask(`bad ${nonce()}`, { plugins: [{ id: "web", ...fields }] });
      expect(response.status, JSON.stringify(fields)).toBe(400);
      const { error } = (await response.json()) as any;
      expect(error.message).toContain(named);
    }
    const native = await ask(`native ${nonce()}`, { plugins: [{ id: "web", engine: "native" }] });
    // gpt-4o-mini's endpoints have no search of their own (web-search-native.test.ts).
    expect(((await native.json()) as any).error.message).toContain('"native" is not available for openai/gpt-4o-mini');
    expect((await ask(`exa ${nonce()}`, { plugins: [{ id: "web", engine: "exa", max_results: 10 }] })).status).toBe(
      200,
    );
  });

  it("sent disabled, the plugin searches nothing and charges nothing for it", async () => {
    const marker = nonce();
    const response = await ask(`off ${marker}`, { plugins: [{ id: "web", enabled: false }] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.choices[0].message.annotations).toBeUndefined();
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage), 9);
    expect((await searchCalls(marker)).exa).toHaveLength(0);
  });

  it("a Perplexity model searches natively: no Exa search, no search charge", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: "perplexity/sonar",
      max_tokens: 20,
      messages: [{ role: "user", content: `sonar ${marker}` }],
      plugins: [{ id: "web" }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.choices[0].message.annotations).toBeUndefined();
    const { exa, model } = await searchCalls(marker);
    expect(exa).toHaveLength(0);
    expect(JSON.stringify(model[0]?.body)).not.toContain("A web search was conducted");
  });

  it("/responses with the web plugin searches, cites the results on its output_text and charges them", async () => {
    const marker = nonce();
    const response = await gatewayFetch(`${BASE}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        input: `responses ${marker}`,
        max_output_tokens: 20,
        plugins: [{ id: "web", max_results: 2 }],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const { exa, model } = await searchCalls(marker);
    expect((exa[0]!.body as any).numResults).toBe(2);
    expect(JSON.stringify(model[0]?.body)).toContain("A web search was conducted on");
    const text = body.output.find((item: any) => item.type === "message").content[0];
    expect(text.annotations).toHaveLength(2);
    expect(text.annotations[0]).toEqual(firstCitation(`responses ${marker}`));
    const record = await recordedGeneration(key, body.id);
    const usage = { prompt_tokens: record.tokens_prompt, completion_tokens: record.tokens_completion };
    expect(record.total_cost).toBeCloseTo(tokensCost(usage) + 2 * PER_RESULT, 9);
  });

  it("/messages cites the results on its text, in its reply and its stream, the search charged", async () => {
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const ask = (marker: string, stream: boolean) =>
      gatewayFetch(`${BASE}/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          model: MODEL,
          max_tokens: 20,
          stream,
          messages: [{ role: "user", content: `messages ${marker}` }],
          plugins: [{ id: "web", max_results: 2 }],
        }),
      });
    const marker = nonce();
    const reply = (await (await ask(marker, false)).json()) as any;
    const text = reply.content.find((block: any) => block.type === "text");
    expect(text.citations).toHaveLength(2);
    expect(text.citations[0]).toEqual({
      type: "web_search_result_location",
      url: expect.stringMatching(/^https:\/\/source1\.example\.com\//),
      title: expect.stringContaining("Source 1"),
      cited_text: expect.stringContaining(`messages ${marker}`),
      encrypted_index: "",
    });

    const events = eventsOf(await (await ask(nonce(), true)).text());
    expect(events.map((e) => e.type)).not.toContain("error");
    expect(events.at(-1)?.type).toBe("message_stop");
    const textIndex = events.find((e) => e.type === "content_block_start" && e.content_block.type === "text")?.index;
    const cited = events.filter((e) => e.type === "content_block_delta" && e.delta.type === "citations_delta");
    expect(cited).toHaveLength(2);
    for (const event of cited) expect(event.index).toBe(textIndex);
    expect(cited[1].delta.citation).toMatchObject({
      type: "web_search_result_location",
      url: expect.stringMatching(/^https:\/\/source2\.example\.com\//),
    });
    const id = events[0]?.message.id as string;
    const record = await recordedGeneration(key, id);
    const usage = { prompt_tokens: record.tokens_prompt, completion_tokens: record.tokens_completion };
    expect(record.total_cost).toBeCloseTo(tokensCost(usage) + 2 * PER_RESULT, 9);
  });

  it("a /responses stream announces each citation and ends with them on its output_text", async () => {
    const marker = nonce();
    const response = await gatewayFetch(`${BASE}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        input: `responses ${marker}`,
        max_output_tokens: 20,
        stream: true,
        plugins: [{ id: "web", max_results: 2 }],
      }),
    });
    const events = eventsOf(await response.text());
    expect(events.map((e) => e.type)).not.toContain("response.failed");
    const added = events.filter((e) => e.type === "response.output_text.annotation.added");
    expect(added.map((e) => e.annotation_index)).toEqual([0, 1]);
    const part = events.find((e) => e.type === "response.content_part.added" && e.part.type === "output_text");
    for (const event of added) {
      expect(event).toMatchObject({
        item_id: part.item_id,
        output_index: part.output_index,
        content_index: part.content_index,
      });
    }
    expect(added[0].annotation).toEqual(firstCitation(`responses ${marker}`));
    // Sequence numbers stay one by one across the added events.
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const done = events.find((e) => e.type === "response.output_text.done");
    expect(done).toBeDefined();
    const completed = events.at(-1);
    expect(completed?.type).toBe("response.completed");
    const text = completed?.response.output.find((item: any) => item.type === "message").content[0];
    expect(text.annotations).toEqual(added.map((e) => e.annotation));
  });

  it("a preset's web plugin searches as the request's own does", async () => {
    const { accountId, key: own } = await fundedAccount("1");
    const ops = await admin<{ key: string }>(`/accounts/${accountId}/keys`, { name: "ops", provisioning: true });
    const slug = `web-${nonce()}`;
    await openRouterClient(ops.key).presets.createPresetsChatCompletions({
      slug,
      chatRequest: {
        model: MODEL,
        messages: [{ role: "user", content: "ignored" }],
        plugins: [{ id: "web", maxResults: 3 }],
      },
    });
    const marker = nonce();
    const response = await chat(own, {
      model: `@preset/${slug}`,
      max_tokens: 20,
      messages: [{ role: "user", content: `preset ${marker}` }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.choices[0].message.annotations).toHaveLength(3);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + 3 * PER_RESULT, 9);
    expect(((await searchCalls(marker)).exa[0]!.body as any).numResults).toBe(3);
  });

  it("@openrouter/sdk parses a searched reply and stream", async () => {
    const client = openRouterClient(key);
    const reply = await client.chat.send({
      chatRequest: {
        model: MODEL,
        maxTokens: 20,
        messages: [{ role: "user", content: `sdk ${nonce()}` }],
        plugins: [{ id: "web", maxResults: 2 }],
      },
    });
    if (!("choices" in reply)) throw new Error("expected a completion");
    expect(reply.choices[0]?.message.content).toBeTruthy();
    expect(reply.usage?.cost).toBeGreaterThan(2 * PER_RESULT);
    const stream = await client.chat.send({
      chatRequest: {
        model: MODEL,
        maxTokens: 20,
        stream: true,
        messages: [{ role: "user", content: `sdk stream ${nonce()}` }],
        plugins: [{ id: "web", maxResults: 2 }],
      },
    });
    if ("choices" in stream) throw new Error("expected a stream");
    let cost: number | null | undefined;
    for await (const chunk of stream) if (chunk.usage) cost = chunk.usage.cost;
    expect(cost).toBeGreaterThan(2 * PER_RESULT);
  });
});

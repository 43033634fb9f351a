import { OpenResponsesResult$inboundSchema } from "@openrouter/sdk/models";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  ARTICLE_ENTITIES,
  ARTICLE_HEADING,
  ARTICLE_SENTENCE,
  ARTICLE_TITLE,
  NAV_WORD,
  SCRIPT_WORD,
  STYLE_WORD,
  WEB_PATH,
} from "./emulator/web";
import { postWithSettings } from "./support/app-with-settings";
import { emulatorRequests, fundedAccount, nonce, recordedGeneration, sleep, totalUsage } from "./support/gateway";
import { SEARCH_MODEL, tokensCost } from "./support/search-prices";

/**
 * OpenRouter's `openrouter:web_fetch` server tool through the app: the model is shown a
 * `web_fetch(url)` function; when it calls it, the gateway reads the page (through Exa's Contents
 * API, or directly) and gives the model its URL, title and text, then calls it again for the
 * answer. Pages read through Exa cost $1 per 1000; direct fetches are free.
 */

const MODEL = SEARCH_MODEL;
/** One page read through Exa, in USD. */
const PER_PAGE = 0.001;
/** This file's path to Exa's emulator (test files run side by side; each counts its own calls). */
const EXA_PATH = "exa-web-fetch-test";

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

/** A request to the app with its settings changed (the env's vars), past SELF. */
function send(path: string, settings: Record<string, string | undefined>, apiKey: string, body: unknown) {
  return postWithSettings({ EXA_BASE_URL: `${inject("emulatorUrl")}/${EXA_PATH}`, ...settings }, path, apiKey, body);
}

/** A chat request asking the model to read `url` with the given tools. */
const ask = (
  url: string,
  tools: unknown[],
  {
    apiKey = key,
    settings = {},
    text = "",
  }: { apiKey?: string; settings?: Record<string, string | undefined>; text?: string } = {},
) =>
  send("/chat/completions", settings, apiKey, {
    model: MODEL,
    max_tokens: 30,
    messages: [{ role: "user", content: `${text} use the tool to read ${url}` }],
    tools,
  });

/** The model's calls carrying `marker`, in order (Exa's left out). */
const modelCalls = async (marker: string) =>
  (await emulatorRequests(marker)).filter((call) => call.provider !== EXA_PATH);
/** Exa's Contents calls carrying `marker`. */
const exaCalls = async (marker: string) =>
  (await emulatorRequests(marker)).filter((call) => call.provider === EXA_PATH);

/** What the model was given for its fetch: the tool message of the request's second turn, parsed. */
async function fetchResult(marker: string): Promise<Record<string, any>> {
  const turns = await modelCalls(marker);
  expect(turns).toHaveLength(2);
  const messages = (turns[1]!.body as any).messages;
  const result = messages.at(-1);
  expect(result.role).toBe("tool");
  expect(result.tool_call_id).toBe(messages.at(-2).tool_calls[0].id);
  return JSON.parse(result.content);
}

async function chargedUsage(apiKey: string): Promise<number> {
  for (let i = 0; i < 100 && (await totalUsage(apiKey)) === 0; i++) await sleep(20);
  return totalUsage(apiKey);
}

/** A page on the emulator's loopback web (the direct engine's fetches reach it with IMAGE_FETCH_PRIVATE=allow). */
const loopbackPage = (name: string) => `${inject("emulatorUrl")}${WEB_PATH}${name}`;

describe("openrouter:web_fetch through Exa (engine auto, the gateway having Exa)", () => {
  it("reads the page the model asks for through Exa's Contents API; the answer's usage and cost count both turns and the page", async () => {
    const { key: fresh } = await fundedAccount("10");
    const marker = nonce();
    const url = `https://docs.example.com/guide/${marker}`;
    const response = await ask(url, [{ type: "openrouter:web_fetch" }], { apiKey: fresh });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    expect(body.choices[0].message.tool_calls).toBeUndefined();
    expect(body.choices[0].finish_reason).toBe("stop");

    // The model was shown a plain function, and called it with the URL.
    const turns = await modelCalls(marker);
    const first = turns[0]!.body as any;
    expect(first.tools).toEqual([
      expect.objectContaining({ type: "function", function: expect.objectContaining({ name: "web_fetch" }) }),
    ]);
    expect(JSON.stringify(first.tools)).not.toContain("openrouter:");

    // Exa was asked for that URL once, its text held to the default 10,000 tokens' worth (and one
    // character more, to tell a page that was cut).
    const exa = await exaCalls(marker);
    expect(exa).toHaveLength(1);
    expect(exa[0]!.body).toMatchObject({ urls: [url], text: { maxCharacters: 40_001 } });

    const result = await fetchResult(marker);
    expect(result).toMatchObject({ url, title: `Page ${marker}` });
    expect(result.content).toContain(`Content of ${url}: emulated page text.`);
    expect(result.truncated).toBeUndefined();

    expect(body.usage.server_tool_use_details).toEqual({
      tool_calls_requested: 1,
      tool_calls_executed: 1,
      web_search_requests: 0,
    });
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + PER_PAGE, 9);
    const record = await recordedGeneration(fresh, body.id);
    expect(record.total_cost).toBeCloseTo(body.usage.cost, 9);
    expect(await chargedUsage(fresh)).toBeCloseTo(body.usage.cost, 9);
  });

  it("the hold covers every page the loop may read: a key with $0.05 is served at the defaults, refused at 50 pages of 200,000 tokens", async () => {
    // Read directly (free pages), the defaults (5 pages of 10,000 tokens) hold ~$0.03 of prompt;
    // the most (each later turn's prompt capped at the model's 128k context) ~$0.08.
    const { key: modest } = await fundedAccount("0.05");
    const tools = (parameters: Record<string, unknown>) => [
      { type: "openrouter:web_fetch", parameters: { engine: "openrouter", ...parameters } },
    ];
    const marker = nonce();
    const plain = await ask(`${loopbackPage("article.html")}?m=${marker}`, tools({}), { apiKey: modest });
    expect(plain.status).toBe(200);
    await plain.body?.cancel();
    const other = nonce();
    const wide = await ask(
      `${loopbackPage("article.html")}?m=${other}`,
      tools({ max_uses: 50, max_content_tokens: 200_000 }),
      { apiKey: modest },
    );
    expect(wide.status).toBe(402);
    await wide.body?.cancel();
    expect(await modelCalls(other)).toHaveLength(0);
  });

  it("cuts the page's text at max_content_tokens, and says so", async () => {
    const marker = nonce();
    const url = `https://docs.example.com/${marker}`;
    const response = await ask(url, [{ type: "openrouter:web_fetch", parameters: { max_content_tokens: 10 } }]);
    expect(response.status).toBe(200);
    expect((await exaCalls(marker))[0]!.body).toMatchObject({ text: { maxCharacters: 41 } });
    const result = await fetchResult(marker);
    expect(result.content).toHaveLength(40);
    expect(result.content).toBe(`Content of ${url}: emulated page text.`.slice(0, 40));
    expect(result.truncated).toBe(true);
  });

  it("a page Exa cannot read is an error result with its status: the answer is charged its tokens only", async () => {
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const response = await ask(`https://docs.example.com/missing/${marker}`, [{ type: "openrouter:web_fetch" }], {
      apiKey: fresh,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const result = await fetchResult(marker);
    expect(result.error).toMatch(/could not be fetched \(CRAWL_NOT_FOUND\)/);
    expect(body.usage.server_tool_use_details.tool_calls_executed).toBe(0);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage), 9);
    expect(await chargedUsage(fresh)).toBeCloseTo(body.usage.cost, 9);
  });

  it("allowed_domains and blocked_domains refuse a URL before any fetch, as an error result", async () => {
    const marker = nonce();
    const outside = await ask(`https://elsewhere.example.org/${marker}`, [
      { type: "openrouter:web_fetch", parameters: { allowed_domains: ["docs.example.com"] } },
    ]);
    expect(outside.status).toBe(200);
    expect((await fetchResult(marker)).error).toMatch(/elsewhere\.example\.org is not among the domains/);
    const other = nonce();
    const blocked = await ask(`https://api.docs.example.com/${other}`, [
      { type: "openrouter:web_fetch", parameters: { blocked_domains: ["docs.example.com"] } },
    ]);
    expect(blocked.status).toBe(200);
    expect((await fetchResult(other)).error).toMatch(/api\.docs\.example\.com is a blocked domain/);
    expect(await exaCalls(marker)).toHaveLength(0);
    expect(await exaCalls(other)).toHaveLength(0);
  });

  it("max_uses: a fetch past it is an error result, and only the pages read are charged", async () => {
    const marker = nonce();
    const url = `https://docs.example.com/${marker}`;
    const response = await ask(url, [{ type: "openrouter:web_fetch", parameters: { max_uses: 1 } }], {
      text: "twice:",
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const turns = await modelCalls(marker);
    const results = (turns[1]!.body as any).messages.filter((m: any) => m.role === "tool");
    expect(results).toHaveLength(2);
    expect(JSON.parse(results[0].content).url).toBe(url);
    expect(JSON.parse(results[1].content).error).toMatch(/max_uses reached: at most 1 web fetches/);
    expect(await exaCalls(marker)).toHaveLength(1);
    expect(body.usage.server_tool_use_details).toMatchObject({ tool_calls_requested: 2, tool_calls_executed: 1 });
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage) + PER_PAGE, 9);
  });
});

describe("openrouter:web_fetch, read directly (engine openrouter)", () => {
  const direct = [{ type: "openrouter:web_fetch", parameters: { engine: "openrouter" } }];

  it("reads an HTML page's title and text (no script, style or navigation), for free", async () => {
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const url = `${loopbackPage("article.html")}?m=${marker}`;
    const response = await ask(url, direct, { apiKey: fresh });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const result = await fetchResult(marker);
    expect(result.url).toBe(url);
    expect(result.title).toBe(ARTICLE_TITLE);
    expect(result.content).toContain(`# ${ARTICLE_HEADING}`);
    expect(result.content).toContain(ARTICLE_SENTENCE);
    expect(result.content).toContain(ARTICLE_ENTITIES);
    for (const hidden of [SCRIPT_WORD, STYLE_WORD, NAV_WORD, "<p", "&amp;"])
      expect(result.content).not.toContain(hidden);
    expect(await exaCalls(marker)).toHaveLength(0);
    expect(body.usage.server_tool_use_details.tool_calls_executed).toBe(1);
    expect(body.usage.cost).toBeCloseTo(tokensCost(body.usage), 9);
  });

  it("a text page is read as it is, asked for with text first and a user agent naming the fetcher", async () => {
    const marker = nonce();
    const response = await ask(`${loopbackPage("headers")}?m=${marker}`, direct);
    expect(response.status).toBe(200);
    const sent = JSON.parse((await fetchResult(marker)).content);
    expect(sent["user-agent"]).toContain("Tollgate-WebFetch");
    expect(sent.accept).toMatch(/^text\/html/);
  });

  it("a long page is cut at max_content_tokens; a huge one is read no further than needed", async () => {
    const marker = nonce();
    const response = await ask(`${loopbackPage("huge.html")}?m=${marker}`, [
      { type: "openrouter:web_fetch", parameters: { engine: "openrouter", max_content_tokens: 100 } },
    ]);
    expect(response.status).toBe(200);
    const result = await fetchResult(marker);
    expect(result.truncated).toBe(true);
    expect(result.content.length).toBe(400);
  });

  it("reads a hostile page (2 MiB of unclosed comments, unended tags, unclosed scripts) in bounded time", async () => {
    for (const kind of ["comments", "tags", "scripts"]) {
      const marker = nonce();
      const started = Date.now();
      const response = await ask(`${loopbackPage("hostile.html")}?kind=${kind}&m=${marker}`, direct);
      expect(response.status).toBe(200);
      // Seconds at most on a slow host; searching on from every `<` took minutes.
      expect(Date.now() - started).toBeLessThan(5_000);
      const result = await fetchResult(marker);
      expect(result.title).toBe("Hostile");
      expect(result.content).toContain(ARTICLE_SENTENCE);
    }
  });

  it("tells the model why a page could not be read: its status, a PDF, something that is not text", async () => {
    const cases: Array<[string, RegExp]> = [
      ["missing", /answered HTTP 404/],
      ["doc.pdf", /is a PDF/],
      ["image.png", /not text \(content-type image\/png\)/],
    ];
    for (const [page, error] of cases) {
      const marker = nonce();
      const response = await ask(`${loopbackPage(page)}?m=${marker}`, direct);
      expect(response.status).toBe(200);
      expect((await fetchResult(marker)).error).toMatch(error);
    }
  });

  it("refuses a private address unless the operator allows it (IMAGE_FETCH_PRIVATE=allow)", async () => {
    const marker = nonce();
    const response = await ask(`${loopbackPage("article.html")}?m=${marker}`, direct, {
      settings: { IMAGE_FETCH_PRIVATE: undefined },
    });
    expect(response.status).toBe(200);
    expect((await fetchResult(marker)).error).toMatch(/127\.0\.0\.1 is a private or loopback address/);
  });

  it("holds each redirect to the tool's domains", async () => {
    const marker = nonce();
    // Allowed: the emulator's address; the redirect goes to the same emulator by another name.
    const port = new URL(inject("emulatorUrl")).port;
    const target = `http://localhost:${port}${WEB_PATH}article.html`;
    const response = await ask(`${loopbackPage("redirect")}?to=${encodeURIComponent(target)}&m=${marker}`, [
      { type: "openrouter:web_fetch", parameters: { engine: "openrouter", allowed_domains: ["127.0.0.1"] } },
    ]);
    expect(response.status).toBe(200);
    expect((await fetchResult(marker)).error).toMatch(
      /redirects to http:\/\/localhost:\d+\/.*localhost is not among the domains/,
    );
  });
});

describe("openrouter:web_fetch refused", () => {
  const refusal = async (tools: unknown[], settings: Record<string, string | undefined> = {}) => {
    const marker = nonce();
    const response = await ask(`https://docs.example.com/${marker}`, tools, { settings });
    const body = (await response.json()) as any;
    expect(await modelCalls(marker)).toHaveLength(0);
    return { status: response.status, message: body.error.message as string };
  };

  it("an engine the gateway does not run, and max_uses or max_content_tokens out of range, naming the field", async () => {
    const engine = await refusal([{ type: "openrouter:web_fetch", parameters: { engine: "firecrawl" } }]);
    expect(engine.status).toBe(400);
    expect(engine.message).toContain("tools.0.parameters.engine");
    expect(engine.message).toContain('"openrouter"');
    const uses = await refusal([{ type: "openrouter:web_fetch", parameters: { max_uses: 51 } }]);
    expect(uses.status).toBe(400);
    expect(uses.message).toContain("tools.0.parameters.max_uses");
    const tokens = await refusal([{ type: "openrouter:web_fetch", parameters: { max_content_tokens: 0 } }]);
    expect(tokens.status).toBe(400);
    expect(tokens.message).toContain("tools.0.parameters.max_content_tokens");
  });

  it("engine exa on a gateway without Exa is a 503, before any model call; auto then fetches directly", async () => {
    const noExa = { EXA_BASE_URL: undefined, EXA_API_KEY: undefined, EMULATOR_URL: undefined };
    // Without EMULATOR_URL the model's provider is reached by its base URL override.
    const openai = { OPENAI_BASE_URL: `${inject("emulatorUrl")}/openai/v1`, OPENAI_API_KEY: "test" };
    const exa = await refusal([{ type: "openrouter:web_fetch", parameters: { engine: "exa" } }], {
      ...noExa,
      ...openai,
    });
    expect(exa.status).toBe(503);
    expect(exa.message).toMatch(/web fetch through Exa is not configured/);

    const marker = nonce();
    const response = await ask(`${loopbackPage("article.html")}?m=${marker}`, [{ type: "openrouter:web_fetch" }], {
      settings: { ...noExa, ...openai },
    });
    expect(response.status).toBe(200);
    expect((await fetchResult(marker)).title).toBe(ARTICLE_TITLE);
  });
});

describe("openrouter:web_fetch on /responses", () => {
  const post = (body: Record<string, unknown>) =>
    send("/responses", {}, key, { model: MODEL, max_output_tokens: 30, ...body });

  it("lists the fetch as an openrouter:web_fetch item (URL, title, text) before the answer, as OpenRouter's SDK parses it", async () => {
    const marker = nonce();
    const url = `${loopbackPage("article.html")}?m=${marker}`;
    const response = await post({
      input: `use the tool to read ${url}`,
      tools: [{ type: "openrouter:web_fetch", parameters: { engine: "openrouter" } }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const parsed = OpenResponsesResult$inboundSchema.parse(body);
    expect(parsed.output[0]).toMatchObject({ type: "openrouter:web_fetch", status: "completed" });
    expect(body.output.map((item: any) => item.type)).toEqual(["openrouter:web_fetch", "message"]);
    const item = body.output[0];
    expect(item.id).toMatch(/^wf_/);
    expect(item).toMatchObject({ url, title: ARTICLE_TITLE, httpStatus: 200 });
    expect(item.content).toContain(ARTICLE_SENTENCE);
  });

  it("a failed fetch is an incomplete item with its error and status; streamed, the item is added then done", async () => {
    const marker = nonce();
    const response = await post({
      input: `use the tool to read ${loopbackPage("missing")}?m=${marker}`,
      tools: [{ type: "openrouter:web_fetch", parameters: { engine: "openrouter" } }],
      stream: true,
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split("\n\n")
      .filter((frame) => frame.startsWith("event: "))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + "data: ".length)));
    const added = events.find((e) => e.type === "response.output_item.added");
    expect(added.item).toMatchObject({ type: "openrouter:web_fetch", status: "in_progress" });
    expect(added.item.url).toContain(marker);
    const done = events.find((e) => e.type === "response.output_item.done");
    expect(done.item).toMatchObject({ type: "openrouter:web_fetch", status: "incomplete", httpStatus: 404 });
    expect(done.item.error).toMatch(/HTTP 404/);
    const completed = events.find((e) => e.type === "response.completed");
    expect(completed.response.output[0].type).toBe("openrouter:web_fetch");
  });
});

describe("Anthropic's web fetch tool on /messages", () => {
  const post = (body: Record<string, unknown>) => send("/messages", {}, key, { model: MODEL, max_tokens: 30, ...body });

  it("web_fetch_20250910 runs as openrouter:web_fetch, its settings the tool's", async () => {
    const marker = nonce();
    const url = `https://docs.example.com/${marker}`;
    const response = await post({
      messages: [{ role: "user", content: `use the tool to read ${url}` }],
      tools: [
        {
          type: "web_fetch_20250910",
          name: "web_fetch",
          max_uses: 2,
          max_content_tokens: 10,
          citations: { enabled: true },
        },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.type).toBe("message");
    expect(body.content.some((block: any) => block.type === "text")).toBe(true);
    expect((await exaCalls(marker))[0]!.body).toMatchObject({ urls: [url], text: { maxCharacters: 41 } });
    expect((await fetchResult(marker)).url).toBe(url);
  });

  it("a bad setting is a 400 naming it as sent", async () => {
    const response = await post({
      messages: [{ role: "user", content: "use the tool to read https://docs.example.com/" }],
      tools: [{ type: "web_fetch_20250910", name: "web_fetch", max_uses: 0 }],
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.message).toContain("tools.0.max_uses");
  });
});

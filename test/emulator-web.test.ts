import { describe, expect, inject, it } from "vitest";
import { exaPageText } from "./emulator/exa";
import {
  ARTICLE_ENTITIES,
  ARTICLE_SENTENCE,
  ARTICLE_TITLE,
  DATA_JSON,
  HUGE_HTML_BYTES,
  NOTES_TEXT,
  SCRIPT_WORD,
  STYLE_WORD,
  WEB_PATH,
} from "./emulator/web";
import { nonce } from "./support/gateway";

/** The emulator's fixtures for `openrouter:web_fetch`, spoken to directly over HTTP. */
const url = (path: string) => `${inject("emulatorUrl")}${path}`;
const page = (name: string) => url(`${WEB_PATH}${name}`);
const post = (path: string, body: unknown, headers: Record<string, string>) =>
  fetch(url(path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const contents = (body: unknown, headers: Record<string, string> = { "x-api-key": "k" }) =>
  post("/exa/contents", body, headers);

describe("Exa's Contents API emulator", () => {
  it("answers each URL with its page, and a missing one with an error status (HTTP 200)", async () => {
    const good = `https://docs.example.com/guide/${nonce()}`;
    const missing = "https://docs.example.com/missing/page";
    const response = await contents({ urls: [good, missing], text: true });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.results).toHaveLength(1);
    expect(body.results[0]).toMatchObject({ id: good, url: good, title: `Page ${good.split("/").at(-1)}` });
    expect(body.results[0].text).toContain(`Content of ${good}: emulated page text.`);
    expect(body.results[0].text.length).toBeGreaterThanOrEqual(2_000);
    expect(body.statuses).toEqual([
      { id: good, status: "success" },
      { id: missing, status: "error", error: { tag: "CRAWL_NOT_FOUND", httpStatusCode: 404 } },
    ]);
    expect(body.costDollars).toEqual({ total: 0.001, contents: { text: 0.001 } });
  });

  it("is deterministic, titles a bare host by it, and cuts the text to maxCharacters", async () => {
    const target = "https://example.org";
    const a = (await (await contents({ urls: [target], text: { maxCharacters: 50 } })).json()) as any;
    const b = (await (await contents({ urls: [target], text: { maxCharacters: 50 } })).json()) as any;
    expect(a).toEqual(b);
    expect(a.results[0].title).toBe("Page example.org");
    expect(a.results[0].text).toBe(exaPageText(target).slice(0, 50));
    expect(a.results[0].text).toHaveLength(50);
  });

  it("refuses a request without urls (400) and one without a key (401), in Exa's error shape", async () => {
    for (const body of [{}, { urls: [] }, { urls: "https://example.org" }]) {
      const response = await contents(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).tag).toBe("INVALID_REQUEST_BODY");
    }
    const unauthorized = await contents({ urls: ["https://example.org"] }, {});
    expect(unauthorized.status).toBe(401);
    // The tag /search's 401 carries too (the server's code for a missing credential).
    expect(((await unauthorized.json()) as any).tag).toBe("invalid_api_key");
  });

  it("plays a directive's error script as /search does", async () => {
    const response = await contents({ urls: ["https://example.org"], note: "[[emulate status=429]]" });
    expect(response.status).toBe(429);
    expect(((await response.json()) as any).tag).toBe("RATE_LIMIT_EXCEEDED");
  });
});

describe("web pages on the loopback", () => {
  it("serves an article whose script, style and entities are there to be read past", async () => {
    const response = await fetch(page("article.html"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain(`<title>${ARTICLE_TITLE}</title>`);
    expect(html).toContain(ARTICLE_SENTENCE);
    expect(html).toMatch(new RegExp(`<script>[^<]*${SCRIPT_WORD}`));
    expect(html).toMatch(new RegExp(`<style>[^<]*${STYLE_WORD}`));
    expect(html).toContain("Salt &amp; pepper &lt; 3&nbsp;grams, isn&#39;t it?");
    expect(ARTICLE_ENTITIES).toBe("Salt & pepper < 3 grams, isn't it?");
    expect(html).toMatch(/<nav>.*<\/nav>/);
    expect(html).toMatch(/<ul><li>/);
  });

  it("pads the article to about ?size characters", async () => {
    const plain = (await (await fetch(page("article.html"))).text()).length;
    const padded = (await (await fetch(page("article.html?size=20000"))).text()).length;
    expect(plain).toBeLessThan(2_000);
    expect(padded).toBeGreaterThanOrEqual(20_000);
    expect(padded).toBeLessThan(20_200);
  });

  it("serves each page with its type and status", async () => {
    const notes = await fetch(page("notes.txt"));
    expect([notes.status, notes.headers.get("content-type"), await notes.text()]).toEqual([
      200,
      "text/plain; charset=utf-8",
      NOTES_TEXT,
    ]);
    const data = await fetch(page("data.json"));
    expect(data.headers.get("content-type")).toBe("application/json");
    expect(await data.json()).toEqual(DATA_JSON);
    const pdf = await fetch(page("doc.pdf"));
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(new TextDecoder().decode((await pdf.arrayBuffer()).slice(0, 8))).toBe("%PDF-1.4");
    const image = await fetch(page("image.png"));
    expect(image.headers.get("content-type")).toBe("image/png");
    expect([...new Uint8Array(await image.arrayBuffer()).slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    const missing = await fetch(page("missing"));
    expect([missing.status, missing.headers.get("content-type")]).toEqual([404, "text/plain"]);
    await missing.body?.cancel();
    const error = await fetch(page("error"));
    expect(error.status).toBe(500);
    await error.body?.cancel();
  });

  it("redirects to ?to, and answers ?ms late", async () => {
    const target = "https://elsewhere.example.com/page";
    const response = await fetch(page(`redirect?to=${encodeURIComponent(target)}`), { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(target);
    const started = Date.now();
    const slow = await fetch(page("slow?ms=300"));
    expect(slow.status).toBe(200);
    expect(await slow.text()).toContain(ARTICLE_SENTENCE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("streams huge.html without a length", async () => {
    const response = await fetch(page("huge.html"));
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-length")).toBeNull();
    const bytes = (await response.arrayBuffer()).byteLength;
    expect(bytes).toBeGreaterThanOrEqual(HUGE_HTML_BYTES);
    expect(bytes).toBeLessThan(HUGE_HTML_BYTES + 100);
  });
});

describe("the emulated model's url argument", () => {
  const fetchTool = {
    type: "function",
    function: {
      name: "web_fetch",
      parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
    },
  };
  const toolArguments = async (text: string) => {
    const response = await post(
      "/openai/v1/chat/completions",
      { model: "m", messages: [{ role: "user", content: text }], tools: [fetchTool] },
      { authorization: "Bearer k" },
    );
    const call = ((await response.json()) as any).choices[0].message.tool_calls[0];
    expect(call.function.name).toBe("web_fetch");
    return JSON.parse(call.function.arguments);
  };

  it("is the first URL of the user's message", async () => {
    expect(await toolArguments("use the tool to read https://docs.example.com/guide")).toEqual({
      url: "https://docs.example.com/guide",
    });
    expect(await toolArguments("use the tool to read https://docs.example.com/guide. Then https://b.example/")).toEqual(
      {
        url: "https://docs.example.com/guide",
      },
    );
  });

  it("is found with a directive against it, and sampled when the message has none", async () => {
    expect(await toolArguments("use the tool to read https://docs.example.com/a[[emulate tokens=3]]more")).toEqual({
      url: "https://docs.example.com/a",
    });
    expect(await toolArguments("use the tool to read the docs")).toEqual({ url: "sample url" });
  });
});

import type { IncomingMessage, ServerResponse } from "node:http";
import { PIXEL_PNG_BASE64 } from "./images";
import { redirect, send, stream, waitUnlessGone, watchGone } from "./loopback";

/**
 * Web pages on the loopback, for the gateway's direct fetches (`openrouter:web_fetch` without
 * Exa; the tests' network is loopback-only), under `/__emulator/web/`: `article.html` an article
 * among a script, a style and a nav that are not its text (`?size=N` pads its body to about N
 * characters, for truncation); `notes.txt` plain text; `data.json` JSON; `doc.pdf` a PDF's first
 * bytes; `image.png` a 1×1 PNG; `huge.html` about 6 MiB of HTML streamed without a length;
 * `slow?ms=N` the article after N ms (10 s by default; nothing if the client left);
 * `hostile.html?kind=comments|tags|scripts` 2 MiB of unclosed comments, unended tags or unclosed
 * scripts after a title and the article's sentence; `redirect?to=URL` a 302 to URL (else to the
 * article); `headers` the request's headers as JSON
 * text (what a fetcher sent); `error` a 500; `missing` and any other
 * name a 404.
 */
export const WEB_PATH = "/__emulator/web/";
export const ARTICLE_TITLE = "Emulated Article";
export const ARTICLE_HEADING = "An emulated heading";
/** A sentence of the article's body, found in its text however the page is read. */
export const ARTICLE_SENTENCE = "The emulated article's body.";
/** The paragraph written with entities (`&amp; &lt; &#39; &nbsp;`), as read: its `&nbsp;` a space. */
export const ARTICLE_ENTITIES = "Salt & pepper < 3 grams, isn't it?";
/** Words inside the page's `<script>`, `<style>` and `<nav>`: none is the article's text. */
export const SCRIPT_WORD = "SCRIPTWORD";
export const STYLE_WORD = "STYLEWORD";
export const NAV_WORD = "NAVWORD";
export const NOTES_TEXT = "Emulated notes: plain text, one line.\n";
export const DATA_JSON = { emulated: true, items: [1, 2, 3] };
/** The bytes huge.html streams (6 MiB), past any sane cap on a fetched page. */
export const HUGE_HTML_BYTES = 6 * 1024 * 1024;
/** The hostile pages' size: what the gateway's direct fetch reads of a page at most. */
const HOSTILE_BYTES = 2 * 1024 * 1024;

const PADDING = "<p>This paragraph pads the emulated article so that a cut to a length shows.</p>\n";

function article(size: number): string {
  const head =
    `<!doctype html><html><head><meta charset="utf-8"><title>${ARTICLE_TITLE}</title>\n` +
    `<style>body { font-family: ${STYLE_WORD}, serif; }</style>\n` +
    `<script>var hidden = "${SCRIPT_WORD}";</script>\n</head><body>\n` +
    `<nav><a href="/">${NAV_WORD} home</a> | <a href="/about">About</a></nav>\n<article>\n<h1>${ARTICLE_HEADING}</h1>\n` +
    `<p>${ARTICLE_SENTENCE}</p>\n<p>Salt &amp; pepper &lt; 3&nbsp;grams, isn&#39;t it?</p>\n` +
    `<ul><li>First item</li><li>Second item</li></ul>\n`;
  const tail = "</article>\n</body></html>\n";
  const repeats = Math.max(0, Math.ceil((size - head.length - tail.length) / PADDING.length));
  return head + PADDING.repeat(repeats) + tail;
}

// The header and first bytes of a PDF: enough for its type to be recognised, never read as text.
const PDF = Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", "latin1");
const HTML = "text/html; charset=utf-8";

export async function serveWeb(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const gone = watchGone(res);
  const name = url.pathname.slice(WEB_PATH.length);
  switch (name) {
    case "article.html":
      return send(res, 200, HTML, article(Number(url.searchParams.get("size") ?? 0) || 0));
    case "notes.txt":
      return send(res, 200, "text/plain; charset=utf-8", NOTES_TEXT);
    case "data.json":
      return send(res, 200, "application/json", JSON.stringify(DATA_JSON));
    case "doc.pdf":
      return send(res, 200, "application/pdf", PDF);
    case "image.png":
      return send(res, 200, "image/png", Buffer.from(PIXEL_PNG_BASE64, "base64"));
    case "error":
      return send(res, 500, "text/plain", "emulated server error");
    case "hostile.html": {
      // 2 MiB of what makes a regular expression search on from every `<`: unclosed comments,
      // tags that never end, or unclosed scripts, after a title and a line of text.
      const unit =
        { comments: "<!--x", tags: "<a", scripts: "<script>" }[url.searchParams.get("kind") ?? "tags"] ?? "<a";
      const head = `<html><head><title>Hostile</title></head><body><p>${ARTICLE_SENTENCE}</p>`;
      return send(res, 200, HTML, head + unit.repeat(Math.ceil(HOSTILE_BYTES / unit.length)));
    }
    case "headers":
      // What the fetcher sent, as plain text: a test reads it back from the page's content.
      return send(res, 200, "text/plain; charset=utf-8", JSON.stringify(req.headers));
    case "redirect":
      return redirect(res, url, "article.html");
    case "slow":
      if (await waitUnlessGone(url, gone, 10_000)) send(res, 200, HTML, article(0));
      return;
    case "huge.html": {
      const chunk = Buffer.from(PADDING.repeat(Math.ceil((64 * 1024) / PADDING.length)).slice(0, 64 * 1024));
      const chunks = HUGE_HTML_BYTES / chunk.length;
      return stream(req, res, gone, { type: HTML, chunk, chunks, head: "<html><body>", tail: "</body></html>" });
    }
    default:
      return send(res, 404, "text/plain", "not found");
  }
}

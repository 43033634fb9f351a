/**
 * The readable text of an HTML page, for a model to read (the web fetch tool's direct engine):
 * its title, and its body as plain text with headings, list items and paragraphs kept apart.
 * What a reader never sees (scripts, styles, templates, the head) and the page's chrome
 * (navigation, sidebars, footers, forms) are dropped. A scanner, not a parser: the model reads the
 * result, and a page that defeats it still gives its words.
 *
 * One pass over the page, each search starting where the last ended: a page is whoever's on the
 * web, and regular expressions that search on from every `<` took seconds of CPU for a few hundred
 * kB of unclosed comments or tags (a quadratic match), minutes for the 2 MiB a fetch reads.
 */

/** Elements dropped with everything inside them. */
const HIDDEN = new Set([
  "script",
  "style",
  "noscript",
  "template",
  "svg",
  "head",
  "nav",
  "aside",
  "footer",
  "form",
  "iframe",
]);
/** Elements whose opening or closing ends a line of text. */
const BLOCK = new Set([
  "p",
  "div",
  "section",
  "article",
  "main",
  "header",
  "br",
  "hr",
  "table",
  "tr",
  "ul",
  "ol",
  "dl",
  "dd",
  "dt",
  "blockquote",
  "figure",
  "figcaption",
]);
/** A tag's name, read where a `<` is (`/` first for a closing tag). */
const TAG_NAME = /\/?([a-zA-Z][a-zA-Z0-9-]*)/y;

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  copy: "©",
  reg: "®",
  trade: "™",
  middot: "·",
  bull: "•",
};

/** Character references decoded: the common named ones, and every numeric one. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{1,10});/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Runs of spaces as one, blank lines at most one in a row, each line trimmed. */
function tidy(text: string): string {
  return (
    text
      // Runs that are one space already are left alone (most of them: replacing each cost ~0.5 µs).
      .replace(/ [ \t\f\v\u00a0]+|[\t\f\v\u00a0][ \t\f\v\u00a0]*/g, " ")
      .split("\n")
      .map((line) => line.trim())
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim()
  );
}

/**
 * Where `</name` closes an element opened before `from` (any case), or -1: found with one
 * search from `from` on, never again from an earlier place.
 */
function closingAt(html: string, name: string, from: number): number {
  const closing = new RegExp(`</${name}[\\s>/]`, "gi");
  closing.lastIndex = from;
  return closing.exec(html)?.index ?? -1;
}

/** `text` without its tags, scanned once (a `<` with no `>` after it is text). */
function withoutTags(text: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const open = text.indexOf("<", at);
    const close = open < 0 ? -1 : text.indexOf(">", open);
    if (close < 0) return out + text.slice(at);
    out += text.slice(at, open);
    at = close + 1;
  }
}

/** The page's `<title>`, decoded, or undefined when it has none. */
export function htmlTitle(html: string): string | undefined {
  const open = /<title\b[^>]{0,200}>/i.exec(html);
  if (!open) return undefined;
  const start = open.index + open[0].length;
  const end = closingAt(html, "title", start);
  const title = decodeEntities(withoutTags(html.slice(start, end < 0 ? start + 300 : end)))
    .replace(/\s+/g, " ")
    .trim();
  return title || undefined;
}

/** Where a preformatted block was, while the rest is reflowed (a character no page text holds). */
const KEPT = /\u0000(\d+)\u0000/g;

/** The page's readable text. */
export function htmlText(source: string): string {
  const html = source.includes("\u0000") ? source.replace(/\u0000/g, "") : source;
  // Preformatted blocks (code, mostly) keep their lines and indentation, fenced as Markdown; the
  // rest is reflowed: its source's line breaks are spaces, and only its blocks end lines.
  const kept: string[] = [];
  const parts: string[] = [];
  const text = (run: string) => parts.push(run.replace(/ [ \t\r\n\f\v]+|[\t\r\n\f\v][ \t\r\n\f\v]*/g, " "));
  /** The first `>` at or after the scan: one search serves every `<` before it. */
  let nextClose = -1;
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf("<", at);
    if (open < 0) break;
    text(html.slice(at, open));
    if (html.startsWith("<!--", open)) {
      const end = html.indexOf("-->", open + 4);
      // An unclosed comment hides the rest of the page, as a browser reads it.
      at = end < 0 ? html.length : end + 3;
      continue;
    }
    if (nextClose < open) nextClose = html.indexOf(">", open);
    // No `>` anywhere after: the rest is text.
    if (nextClose < 0) {
      at = open;
      break;
    }
    TAG_NAME.lastIndex = open + 1;
    const match = TAG_NAME.exec(html);
    if (!match) {
      // A declaration (`<!DOCTYPE …>`, `<?xml …?>`) is dropped; any other `<` is text.
      if (html[open + 1] === "!" || html[open + 1] === "?") at = nextClose + 1;
      else {
        text("<");
        at = open + 1;
      }
      continue;
    }
    at = nextClose + 1;
    const closing = match[0][0] === "/";
    const name = (match[1] as string).toLowerCase();
    if (!closing && (HIDDEN.has(name) || name === "pre")) {
      const end = closingAt(html, name, at);
      const inner = html.slice(at, end < 0 ? html.length : end);
      if (name === "pre") parts.push(`\n\u0000${kept.push(decodeEntities(withoutTags(inner))) - 1}\u0000\n`);
      if (end < 0) at = html.length;
      else {
        const after = html.indexOf(">", end);
        at = after < 0 ? html.length : after + 1;
      }
      continue;
    }
    // A heading keeps its level and a list item its bullet (as Markdown), so the text keeps its outline.
    const heading = /^h([1-6])$/.exec(name);
    if (heading) parts.push(closing ? "\n" : `\n${"#".repeat(Number(heading[1]))} `);
    else if (name === "li") parts.push(closing ? "" : "\n- ");
    else if (BLOCK.has(name)) parts.push("\n");
  }
  if (at < html.length) text(html.slice(at));
  return tidy(decodeEntities(parts.join(""))).replace(
    KEPT,
    (_, n: string) => `\`\`\`\n${(kept[Number(n)] ?? "").replace(/^\n+/, "").trimEnd()}\n\`\`\``,
  );
}

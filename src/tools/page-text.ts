/**
 * The readable text of an HTML page, for a model to read (the web fetch tool's direct engine):
 * its title, and its body as plain text with headings, list items and paragraphs kept apart.
 * What a reader never sees (scripts, styles, templates, the head) and the page's chrome
 * (navigation, sidebars, footers, forms) are dropped. A few regular expressions, not a parser:
 * the model reads the result, and a page that defeats them still gives its words.
 */

/** Elements dropped with everything inside them. */
const HIDDEN = /<(script|style|noscript|template|svg|head|nav|aside|footer|form|iframe)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
/** Tags that end a line of text where they open or close. */
const BLOCK =
  /<\/?(p|div|section|article|main|header|br|hr|table|tr|ul|ol|dl|dd|dt|blockquote|pre|figure|figcaption|h[1-6])\b[^>]*>/gi;
const TAG = /<[^>]*>/g;

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
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Runs of spaces as one, blank lines at most one in a row, each line trimmed. */
function tidy(text: string): string {
  return text
    .replace(/[ \t\f\v\u00a0]+/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** The page's `<title>`, decoded, or undefined when it has none. */
export function htmlTitle(html: string): string | undefined {
  const match = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  const title = match ? tidy(decodeEntities((match[1] as string).replace(/\s+/g, " "))) : "";
  return title || undefined;
}

const PRE = /<pre\b[^>]*>([\s\S]*?)<\/pre\s*>/gi;
/** Where a preformatted block was, while the rest is reflowed (a character no page text holds). */
const KEPT = /\u0000(\d+)\u0000/g;

/** The page's readable text. */
export function htmlText(html: string): string {
  // Preformatted blocks (code, mostly) keep their lines and indentation, fenced as Markdown; the
  // rest is reflowed: its source's line breaks are spaces, and only its blocks end lines.
  const kept: string[] = [];
  const text = html
    .replace(/\u0000/g, "")
    .replace(COMMENT, "")
    .replace(HIDDEN, "")
    .replace(PRE, (_, inner: string) => `<br>\u0000${kept.push(decodeEntities(inner.replace(TAG, ""))) - 1}\u0000<br>`)
    .replace(/[ \t\r\n\f\v]+/g, " ")
    // A heading keeps its level and a list item its bullet (as Markdown), so the text keeps its outline.
    .replace(/<h([1-6])\b[^>]*>/gi, (_, level: string) => `\n${"#".repeat(Number(level))} `)
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(BLOCK, "\n")
    .replace(TAG, "");
  return tidy(decodeEntities(text)).replace(
    KEPT,
    (_, n: string) => `\`\`\`\n${(kept[Number(n)] ?? "").replace(/^\n+|\s+$/g, "")}\n\`\`\``,
  );
}

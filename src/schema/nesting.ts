import { badRequest } from "./errors";

/**
 * Deepest nesting of arrays and objects a request body may have. The gateway walks client JSON
 * (tool and response schemas above all) recursively when it maps a request to a provider, and a
 * schema a few thousand levels deep (10 kB of `{"a":` …) overflowed the stack there: a 502 that
 * blamed the provider, once per attempt. Parsing such a body costs too: 18 MB of `[` took ~4 s of
 * CPU in JSON.parse alone. No provider takes such nesting (OpenAI's structured outputs stop at 10
 * levels, and JSON parsers with a recursion limit, Python's at ~1000, refuse far less), so past
 * this depth the body is refused, before it is parsed, as the client's to fix.
 */
export const MAX_NESTING = 256;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const OPEN_ARRAY = 91;
const CLOSE_OBJECT = 125;
const CLOSE_ARRAY = 93;
const COLON = 58;
const COMMA = 44;
const OPENING_BRACKETS = ["{", "["] as const;

/**
 * Throws a 400 naming the path where the JSON `text` nests deeper than `max` levels. One pass over
 * the text, before JSON.parse: strings are skipped with indexOf (an inline image costs little),
 * and a level keeps only where its current key lies (decoded only for the error) or its array
 * index. Text that is not JSON is left for JSON.parse to refuse.
 */
export function assertNesting(text: string, max = MAX_NESTING): void {
  if (bracketsAtMost(text, max)) return;
  const isArray: boolean[] = [];
  const index: number[] = [];
  const keyFrom: number[] = [];
  const keyTo: number[] = [];
  let depth = 0;
  let stringFrom = -1;
  let stringTo = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const from = i;
      i = closingQuote(text, i);
      if (i < 0) return;
      stringFrom = from;
      stringTo = i + 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth >= max) throw tooDeep(pathOf(text, depth, isArray, index, keyFrom, keyTo), max);
      isArray[depth] = c === OPEN_ARRAY;
      index[depth] = 0;
      keyFrom[depth] = -1;
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--;
    } else if (c === COLON && depth > 0) {
      keyFrom[depth - 1] = stringFrom;
      keyTo[depth - 1] = stringTo;
    } else if (c === COMMA && depth > 0 && isArray[depth - 1]) {
      index[depth - 1] = (index[depth - 1] ?? 0) + 1;
    }
  }
}

/**
 * Whether `text` opens at most `max` objects and arrays, counting brackets inside strings too:
 * then it cannot nest deeper than `max`, and the walk is skipped. A chat body opens a few dozen;
 * found with indexOf, a native scan, they cost a fraction of the character-by-character walk on a
 * body of kilobytes (on the benchmark's 74-byte body neither is measurable).
 */
function bracketsAtMost(text: string, max: number): boolean {
  let count = 0;
  for (const bracket of OPENING_BRACKETS) {
    for (let at = text.indexOf(bracket); at >= 0; at = text.indexOf(bracket, at + 1)) {
      if (++count > max) return false;
    }
  }
  return true;
}

/** The index of the quote that closes the string opened at `open`, or -1 if none does. */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at >= 0) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

function pathOf(
  text: string,
  depth: number,
  isArray: boolean[],
  index: number[],
  keyFrom: number[],
  keyTo: number[],
): string[] {
  const path: string[] = [];
  for (let level = 0; level < depth; level++) {
    if (isArray[level]) {
      path.push(String(index[level]));
      continue;
    }
    const from = keyFrom[level] ?? -1;
    let key = "?";
    try {
      key = from < 0 ? "?" : String(JSON.parse(text.slice(from, keyTo[level])));
    } catch {}
    path.push(key);
  }
  return path;
}

function tooDeep(path: string[], max: number) {
  // The first levels name the field; the rest of a path thousands of keys long would only bury it.
  const shown = path.length > 8 ? `${path.slice(0, 8).join(".")}…` : path.join(".");
  return badRequest(`Invalid request: ${shown}: nested more than ${max} levels deep`, {
    path: path.slice(0, 8),
    max_nesting: max,
  });
}

/**
 * The JSON repair behind OpenRouter's `response-healing` plugin: text a model meant as JSON, made
 * into JSON that parses, by the smallest edits that get there. A tolerant scanner reads the text
 * once and writes it back out, keeping the model's own spacing and values, and mends only what
 * JSON does not allow:
 * - a markdown code fence around the JSON, and prose before or after it (the value is taken out);
 * - trailing commas (dropped) and missing ones between items (added);
 * - unquoted keys and single-quoted or curly-quoted strings (double-quoted, inner quotes escaped);
 * - raw control characters in strings (escaped), backslashes that escape nothing (kept, escaped);
 * - `//` and `/* *\/` comments (dropped); Python's `True`, `False`, `None` (as JSON's literals);
 * - a closing bracket left out before an enclosing container's (added);
 * - a value cut short, as a reply stopped at max_tokens is: open strings, arrays and objects are
 *   closed where the text ends; a key with no value yet is dropped with its key, a number's
 *   dangling `.` or exponent is dropped, and a literal cut mid-word (`tr`) is finished.
 * Nothing else is invented: what it cannot read as JSON (unquoted words as values, a missing
 * colon, prose with no object or array in it) is not repaired at all.
 */

/** Deeper than any reply needs: the scanner recurses per level, and must not run out of stack. */
const MAX_DEPTH = 512;
/** Objects or arrays tried as the start of the JSON in text that has prose with brackets in it. */
const MAX_STARTS = 64;

/**
 * The repaired JSON, or undefined when there is nothing to do: the text is JSON already (left
 * exactly as it is), or holds nothing this can repair (left as the model wrote it).
 */
export function healJson(text: string): string | undefined {
  if (parses(text)) return undefined;
  // The fenced block is what the model meant as its answer; the whole text is the fallback.
  const fenced = FENCE.exec(text)?.[1];
  return (fenced !== undefined ? extract(fenced) : undefined) ?? extract(text);
}

/** A markdown code fence (```json …```); one cut before its closing fence runs to the end. */
const FENCE = /```[^\n`]*\n([\s\S]*?)(?:```|$)/;

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The JSON object or array in `text`: of those that can be read from each `{` or `[` on, the one
 * that spans the most text (so a bracketed aside in the prose, `see [1]`, is not taken for it).
 */
function extract(text: string): string | undefined {
  let best: { json: string; span: number } | undefined;
  let from = 0;
  for (let tries = 0; tries < MAX_STARTS; tries++) {
    const start = nextOpening(text, from);
    if (start === -1) break;
    const read = readFrom(text, start);
    if (read && parses(read.json)) {
      if (!best || read.end - start > best.span) best = { json: read.json, span: read.end - start };
      from = read.end; // the brackets inside it are not starts of their own
    } else {
      from = start + 1;
    }
  }
  return best?.json;
}

function nextOpening(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) return i;
  }
  return -1;
}

function readFrom(text: string, start: number): { json: string; end: number } | undefined {
  const scanner = new Scanner(text, start);
  return scanner.value() === "ok" ? { json: scanner.out, end: scanner.i } : undefined;
}

/**
 * How reading a value went: `ok` (written, perhaps closed where the text ended), `cut` (the text
 * ended before the value began: the item, and an object member's key, are dropped), `fail` (not
 * JSON this can repair).
 */
type Outcome = "ok" | "cut" | "fail";

const CLOSING_QUOTE: Record<string, string> = { '"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019" };
const LITERALS: Record<string, string> = {
  true: "true",
  false: "false",
  null: "null",
  True: "true",
  False: "false",
  None: "null",
};
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
/** What a number cut short leaves after its digits: a point or an exponent with no digits. */
const NUMBER_STUB = /\.?(?:[eE][+-]?)?(?![0-9])/y;
const WORD = /[\p{L}_$][\p{L}\p{N}_$]*/uy;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const HEX_PREFIX = /^[0-9a-fA-F]{0,3}$/;
const SIMPLE_ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** Reads one value from `i` on, writing its repaired form to `out`. */
class Scanner {
  out = "";
  i: number;
  /** The closing brackets of the containers open around the one being read, outermost first. */
  private readonly closers: string[] = [];

  constructor(
    private readonly src: string,
    start: number,
  ) {
    this.i = start;
  }

  private get ended(): boolean {
    return this.i >= this.src.length;
  }

  value(): Outcome {
    const c = this.src[this.i] as string;
    if (c === "{" || c === "[") return this.container(c);
    if (c in CLOSING_QUOTE) return this.string(false);
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    return this.literal();
  }

  /** An object or an array, closed where the text ends. */
  private container(open: "{" | "["): Outcome {
    if (this.closers.length >= MAX_DEPTH) return "fail";
    const close = open === "{" ? "}" : "]";
    this.out += open;
    this.i++;
    let items = 0;
    // What lies between the last item and the next: the model's spacing, and where its comma was.
    let gap = "";
    let commaAt = -1;
    for (;;) {
      gap += this.space();
      if (this.ended) break;
      const c = this.src[this.i];
      if (c === close) {
        this.i++;
        break;
      }
      if (c === ",") {
        // A comma before the first item, or a second one, separates nothing: dropped.
        if (items > 0 && commaAt === -1) commaAt = gap.length;
        this.i++;
        continue;
      }
      if (c === "}" || c === "]") {
        // The closer of a container around this one: this one's own was left out, and goes here.
        if (this.closers.includes(c)) break;
        return "fail";
      }
      this.closers.push(close);
      const mark = this.out.length;
      // The separator written is the model's comma where it wrote one, else one added.
      if (items > 0) this.out += commaAt === -1 ? `,${gap}` : `${gap.slice(0, commaAt)},${gap.slice(commaAt)}`;
      else this.out += gap;
      const got = open === "{" ? this.member() : this.value();
      this.closers.pop();
      if (got === "fail") return "fail";
      if (got === "cut") {
        // The item the text ended in, with the spacing and comma before it, is dropped.
        this.out = this.out.slice(0, mark);
        gap = "";
        break;
      }
      items++;
      gap = "";
      commaAt = -1;
    }
    // A trailing comma is never written (the gap holds the spacing around it, not the comma).
    this.out += gap + close;
    return "ok";
  }

  /** `key: value`; cut (dropped whole) when the text ends before its value begins. */
  private member(): Outcome {
    const key = this.key();
    if (key !== "ok") return key;
    const before = this.space();
    if (this.ended) return "cut";
    if (this.src[this.i] !== ":") return "fail";
    this.i++;
    const after = this.space();
    if (this.ended) return "cut";
    this.out += `${before}:${after}`;
    return this.value();
  }

  private key(): Outcome {
    const c = this.src[this.i] as string;
    if (c in CLOSING_QUOTE) return this.string(true);
    WORD.lastIndex = this.i;
    const word = WORD.exec(this.src)?.[0];
    if (word === undefined) return "fail";
    this.i += word.length;
    this.out += JSON.stringify(word);
    return "ok";
  }

  /**
   * A string in any of the quotes models use, written double-quoted. A value cut short is closed
   * where the text ends; a key cut short is `cut`.
   */
  private string(isKey: boolean): Outcome {
    const src = this.src;
    const closing = CLOSING_QUOTE[src[this.i] as string];
    this.i++;
    let text = '"';
    for (;;) {
      let run = this.i;
      while (run < src.length) {
        const ch = src[run];
        if (ch === closing || ch === "\\" || ch === '"' || src.charCodeAt(run) < 0x20) break;
        run++;
      }
      text += src.slice(this.i, run);
      this.i = run;
      if (this.ended) {
        if (isKey) return "cut";
        this.out += `${text}"`;
        return "ok";
      }
      const ch = src[this.i] as string;
      this.i++;
      if (ch === closing) {
        this.out += `${text}"`;
        return "ok";
      }
      if (ch === '"') text += '\\"';
      else if (ch === "\\") text += this.escape();
      else text += controlEscape(ch);
    }
  }

  /** After a backslash: the escape as JSON writes it (a backslash escaping nothing is kept as one). */
  private escape(): string {
    const src = this.src;
    const next = src[this.i];
    if (next === undefined) return ""; // cut right after the backslash: it goes
    if (SIMPLE_ESCAPES.has(next)) {
      this.i++;
      return `\\${next}`;
    }
    if (next === "'") {
      this.i++;
      return "'";
    }
    if (next === "u") {
      const hex = src.slice(this.i + 1, this.i + 5);
      if (HEX4.test(hex)) {
        this.i += 5;
        return `\\u${hex}`;
      }
      if (this.i + 5 > src.length && HEX_PREFIX.test(hex)) {
        this.i = src.length; // cut inside the escape: it goes
        return "";
      }
    }
    return "\\\\";
  }

  private number(): Outcome {
    NUMBER.lastIndex = this.i;
    const digits = NUMBER.exec(this.src)?.[0];
    if (digits === undefined) {
      // A lone minus sign the text ended on: the value had not begun.
      return this.src[this.i] === "-" && this.i + 1 === this.src.length ? "cut" : "fail";
    }
    this.i += digits.length;
    NUMBER_STUB.lastIndex = this.i;
    this.i += NUMBER_STUB.exec(this.src)?.[0].length ?? 0;
    // `012` is no number, and reading `0` then `12` as two items would invent a comma.
    const after = this.src[this.i];
    if (after !== undefined && after >= "0" && after <= "9") return "fail";
    this.out += digits;
    return "ok";
  }

  /** `true`, `false`, `null` (and Python's spellings); one cut mid-word at the end is finished. */
  private literal(): Outcome {
    WORD.lastIndex = this.i;
    const word = WORD.exec(this.src)?.[0];
    if (word === undefined) return "fail";
    this.i += word.length;
    let literal = Object.hasOwn(LITERALS, word) ? LITERALS[word] : undefined;
    if (literal === undefined && this.ended) literal = ["true", "false", "null"].find((l) => l.startsWith(word));
    if (literal === undefined) return "fail";
    this.out += literal;
    return "ok";
  }

  /** Whitespace and comments before the next token: the whitespace is returned, comments dropped. */
  private space(): string {
    const src = this.src;
    let kept = "";
    for (;;) {
      const start = this.i;
      while (this.i < src.length && isSpace(src.charCodeAt(this.i))) this.i++;
      kept += src.slice(start, this.i);
      if (src.startsWith("//", this.i)) {
        const end = src.indexOf("\n", this.i);
        this.i = end === -1 ? src.length : end;
      } else if (src.startsWith("/*", this.i)) {
        const end = src.indexOf("*/", this.i + 2);
        this.i = end === -1 ? src.length : end + 2;
      } else {
        return kept;
      }
    }
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function controlEscape(ch: string): string {
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (ch === "\t") return "\\t";
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

import { describe, expect, it } from "vitest";
import { healJson } from "../src/transforms/json-healing";
import { mulberry32 } from "./support/prng";

/** What the client reads: the repair, or the text itself when there is nothing to repair. */
const healed = (text: string) => healJson(text) ?? text;

describe("healJson: malformed replies become JSON that parses", () => {
  // OpenRouter's documented examples, each to the output its docs show.
  it.each([
    ["a missing closing bracket", '{"name": "Alice", "age": 30', '{"name": "Alice", "age": 30}'],
    ["a markdown code block", '```json\n{"name": "Bob"}\n```', '{"name": "Bob"}'],
    [
      "text before the JSON",
      'Here\'s the data you requested:\n{"name": "Charlie", "age": 25}',
      '{"name": "Charlie", "age": 25}',
    ],
    ["a trailing comma", '{"name": "David", "age": 35,}', '{"name": "David", "age": 35}'],
    ["unquoted keys", '{name: "Eve", age: 40}', '{"name": "Eve", "age": 40}'],
  ])("OpenRouter's example: %s", (_what, input, output) => {
    expect(healJson(input)).toBe(output);
  });

  it.each([
    // Fences and prose
    ["a fence with no language", "```\n[1, 2]\n```", "[1, 2]"],
    ["prose on both sides of a fence", 'Sure!\n```json\n{"a": 1}\n```\nAnything else?', '{"a": 1}'],
    ["prose after the JSON", '{"a": 1}\n\nI hope this helps!', '{"a": 1}'],
    ["a bracketed aside before the JSON", 'As noted [1], here it is: {"a": [1, 2]} done', '{"a": [1, 2]}'],
    ["braces in the prose that are no JSON", 'Use {curly} braces: {"a": true}', '{"a": true}'],
    ["a byte-order mark", '\ufeff{"a": 1}', '{"a": 1}'],
    // Commas
    ["trailing commas at every level", '{"a": [1, 2,], "b": {"c": 3,},}', '{"a": [1, 2], "b": {"c": 3}}'],
    ["a trailing comma before a newline", "[\n  1,\n  2,\n]", "[\n  1,\n  2\n]"],
    ["a doubled comma", "[1,, 2]", "[1, 2]"],
    ["a missing comma between members", '{"a": 1 "b": 2}', '{"a": 1, "b": 2}'],
    ["a missing comma between lines", '{\n  "a": 1\n  "b": 2\n}', '{\n  "a": 1,\n  "b": 2\n}'],
    ["a missing comma between items", '["x" "y"]', '["x", "y"]'],
    // Brackets
    ["an object's closing brace left out inside an array", '[{"a": 1], "b"', '[{"a": 1}]'],
    ["an array's closing bracket left out inside an object", '{"a": [1, 2}', '{"a": [1, 2]}'],
    ["closers left out at two levels", '{"a": {"b": [1}', '{"a": {"b": [1]}}'],
    // Quotes
    ["single-quoted strings", "{'name': 'Ann', 'tags': ['a', 'b']}", '{"name": "Ann", "tags": ["a", "b"]}'],
    ["a double quote inside single quotes", `{'q': 'say "hi"'}`, '{"q": "say \\"hi\\""}'],
    ["an escaped single quote", "{'q': 'it\\'s'}", '{"q": "it\'s"}'],
    ["curly quotes", "{\u201cname\u201d: \u201cZoe\u201d}", '{"name": "Zoe"}'],
    ["unquoted keys with underscores and digits", "{first_name: 1, $id2: 2}", '{"first_name": 1, "$id2": 2}'],
    // Strings
    ["raw newlines and tabs in a string", '{"text": "line 1\nline\t2"}', '{"text": "line 1\\nline\\t2"}'],
    ["a backslash that escapes nothing", '{"path": "C:\\Users\\ann"}', '{"path": "C:\\\\Users\\\\ann"}'],
    ["valid escapes kept as written", '{"a": "\\u00e9\\n\\/", b: 1}', '{"a": "\\u00e9\\n\\/", "b": 1}'],
    // Comments and Python literals
    ["comments", '{\n  "a": 1, // the first\n  /* the second */ "b": 2\n}', '{\n  "a": 1, \n   "b": 2\n}'],
    ["Python's literals", "{'ok': True, 'no': False, 'none': None}", '{"ok": true, "no": false, "none": null}'],
  ])("%s", (_what, input, output) => {
    expect(healJson(input)).toBe(output);
    expect(() => JSON.parse(output)).not.toThrow();
  });
});

describe("healJson: a reply cut short (max_tokens) is closed where it ends", () => {
  it.each([
    ["inside a string", '{"name": "Ali', '{"name": "Ali"}'],
    ["inside nested arrays and objects", '{"a": [1, {"b": [2, 3', '{"a": [1, {"b": [2, 3]}]}'],
    ["after a comma", '{"a": 1, "b": [1, 2,', '{"a": 1, "b": [1, 2]}'],
    ["after a key: the key is dropped", '{"a": 1, "b"', '{"a": 1}'],
    ["inside a key: the key is dropped", '{"a": 1, "bo', '{"a": 1}'],
    ["after a colon: the key is dropped", '{"a": 1, "b": ', '{"a": 1}'],
    ["on a number's point", '{"price": 12.', '{"price": 12}'],
    ["on a number's exponent", "[1e", "[1]"],
    ["on a lone minus sign", "[1, -", "[1]"],
    ["inside a literal", '{"done": tr', '{"done": true}'],
    ["inside an escape", '{"a": "x\\', '{"a": "x"}'],
    ["inside a unicode escape", '{"a": "x\\u00', '{"a": "x"}'],
    ["inside an unclosed fence", '```json\n{"items": ["a", "b', '{"items": ["a", "b"]}'],
    ["at the start of a string", '{"a": "', '{"a": ""}'],
  ])("%s", (_what, input, output) => {
    expect(healJson(input)).toBe(output);
  });
});

describe("healJson: what needs no repair, or cannot be repaired, is left alone", () => {
  it.each([
    ['{"a": 1}'],
    ['  {\n  "a" : [1, 2.5e3, true, null, "x\\"y"]\n}\n'],
    ["[]"],
    ['"a JSON string"'],
    ["42"],
    ['{"emoji": "\u{1f600}", "u": "\\ud83d\\ude00"}'],
  ])("valid JSON %j is unchanged", (input) => {
    expect(healJson(input)).toBeUndefined();
    expect(healed(input)).toBe(input);
  });

  it.each([
    ["prose with no JSON in it", "Sorry, I can't help with that."],
    ["an empty reply", ""],
    ["unquoted words as values", "{status: ok}"],
    ["a missing colon", '{"a" 1}'],
    ["a stray closing bracket", '{"a": 1]'],
    ["a number with leading zeros", '{"a": 007}'],
    ["a word that is no literal", '{"a": maybe}'],
    ["NaN, which JSON has no value for", '{"a": NaN}'],
  ])("%s is left as the model wrote it", (_what, input) => {
    expect(healJson(input)).toBeUndefined();
  });

  it("does not overflow the stack on absurd nesting", () => {
    expect(healJson("[".repeat(100_000))).toBeUndefined();
  });

  it("repairs a large reply whole", () => {
    const big = `{"rows": [${Array.from({ length: 20_000 }, (_, i) => `{id: ${i}, name: 'row ${i}'},`).join("\n")}`;
    const out = healJson(big);
    expect((JSON.parse(out as string) as { rows: unknown[] }).rows).toHaveLength(20_000);
  });
});

describe("healJson: whatever it is given, it returns JSON that parses or nothing", () => {
  const DOCUMENT = `Here you go:\n\`\`\`json\n{\n  "name": "Ada Lovelace", 'born': 1815, tags: ["math", 'poetry',],\n  "notes": "a \\"quote\\" and \\u00e9",\n  "nested": {"list": [1, -2.5e3, true, null, {"deep": [[]]}]}, // done\n}\n\`\`\`\nThanks!`;

  it("every prefix of a malformed reply (a reply cut anywhere) heals to JSON or is left alone", () => {
    let healedCount = 0;
    for (let end = 0; end <= DOCUMENT.length; end++) {
      const out = healJson(DOCUMENT.slice(0, end));
      if (out === undefined) continue;
      healedCount++;
      expect(() => JSON.parse(out), `prefix of ${end}`).not.toThrow();
    }
    // Once the object has begun, every cut is healed.
    expect(healedCount).toBe(DOCUMENT.length - DOCUMENT.indexOf("{"));
    expect(JSON.parse(healJson(DOCUMENT) as string)).toEqual({
      name: "Ada Lovelace",
      born: 1815,
      tags: ["math", "poetry"],
      notes: 'a "quote" and \u00e9',
      nested: { list: [1, -2500, true, null, { deep: [[]] }] },
    });
  });

  it("random edits of JSON never make it throw, and what it returns parses (seed 7)", () => {
    const random = mulberry32(7);
    const source = JSON.stringify(
      { a: [1, 2, { b: "c d", e: null }], f: 'g"h', i: -1.5e-3, j: [true, false] },
      null,
      1,
    );
    const alphabet = ` {}[]",:'\n\\-.0123456789abcdefnrtu/*`;
    for (let round = 0; round < 2000; round++) {
      let text = source;
      for (let edits = 1 + Math.floor(random() * 4); edits > 0; edits--) {
        const at = Math.floor(random() * text.length);
        const kind = random();
        const char = alphabet[Math.floor(random() * alphabet.length)] as string;
        if (kind < 0.33) text = text.slice(0, at) + text.slice(at + 1);
        else if (kind < 0.66) text = text.slice(0, at) + char + text.slice(at);
        else text = text.slice(0, at);
      }
      const out = healJson(text);
      if (out !== undefined) expect(() => JSON.parse(out), JSON.stringify(text)).not.toThrow();
    }
  });
});

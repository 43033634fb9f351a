import { env as testEnv } from "cloudflare:test";
import { Tiktoken, type TiktokenBPE } from "js-tiktoken/lite";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { bpeCounter } from "../src/transforms/bpe-count";
import { countInBoundedPieces } from "../src/transforms/tokenizer";
import { timeRefusedChat } from "./support/gateway";
import { mulberry32 } from "./support/prng";

const env = testEnv as unknown as Env;
type Count = (text: string) => number;

/** Both counters of an encoding, over the vocabulary the emulator serves where TOKENIZER_URL points. */
const counters: Record<string, { fast: Count; reference: Count }> = {};
beforeAll(async () => {
  for (const encoding of ["o200k_base", "cl100k_base"]) {
    const vocabulary = (await (await fetch(`${env.TOKENIZER_URL}/${encoding}.json`)).json()) as TiktokenBPE;
    const encoder = new Tiktoken(vocabulary);
    counters[encoding] = { fast: bpeCounter(vocabulary), reference: (text) => encoder.encode(text, [], []).length };
  }
}, 60_000);

/** A seeded generator, so a failing random text can be found again. */
const random = mulberry32;

/** Code points from ranges where tokenizers differ: scripts, marks, spaces, symbols, astral, lone surrogates. */
const RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0x09, 0x0d],
  [0x00, 0x1f],
  [0xa0, 0x24f],
  [0x300, 0x36f],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x590, 0x6ff],
  [0x900, 0x97f],
  [0xe00, 0xe7f],
  [0x1100, 0x11ff],
  [0x2000, 0x206f],
  [0x2190, 0x23ff],
  [0x3000, 0x303f],
  [0x3040, 0x30ff],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
  [0xd800, 0xdfff],
  [0xfe00, 0xfe0f],
  [0xff00, 0xffef],
  [0x1d400, 0x1d7ff],
  [0x1f300, 0x1faff],
  [0x20000, 0x2a6df],
];

function randomText(next: () => number, length: number): string {
  let text = "";
  // A text keeps to a few ranges, as real text does, so that pieces get long enough to merge.
  const ranges = Array.from({ length: 1 + Math.floor(next() * 3) }, () => RANGES[Math.floor(next() * RANGES.length)]);
  while (text.length < length) {
    const [low, high] = ranges[Math.floor(next() * ranges.length)] as [number, number];
    text += String.fromCodePoint(low + Math.floor(next() * (high - low + 1)));
  }
  return text;
}

const TEXTS = [
  "hello world",
  "Hello, world! It's a fine day; isn't it? I'M SURE they'll come, WE'VE seen you'd LL Re.",
  "The quick brown fox jumps over the lazy dog. ".repeat(40),
  "function add(a: number, b: number): number {\n\treturn a + b; // sum\n}\r\n\r\nconst x = [1, 2, 3].map((v) => v ** 2);\n",
  'SELECT id, name FROM users WHERE email LIKE "%@example.com" ORDER BY 2 DESC;\n<div class="x">&nbsp;</div>',
  "東京の天気は晴れです。明日は雨が降るでしょう、傘を持って行ってください！",
  "我们今天去公园散步，天气很好。人工智能正在改变世界的许多方面。",
  "東京都渋谷区神宮前一丁目二番三号株式会社情報処理研究所開発部門第三課長補佐代理",
  "大韩民国의 수도는 서울입니다. 한국어를 배우는 것은 재미있어요!",
  "ภาษาไทยเป็นภาษาที่สวยงาม สวัสดีครับ",
  "مرحبا بالعالم، كيف حالك؟ العربية لغة جميلة",
  "हिन्दी भाषा में लिखा गया वाक्य। नमस्ते दुनिया",
  "Ελληνικά και Русский язык и Ünïcödé façade naïve coöperate",
  "😀😃😄 👨‍👩‍👧‍👦 👍🏽 🏳️‍🌈 ❤️ 🇯🇵🇺🇸 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀋𠀍𠀎 𝟘𝟙𝟚",
  "mixed: English日本語한국어Русский123٤٥٦ and emoji🙂in-between",
  "1234567890 3.14159 -42 1e10 0xDEADBEEF 1,000,000 ²³ ½ Ⅻ ١٢٣",
  "<|endoftext|> <|endofprompt|><|fim_prefix|>x<|fim_middle|>y<|fim_suffix|> <|im_start|>user",
  " ".repeat(100),
  "\t".repeat(50),
  "\n".repeat(40),
  "\r\n".repeat(30),
  " \n \n\t\t  \r\n   x   \n\n\n   y",
  "\u00a0".repeat(70),
  "\u3000".repeat(70),
  "word\u00a0\u00a0\u00a0word\u2003\u2003\u2009word\u200b\u200bword",
  "a".repeat(200),
  "b".repeat(33) + " " + "c".repeat(65),
  "ab".repeat(120),
  "日".repeat(100),
  "😀".repeat(40),
  "é".repeat(50) + "e\u0301".repeat(30),
  "lone \ud800 surrogates \udc00\ud83d and \ud83d\ude00 pairs \udfff",
  "\ud83d".repeat(20),
  "QmFzZTY0IGlzIGEgZ3JvdXAgb2YgYmluYXJ5LXRvLXRleHQgZW5jb2Rpbmcgc2NoZW1lcw==".repeat(5),
  "https://example.com/path/to/resource?query=value&other=%E6%97%A5#frag",
  "!!!???...,,,;;;:::---___===+++***&&&^^^%%%$$$###@@@",
  "\u0000\u0001\u0002\u007f\u0080\u009f",
];

describe("bpeCounter, the gateway's exact token counter", () => {
  for (const encoding of ["o200k_base", "cl100k_base"]) {
    it(`counts as js-tiktoken's encode(text, [], []).length does (${encoding}), whole and over the gateway's slices`, () => {
      const { fast, reference } = counters[encoding] as { fast: Count; reference: Count };
      for (const text of TEXTS) {
        expect(fast(text), JSON.stringify(text)).toBe(reference(text));
        expect(countInBoundedPieces(text, fast), JSON.stringify(text)).toBe(countInBoundedPieces(text, reference));
      }
      // A long text of every kind at once, counted over the gateway's slices only (as it is counted).
      const all = TEXTS.join("\n").repeat(3);
      expect(countInBoundedPieces(all, fast)).toBe(countInBoundedPieces(all, reference));
    });

    it(`counts seeded random unicode texts as js-tiktoken does (${encoding})`, () => {
      const { fast, reference } = counters[encoding] as { fast: Count; reference: Count };
      const next = random(encoding.length * 7919);
      for (let i = 0; i < 400; i++) {
        const text = randomText(next, 1 + Math.floor(next() * 120));
        const label = `text ${i}: ${JSON.stringify(text)}`;
        expect(fast(text), label).toBe(reference(text));
        expect(countInBoundedPieces(text, fast), label).toBe(countInBoundedPieces(text, reference));
      }
    });
  }

  it("counts the empty text as no token", () => {
    expect((counters.o200k_base as { fast: Count }).fast("")).toBe(0);
  });
});

describe("CPU cost of counting a CJK prompt near gpt-4o's context exactly", () => {
  /**
   * 100k characters of Japanese and Chinese prose with punctuation: the estimate (~150k tokens)
   * passes 75% of gpt-4o's 128k window, so the o200k tokenizer counts the prompt (~77k tokens); a
   * key with no credit is refused (402) only after the count.
   */
  const timed = (content: string) => timeRefusedChat("openai/gpt-4o", content);

  it("takes a fraction of what js-tiktoken's encode per slice took", async () => {
    const prose =
      "東京の天気は晴れです。明日は雨が降るでしょう、傘を持って行ってください！我们今天去公园散步，天气很好。";
    const cjk = prose.repeat(Math.ceil(100_000 / prose.length)).slice(0, 100_000);
    await timed("hello"); // the vocabulary, if not loaded yet, is not loaded by a short prompt
    await timed(cjk); // loads the vocabulary once
    const base = await timed("hello");
    const took = await timed(cjk);
    expect(took.status).toBe(402);
    // On a 2-core VM, over a short prompt: ~1.6 s with js-tiktoken's encode per slice, ~0.1 s here.
    expect(took.ms - base.ms).toBeLessThan(500);
  }, 120_000);
});

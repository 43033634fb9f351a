import { describe, expect, it } from "vitest";
import { plainContentChunk } from "../../src/providers/openai/plain-chunk";
import { createOpenAIStreamMapper } from "../../src/providers/openai/response";

/** An OpenAI stream chunk as OpenAI lays it out, with the optional fields it may carry. */
function openAIChunk(content: string, extras: { tier?: boolean; fingerprint?: string | null; usage?: boolean } = {}) {
  return JSON.stringify({
    id: "chatcmpl-abc",
    object: "chat.completion.chunk",
    created: 1_790_000_000,
    model: "gpt-4o-mini-2024-07-18",
    ...(extras.tier ? { service_tier: "default" } : {}),
    ...(extras.fingerprint !== undefined ? { system_fingerprint: extras.fingerprint } : {}),
    choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
    ...(extras.usage ? { usage: null } : {}),
  });
}

/** The same event through the full parse: a leading space is valid JSON the fast path never takes. */
function viaFullParse(data: string) {
  return createOpenAIStreamMapper().map({ data: ` ${data}` });
}

describe("plain OpenAI content chunks", () => {
  it("relays exactly what the full parse would, for any content", () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['"', "\\", "/", "\n", "\t", "\u0001", "é", "🌍", "\u2028", '"},{"', "]}", "a", " ", "\\u0041"];
    for (let round = 0; round < 400; round++) {
      let content = "";
      for (let i = 0; i < random(8); i++) content += alphabet[random(alphabet.length)];
      const data = openAIChunk(content, {
        tier: random(2) === 0,
        fingerprint: [undefined, null, "fp_1"][random(3)],
        usage: random(2) === 0,
      });
      const [fast] = createOpenAIStreamMapper().map({ data });
      const [slow] = viaFullParse(data);
      expect(fast?.serializedChoices, data).toBeDefined();
      expect(fast?.choices).toEqual(slow?.choices);
      expect(JSON.parse(fast?.serializedChoices as string)).toEqual(slow?.choices);
      expect(slow?.serializedChoices).toBeUndefined();
    }
  });

  it("leaves every other chunk to the full parse", () => {
    const others = [
      // the role chunk, a finish, reasoning, tool calls, usage, a second choice
      openAIChunk("").replace('"delta":{"content":""}', '"delta":{"role":"assistant","content":""}'),
      openAIChunk("").replace('"finish_reason":null', '"finish_reason":"stop"'),
      openAIChunk("x").replace('"content"', '"reasoning_content"'),
      openAIChunk("x").replace('{"content":"x"}', '{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}'),
      openAIChunk("x").replace("}]}", '}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'),
      openAIChunk("x").replace('"index":0', '"index":1'),
      // another provider's field order
      JSON.stringify({
        choices: [{ index: 0, delta: { content: "x" }, logprobs: null, finish_reason: null }],
        id: "x",
      }),
    ];
    for (const data of others) expect(plainContentChunk(data), data).toBeNull();
  });

  it("never passes on what is not valid JSON", () => {
    const good = openAIChunk("ab");
    const malformed = [
      good.replace('"ab"', '"a\u0001b"'), // a raw control character
      good.replace('"ab"', '"a\\xb"'), // an escape JSON does not have
      good.replace('"ab"', '"a\\u12b"'), // a short unicode escape
      good.replace('"ab"', '"a"b"'),
      `${good}x`,
    ];
    for (const data of malformed) {
      expect(plainContentChunk(data), data).toBeNull();
      expect(() => JSON.parse(data)).toThrow();
    }
  });
});

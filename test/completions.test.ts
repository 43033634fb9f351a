import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  readSse,
  usageOnceCharged,
} from "./support/gateway";

/** Legacy `POST /completions`: a prompt in, text choices out, answered and billed by the chat path. */
const MODEL = "openai/gpt-4o-mini";
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

function complete(body: Record<string, unknown>, apiKey = key) {
  return gatewayFetch(`${BASE}/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("POST /completions", () => {
  it("answers a prompt with text choices, usage and cost; the prompt reaches the provider as the user turn", async () => {
    const marker = nonce();
    const response = await complete({ model: MODEL, prompt: `Say hello ${marker}`, max_tokens: 20, temperature: 0.5 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.object).toBe("text_completion");
    expect(body.id).toMatch(/^gen-/);
    expect(body.model).toBe(MODEL);
    expect(body.choices[0].text.length).toBeGreaterThan(0);
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.choices[0].logprobs).toBeNull();
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.cost).toBeGreaterThan(0);
    const [upstream] = await emulatorRequests(marker);
    const sent = upstream!.body as any;
    expect(upstream!.path).toMatch(/\/chat\/completions$/);
    expect(sent.messages).toEqual([{ role: "user", content: `Say hello ${marker}` }]);
    expect(sent.temperature).toBe(0.5);
  });

  it("streams text_completion chunks, then usage with cost, then [DONE]", async () => {
    const { data } = await readSse(
      await complete({ model: MODEL, prompt: "Count [[emulate tokens=7]]", stream: true }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as any[];
    expect(chunks.every((c) => c.object === "text_completion")).toBe(true);
    // As OpenAI's legacy stream: no empty opening chunk (chat's role chunk has nothing to say here).
    expect(chunks[0].choices[0].text.length).toBeGreaterThan(0);
    expect(
      chunks.filter((c) => c.choices.length > 0 && c.choices.every((ch: any) => ch.text === "" && !ch.finish_reason)),
    ).toEqual([]);
    const text = chunks.map((c) => c.choices[0]?.text ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    expect(chunks.at(-1).usage.completion_tokens).toBe(7);
    expect(chunks.at(-1).usage.cost).toBeGreaterThan(0);
  });

  it("streams no empty text chunks while a reasoning model thinks: its reasoning has no field here", async () => {
    const { data } = await readSse(
      await complete({
        model: "anthropic/claude-haiku-4.5",
        provider: { only: ["anthropic"] },
        prompt: `Think [[emulate tokens=3]] ${nonce()}`,
        reasoning: { effort: "high" },
        stream: true,
      }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as any[];
    const final = chunks.at(-1);
    // No empty chunk: none for the reasoning, nor for chat's opening role chunk.
    const empty = chunks.filter((c) => c.choices.some((ch: any) => ch.text === "" && ch.finish_reason === null));
    expect(empty).toEqual([]);
    expect(JSON.stringify(chunks.map((c) => c.choices))).not.toContain("reasoning");
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.text ?? "").join("").length).toBeGreaterThan(0);
    // The reasoning is billed all the same.
    expect(final.usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(final.usage.completion_tokens).toBeGreaterThan(3);
  });

  it("ends a cut stream with an error chunk, never a clean-looking end", async () => {
    const { data } = await readSse(
      await complete({ model: MODEL, prompt: "[[emulate tokens=20 cut_after=5]]", stream: true }),
    );
    const last = data.at(-2) as any;
    expect(last.choices[0].finish_reason).toBe("error");
    expect(last.error.code).toBe(502);
  });

  it("is charged like chat: once, what the reply says", async () => {
    const { key: own } = await fundedAccount("1");
    const body = (await (await complete({ model: MODEL, prompt: `charge ${nonce()}` }, own)).json()) as any;
    expect(await usageOnceCharged(own)).toBe(body.usage.cost);
  });

  it("refuses what it cannot honour with a 400 that names it", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: MODEL }, /prompt/],
      [{ model: MODEL, prompt: "" }, /prompt/],
      [{ model: MODEL, prompt: ["a", "b"] }, /exactly one prompt/],
      [{ model: MODEL, prompt: "hi", suffix: "end" }, /suffix/],
      [{ model: MODEL, prompt: "hi", echo: true }, /echo/],
      [{ model: MODEL, prompt: "hi", logprobs: 6 }, /logprobs must be an integer from 0 to 5/],
      [{ model: MODEL, prompt: "hi", logprobs: 1.5 }, /logprobs must be an integer from 0 to 5/],
      [{ model: MODEL, prompt: "hi", logprobs: true }, /logprobs must be an integer from 0 to 5/],
      [{ model: MODEL, prompt: "hi", n: 129 }, /n/],
      [{ model: MODEL, prompt: "hi", best_of: 3 }, /best_of/],
      [{ model: "openai/text-embedding-3-small", prompt: "hi" }, /embedding model/],
    ];
    for (const [body, message] of cases) {
      const response = await complete(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as any).error.message).toMatch(message);
    }
  });

  it("refuses token-id prompts and chat's top_logprobs by name, sending nothing upstream", async () => {
    const marker = nonce();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: MODEL, prompt: [9906, 1917] }, /token-id prompts are not supported/],
      [{ model: MODEL, prompt: [[9906, 1917]] }, /token-id prompts are not supported/],
      [{ model: MODEL, prompt: [[9906], [1917]] }, /token-id prompts are not supported/],
      [{ model: MODEL, prompt: `hi ${marker}`, top_logprobs: 2 }, /top_logprobs is not supported/],
    ];
    for (const [body, message] of cases) {
      const response = await complete(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as any).error.message, JSON.stringify(body)).toMatch(message);
    }
    expect(await emulatorRequests(marker)).toHaveLength(0);
  });

  it("passes n, stop and max_tokens on, and answers n choices, each with its index, plain and streamed", async () => {
    const marker = nonce();
    const ask = { model: MODEL, prompt: `Count ${marker}`, n: 2, stop: ["\n\n"], max_tokens: 7 };
    const body = (await (await complete(ask)).json()) as any;
    expect(body.choices.map((c: any) => c.index)).toEqual([0, 1]);
    for (const choice of body.choices) {
      expect(choice.text.length).toBeGreaterThan(0);
      expect(choice.finish_reason).toBe("length");
      expect(choice.logprobs).toBeNull();
    }
    const sent = (await emulatorRequests(marker))[0]!.body as any;
    expect(sent.n).toBe(2);
    expect(sent.stop).toEqual(["\n\n"]);
    expect(sent.max_completion_tokens ?? sent.max_tokens).toBe(7);
    const { data } = await readSse(await complete({ ...ask, prompt: `Count ${nonce()}`, stream: true }));
    const texts = new Map<number, string>();
    const finishes = new Map<number, string>();
    for (const chunk of data as any[]) {
      for (const choice of chunk.choices ?? []) {
        texts.set(choice.index, (texts.get(choice.index) ?? "") + choice.text);
        if (choice.finish_reason) finishes.set(choice.index, choice.finish_reason);
      }
    }
    expect([...texts.keys()].sort()).toEqual([0, 1]);
    expect(finishes).toEqual(
      new Map([
        [0, "length"],
        [1, "length"],
      ]),
    );
  });

  it("takes an empty or null suffix as no suffix", async () => {
    for (const suffix of ["", null]) {
      const response = await complete({ model: MODEL, prompt: `hi ${nonce()}`, suffix, max_tokens: 5 });
      expect(response.status, JSON.stringify(suffix)).toBe(200);
      expect(((await response.json()) as any).choices[0].text.length).toBeGreaterThan(0);
    }
  });

  it("takes n up to 128, as OpenAI's legacy API does", async () => {
    const marker = nonce();
    const response = await complete({ model: MODEL, prompt: `Count ${marker}`, n: 128, max_tokens: 1 });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).choices).toHaveLength(128);
    expect(((await emulatorRequests(marker))[0]!.body as any).n).toBe(128);
  });

  it("returns logprobs in the legacy shape: tokens, their logprobs, the top ones, their offsets", async () => {
    const marker = nonce();
    const response = await complete({ model: MODEL, prompt: `Count ${marker}`, logprobs: 2, max_tokens: 6 });
    expect(response.status).toBe(200);
    const sent = (await emulatorRequests(marker))[0]!.body as any;
    expect(sent.logprobs).toBe(true);
    expect(sent.top_logprobs).toBe(2);
    const choice = ((await response.json()) as any).choices[0];
    const { tokens, token_logprobs, top_logprobs, text_offset } = choice.logprobs;
    expect(tokens.length).toBe(6);
    expect(tokens.join("")).toBe(choice.text);
    expect(token_logprobs).toHaveLength(6);
    expect(text_offset).toEqual(tokens.map((_: string, i: number) => tokens.slice(0, i).join("").length));
    tokens.forEach((token: string, i: number) => {
      expect(typeof token_logprobs[i]).toBe("number");
      expect(Object.keys(top_logprobs[i])).toHaveLength(2);
      expect(top_logprobs[i][token]).toBe(token_logprobs[i]);
    });
  });

  it("streams logprobs per chunk, offsets running on across a choice's chunks", async () => {
    const { data } = await readSse(
      await complete({ model: MODEL, prompt: `Count ${nonce()}`, logprobs: 0, n: 2, max_tokens: 5, stream: true }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const texts = new Map<number, string>();
    for (const chunk of data.slice(0, -1) as any[]) {
      for (const choice of chunk.choices) {
        const before = texts.get(choice.index) ?? "";
        if (choice.text) {
          const { tokens, token_logprobs, top_logprobs, text_offset } = choice.logprobs;
          expect(tokens.join("")).toBe(choice.text);
          expect(text_offset[0]).toBe(before.length);
          expect(token_logprobs).toHaveLength(tokens.length);
          // logprobs: 0 still gives the sampled token's own.
          expect(top_logprobs[0]).toEqual({ [tokens[0]]: token_logprobs[0] });
        }
        texts.set(choice.index, before + choice.text);
      }
    }
    expect([...texts.keys()].sort()).toEqual([0, 1]);
    for (const text of texts.values()) expect(text.length).toBeGreaterThan(0);
  });

  it("asks logprobs only of endpoints that have them under require_parameters; elsewhere they are dropped", async () => {
    const llama = "meta-llama/llama-3.3-70b-instruct";
    const strict = nonce();
    const refused = await complete({
      model: llama,
      prompt: `hi ${strict}`,
      logprobs: 1,
      provider: { require_parameters: true },
    });
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain("logprobs");
    expect(await emulatorRequests(strict)).toEqual([]);
    const response = await complete({ model: llama, prompt: `hi ${nonce()}`, logprobs: 1, max_tokens: 5 });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toContain("logprobs");
    expect(((await response.json()) as any).choices[0].logprobs).toBeNull();
  });

  it("works from the OpenAI SDK, plain and streaming", async () => {
    const client = new OpenAI({ apiKey: key, baseURL: BASE, fetch: (u, i) => gatewayFetch(u, i), maxRetries: 0 });
    const completion = await client.completions.create({ model: MODEL, prompt: "Say hi", max_tokens: 10 });
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    const stream = await client.completions.create({
      model: MODEL,
      prompt: "Count [[emulate tokens=5]]",
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text.length).toBeGreaterThan(0);
  });
});

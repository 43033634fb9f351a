import { ChatStreamChunk$inboundSchema } from "@openrouter/sdk/models";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, chat, fundedAccount, gatewayFetch, nonce, readSse, sleep } from "./support/gateway";

/**
 * Every wire format, one prompt asked twice, streamed and not: what a client accumulates from the
 * chunks must be the message the unstreamed reply holds (parallel tool calls, reasoning), every
 * chunk must parse with @openrouter/sdk, and the one usage chunk must say what /generation says
 * and what the key was charged. Tool-call ids are not compared: Gemini has none (the gateway
 * mints them) and the emulators mint fresh ones per request.
 */
const ROWS: Array<{ model: string; provider: string; tools: boolean; reasons: boolean; choices: number }> = [
  { model: "openai/gpt-4o-mini", provider: "openai", tools: true, reasons: false, choices: 2 },
  { model: "meta-llama/llama-3.3-70b-instruct", provider: "together", tools: true, reasons: false, choices: 2 },
  { model: "anthropic/claude-haiku-4.5", provider: "anthropic", tools: true, reasons: true, choices: 1 },
  { model: "anthropic/claude-haiku-4.5", provider: "amazon-bedrock", tools: true, reasons: true, choices: 1 },
  { model: "openai/gpt-4o", provider: "azure", tools: true, reasons: false, choices: 2 },
  { model: "cohere/command-a", provider: "cohere", tools: true, reasons: false, choices: 1 },
  { model: "mistralai/mistral-small-3.1-24b-instruct", provider: "mistral", tools: true, reasons: false, choices: 2 },
  { model: "x-ai/grok-3-mini", provider: "xai", tools: true, reasons: true, choices: 2 },
  { model: "deepseek/deepseek-r1", provider: "together", tools: false, reasons: true, choices: 2 },
  { model: "google/gemini-2.5-flash-lite", provider: "google-ai-studio", tools: true, reasons: true, choices: 2 },
];

const tool = (name: string) => ({
  type: "function",
  function: { name, parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
});

interface Chunk {
  id: string;
  created: number;
  model: string;
  provider: string;
  object: string;
  choices: Array<{
    index: number;
    finish_reason: string | null;
    delta: {
      content?: string | null;
      reasoning?: string | null;
      tool_calls?: Array<{
        index: number;
        id?: string;
        type?: string;
        function?: { name?: string; arguments?: string };
      }>;
    };
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; cost: number };
}

interface Message {
  content: string;
  reasoning: string;
  toolCalls: Array<{ name: string; arguments: string }>;
  finish: string | null;
}

/** A client's accumulation of the chunks into one message per choice, as the OpenAI SDK does. */
function accumulate(chunks: Chunk[]): Map<number, Message> {
  const messages = new Map<number, Message>();
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      let message = messages.get(choice.index);
      if (!message) {
        message = { content: "", reasoning: "", toolCalls: [], finish: null };
        messages.set(choice.index, message);
      }
      message.content += choice.delta.content ?? "";
      message.reasoning += choice.delta.reasoning ?? "";
      for (const call of choice.delta.tool_calls ?? []) {
        const known = message.toolCalls[call.index];
        if (known) {
          // id, type and name come once, on a call's first delta.
          expect(call.id ?? call.type ?? call.function?.name).toBeUndefined();
          known.arguments += call.function?.arguments ?? "";
        } else {
          expect(call).toMatchObject({ id: expect.any(String), type: "function" });
          message.toolCalls[call.index] = {
            name: call.function?.name ?? "",
            arguments: call.function?.arguments ?? "",
          };
        }
      }
      if (choice.finish_reason !== null) {
        expect(message.finish).toBeNull();
        message.finish = choice.finish_reason;
      }
    }
  }
  return messages;
}

interface WholeReply {
  choices: Array<{
    index: number;
    finish_reason: string;
    message: {
      content: string | null;
      reasoning?: string;
      tool_calls?: Array<{ function: { name: string; arguments: string } }>;
    };
  }>;
}

/** The unstreamed reply's choices in the accumulated messages' terms. */
function wholeMessages(reply: WholeReply): Map<number, Message> {
  return new Map(
    reply.choices.map((choice) => [
      choice.index,
      {
        content: choice.message.content ?? "",
        reasoning: choice.message.reasoning ?? "",
        toolCalls: (choice.message.tool_calls ?? []).map((call) => ({
          name: call.function.name,
          arguments: call.function.arguments,
        })),
        finish: choice.finish_reason,
      },
    ]),
  );
}

/** The stream's chunks, checked for what every chunk owes a client: a shared envelope, the SDK's shape. */
function checkedChunks(data: unknown[]): Chunk[] {
  expect(data.at(-1)).toBe("[DONE]");
  const chunks = data.slice(0, -1) as Chunk[];
  const [first] = chunks;
  for (const chunk of chunks) {
    expect(ChatStreamChunk$inboundSchema.safeParse(chunk).success, JSON.stringify(chunk)).toBe(true);
    expect(chunk.object).toBe("chat.completion.chunk");
    expect([chunk.id, chunk.created, chunk.model, chunk.provider]).toEqual([
      first?.id,
      first?.created,
      first?.model,
      first?.provider,
    ]);
  }
  // Exactly one usage chunk, the last.
  expect(chunks.map((chunk) => chunk.usage !== undefined).lastIndexOf(true)).toBe(chunks.length - 1);
  expect(chunks.filter((chunk) => chunk.usage !== undefined)).toHaveLength(1);
  return chunks;
}

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});

async function generationOf(id: string, apiKey: string): Promise<{ total_cost: number; tokens_completion: number }> {
  for (let i = 0; i < 100; i++) {
    const response = await gatewayFetch(`${BASE}/generation?id=${id}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (response.status === 200)
      return ((await response.json()) as { data: { total_cost: number; tokens_completion: number } }).data;
    await sleep(20);
  }
  throw new Error(`no generation ${id}`);
}

for (const row of ROWS) {
  describe(`streamed as answered whole: ${row.provider} (${row.model})`, () => {
    const ask = (body: Record<string, unknown>, apiKey = key) =>
      chat(apiKey, { model: row.model, provider: { only: [row.provider] }, ...body });
    const both = async (body: Record<string, unknown>) => {
      const whole = wholeMessages((await (await ask(body)).json()) as WholeReply);
      const chunks = checkedChunks((await readSse(await ask({ ...body, stream: true }))).data);
      return { whole, streamed: accumulate(chunks), chunks };
    };

    it.runIf(row.tools)("parallel tool calls: distinct indexes, whole JSON arguments, finish tool_calls", async () => {
      const { whole, streamed } = await both({
        messages: [{ role: "user", content: `call both tools ${nonce()}` }],
        tools: [tool("get_weather"), tool("get_time")],
        parallel_tool_calls: true,
      });
      expect(streamed).toEqual(whole);
      const calls = streamed.get(0)!.toolCalls;
      expect(calls.map((call) => call.name)).toEqual(["get_weather", "get_time"]);
      for (const call of calls) expect(JSON.parse(call.arguments)).toHaveProperty("city");
      expect(streamed.get(0)!.finish).toBe("tool_calls");
    });

    it.runIf(row.reasons)("reasoning, then the answer", async () => {
      const { whole, streamed } = await both({
        messages: [{ role: "user", content: `think ${nonce()}` }],
        reasoning: { effort: "high" },
      });
      expect(streamed).toEqual(whole);
      expect(streamed.get(0)!.reasoning.length).toBeGreaterThan(0);
      expect(streamed.get(0)!.content.length).toBeGreaterThan(0);
    });

    it.runIf(row.choices > 1)("n = 2: both choices, one usage", async () => {
      const { whole, streamed } = await both({ messages: [{ role: "user", content: `two ${nonce()}` }], n: 2 });
      expect(streamed).toEqual(whole);
      expect([...streamed.keys()].sort()).toEqual([0, 1]);
    });

    it("usage: the final chunk's is the generation's, and what the key was charged", async () => {
      const { key: own } = await fundedAccount("1");
      const { data } = await readSse(
        await ask(
          { messages: [{ role: "user", content: `hello [[emulate tokens=7]] ${nonce()}` }], stream: true },
          own,
        ),
      );
      const last = checkedChunks(data).at(-1)!;
      const generation = await generationOf(last.id, own);
      expect(generation.total_cost).toBe(last.usage!.cost);
      expect(generation.tokens_completion).toBe(last.usage!.completion_tokens);
      expect(last.usage!.cost).toBeGreaterThan(0);
      const credits = await gatewayFetch(`${BASE}/credits`, { headers: { authorization: `Bearer ${own}` } });
      expect(((await credits.json()) as { data: { total_usage: number } }).data.total_usage).toBe(last.usage!.cost);
    });
  });
}

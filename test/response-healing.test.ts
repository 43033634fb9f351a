import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { healsReply } from "../src/transforms/response-healing";
import { BASE, chat, fundedAccount, gatewayFetch, nonce, readSse, sleep } from "./support/gateway";

/**
 * OpenRouter's `response-healing` plugin end to end: the emulated model writes malformed JSON
 * (`[[emulate content=…]]`), and the client, through the OpenAI SDK, reads JSON that parses.
 */
const MODEL = "openai/gpt-4o-mini";
const HEALING = [{ id: "response-healing" }];
const PERSON = {
  type: "json_schema",
  json_schema: {
    name: "person",
    schema: { type: "object", properties: { name: { type: "string" }, age: { type: "number" } } },
  },
} as const;
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

const client = () =>
  new OpenAI({ apiKey: key, baseURL: BASE, fetch: (input, init) => gatewayFetch(input, init), maxRetries: 0 });

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** A prompt whose reply is exactly `content`, as the model wrote it. */
const saying = (content: string) => `[[emulate content=${base64url(content)}]] ${nonce()}`;

const FENCED = "Here is the person:\n```json\n{name: \"Ada\", 'age': 36,}\n```\nAnything else?";

/** OpenRouter's fields the OpenAI SDK's request types do not list, sent as its users send them. */
type WithPlugins<T> = T & { plugins?: Array<{ id: string; enabled?: boolean }> };

async function ask(content: string, extra: Record<string, unknown>, prompt = saying(content)) {
  const response = await chat(key, { model: MODEL, messages: [{ role: "user", content: prompt }], ...extra });
  expect(response.status).toBe(200);
  return (await response.json()) as {
    id: string;
    choices: Array<{ message: { content: string }; finish_reason: string }>;
    usage: { completion_tokens: number; cost: number };
  };
}

describe("response-healing on /chat/completions", () => {
  it("repairs a fenced, prose-wrapped reply with unquoted keys and a trailing comma: the SDK parses it", async () => {
    const body: WithPlugins<OpenAI.ChatCompletionCreateParamsNonStreaming> = {
      model: MODEL,
      messages: [{ role: "user", content: saying(FENCED) }],
      response_format: PERSON,
      plugins: HEALING,
    };
    const completion = await client().chat.completions.parse(body);
    expect(completion.choices[0]?.message.content).toBe('{"name": "Ada", "age": 36}');
    expect(completion.choices[0]?.message.parsed).toEqual({ name: "Ada", age: 36 });
  });

  it("without the plugin, or with it disabled, the reply is the model's, which the SDK cannot parse", async () => {
    for (const plugins of [undefined, [{ id: "response-healing", enabled: false }]]) {
      const body: WithPlugins<OpenAI.ChatCompletionCreateParamsNonStreaming> = {
        model: MODEL,
        messages: [{ role: "user", content: saying(FENCED) }],
        response_format: PERSON,
        ...(plugins ? { plugins } : {}),
      };
      await expect(client().chat.completions.parse(body)).rejects.toThrow(SyntaxError);
      const raw = await client().chat.completions.create(body);
      expect(raw.choices[0]?.message.content).toBe(FENCED);
    }
  });

  it("closes a reply cut at max_tokens, dropping the key whose value never came", async () => {
    // 8 characters a token: three tokens are `{"name": "Alice", "age":`.
    const body = await ask('{"name": "Alice", "age": 30}', {
      response_format: PERSON,
      plugins: HEALING,
      max_tokens: 3,
    });
    expect(body.choices[0]?.finish_reason).toBe("length");
    expect(body.choices[0]?.message.content).toBe('{"name": "Alice"}');
  });

  it("heals a reply from any provider's format (Gemini's here)", async () => {
    const body = await ask(FENCED, {
      model: "google/gemini-2.5-flash-lite",
      provider: { only: ["google-ai-studio"] },
      response_format: PERSON,
      plugins: HEALING,
    });
    expect(body.choices[0]?.message.content).toBe('{"name": "Ada", "age": 36}');
  });

  it("heals json_object replies too, each of n choices", async () => {
    const body = await ask("{'ok': True,}", { response_format: { type: "json_object" }, plugins: HEALING, n: 2 });
    expect(body.choices.map((choice) => choice.message.content)).toEqual(['{"ok": true}', '{"ok": true}']);
  });

  it("leaves valid JSON exactly as the model wrote it, and a reply with no JSON in it alone", async () => {
    const valid = '{ "name" : "Ada",\n  "age": 36 }';
    expect((await ask(valid, { response_format: PERSON, plugins: HEALING })).choices[0]?.message.content).toBe(valid);
    const prose = "Sorry, I cannot answer that.";
    expect((await ask(prose, { response_format: PERSON, plugins: HEALING })).choices[0]?.message.content).toBe(prose);
  });

  it("leaves a reply not asked to be JSON untouched, plugin or not", async () => {
    const body = await ask("{'not': 'json',}", { plugins: HEALING });
    expect(body.choices[0]?.message.content).toBe("{'not': 'json',}");
  });

  it("is accepted on a stream, which it leaves as the model wrote it (as OpenRouter does)", async () => {
    const response = await chat(key, {
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: saying(FENCED) }],
      response_format: PERSON,
      plugins: HEALING,
    });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const text = data
      .filter((chunk) => chunk !== "[DONE]")
      .map((chunk) => (chunk as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe(FENCED);
  });

  it("charges the same with healing as without: the usage is the model's", async () => {
    const prompt = saying(FENCED);
    const healed = await ask(FENCED, { response_format: PERSON, plugins: HEALING }, prompt);
    const plain = await ask(FENCED, { response_format: PERSON }, prompt);
    expect(healed.choices[0]?.message.content).not.toBe(plain.choices[0]?.message.content);
    expect(healed.usage.completion_tokens).toBe(plain.usage.completion_tokens);
    expect(healed.usage.cost).toBe(plain.usage.cost);
  });
});

describe("response-healing on /completions", () => {
  it("heals a legacy completion's text as chat's content", async () => {
    const response = await gatewayFetch(`${BASE}/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        prompt: saying(FENCED),
        response_format: { type: "json_object" },
        plugins: HEALING,
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: Array<{ text: string }> };
    expect(body.choices[0]?.text).toBe('{"name": "Ada", "age": 36}');
  });
});

describe("response-healing in the log", () => {
  afterEach(() => vi.restoreAllMocks());

  it("the generation's log line counts the choices healed, and says nothing when none was", async () => {
    const lines: Array<Record<string, unknown>> = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      try {
        lines.push(JSON.parse(String(line)) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    });
    const healed = await ask(FENCED, { response_format: PERSON, plugins: HEALING, n: 2 });
    const valid = await ask('{"a": 1}', { response_format: PERSON, plugins: HEALING });
    await sleep(50);
    const lineOf = (id: string) => lines.find((line) => line.generation_id === id);
    expect(lineOf(healed.id)).toMatchObject({ msg: "generation", healed: 2 });
    expect(lineOf(valid.id)).toMatchObject({ msg: "generation" });
    expect(lineOf(valid.id)).not.toHaveProperty("healed");
  });
});

describe("response-healing on /responses", () => {
  it("heals a reply whose text.format is json_schema: the SDK's output_parsed is the object", async () => {
    const body = {
      model: MODEL,
      input: saying(FENCED),
      text: { format: { type: "json_schema" as const, name: "person", schema: PERSON.json_schema.schema } },
      plugins: HEALING,
    };
    const response = await client().responses.parse(body);
    expect(response.output_text).toBe('{"name": "Ada", "age": 36}');
    expect(response.output_parsed).toEqual({ name: "Ada", age: 36 });
  });
});

describe("healsReply: which requests are healed", () => {
  const json = { type: "json_object" } as const;
  it.each([
    ["the plugin, a JSON response_format, no stream", { plugins: HEALING, response_format: json }, true],
    ["json_schema", { plugins: HEALING, response_format: PERSON }, true],
    ["no plugins", { response_format: json }, false],
    ["other plugins only", { plugins: [{ id: "web", enabled: false }], response_format: json }, false],
    ["the plugin disabled", { plugins: [{ id: "response-healing", enabled: false }], response_format: json }, false],
    [
      "the plugin's last entry deciding",
      { plugins: [{ id: "response-healing", enabled: false }, { id: "response-healing" }], response_format: json },
      true,
    ],
    ["a text response_format", { plugins: HEALING, response_format: { type: "text" } }, false],
    ["no response_format", { plugins: HEALING }, false],
    ["a stream", { plugins: HEALING, response_format: json, stream: true }, false],
  ] as const)("%s", (_what, request, heals) => {
    expect(healsReply(request as Parameters<typeof healsReply>[0])).toBe(heals);
  });
});

import { describe, expect, inject, it } from "vitest";
import { groqServingLlamaInForce } from "./support/catalog";
import { chat, emulatorRequests, fundedAccount, nonce } from "./support/gateway";

// Groq serving Llama 3.3 (the fastest of its hosts) and Qwen 3: see withGroqServingLlama.
groqServingLlamaInForce();

/**
 * Mistral and Groq refuse a field they do not know inside a message as they do at the top level
 * (Mistral's 422 extra_forbidden, Groq's 400 "property '…' is unsupported"), and the emulator
 * refuses as they do. OpenRouter's clients send such fields routinely: `cache_control` on parts,
 * the reasoning, annotations and images of an earlier assistant turn, a tool call's `index`.
 */

const PNG = "data:image/png;base64,iVBORw0KGgo=";

/**
 * A conversation as an OpenRouter client sends it back after a tool turn; the user's image only for
 * a model that reads images (a text-only one is not sent it: routing/input-modalities.ts).
 */
function conversation(marker: string, vision = true) {
  return [
    {
      role: "system",
      content: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }],
    },
    {
      role: "user",
      name: "alice",
      content: [
        { type: "text", text: `weather in Paris? ${marker}`, cache_control: { type: "ephemeral" } },
        ...(vision ? [{ type: "image_url", image_url: { url: PNG } }] : []),
      ],
    },
    {
      role: "assistant",
      content: "Let me check.",
      refusal: null,
      reasoning: "The user wants the weather: call the tool.",
      reasoning_details: [{ type: "reasoning.text", text: "The user wants the weather: call the tool.", index: 0 }],
      annotations: [
        {
          type: "url_citation",
          url_citation: { url: "https://example.org", title: "x", start_index: 0, end_index: 3 },
        },
      ],
      images: [{ type: "image_url", image_url: { url: PNG } }],
      tool_calls: [
        { index: 0, id: "call_abc123def456", type: "function", function: { name: "get_weather", arguments: "{}" } },
      ],
    },
    { role: "tool", tool_call_id: "call_abc123def456", name: "get_weather", content: "sunny" },
  ];
}

async function sent(key: string, model: string, only: string, marker: string, vision = true) {
  const response = await chat(key, { model, provider: { only: [only] }, messages: conversation(marker, vision) });
  const [call] = await emulatorRequests(marker);
  return { response, messages: (call!.body as { messages: Record<string, any>[] }).messages };
}

const keysOf = (value: object) => Object.keys(value).sort();

describe("fields inside messages, to APIs that refuse unknown ones", () => {
  it("Mistral gets only what its schema takes: no cache_control, reasoning, annotations, images, refusal or user name", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const { response, messages } = await sent(key, "mistralai/mistral-small-3.1-24b-instruct", "mistral", marker);
    expect(response.status).toBe(200);
    const [system, user, assistant, tool] = messages as [any, any, any, any];
    expect(keysOf(system)).toEqual(["content", "role"]);
    expect(keysOf(system.content[0])).toEqual(["text", "type"]);
    expect(keysOf(user)).toEqual(["content", "role"]);
    expect(keysOf(user.content[0])).toEqual(["text", "type"]);
    expect(user.content[1]).toEqual({ type: "image_url", image_url: { url: PNG } });
    expect(keysOf(assistant)).toEqual(["content", "role", "tool_calls"]);
    // Mistral's tool call takes `index`; its id is remapped to its 9 alphanumerics.
    expect(keysOf(assistant.tool_calls[0])).toEqual(["function", "id", "index", "type"]);
    expect(assistant.tool_calls[0].id).toMatch(/^[a-zA-Z0-9]{9}$/);
    // A tool result's name is Mistral's own field.
    expect(keysOf(tool)).toEqual(["content", "name", "role", "tool_call_id"]);
    expect(tool.tool_call_id).toBe(assistant.tool_calls[0].id);
  });

  it("Groq (a model that does not reason) gets no index, no name and no reasoning", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const { response, messages } = await sent(key, "meta-llama/llama-3.3-70b-instruct", "groq", marker, false);
    expect(response.status).toBe(200);
    const [system, user, assistant, tool] = messages as [any, any, any, any];
    expect(keysOf(system)).toEqual(["content", "role"]);
    expect(keysOf(system.content[0])).toEqual(["text", "type"]);
    expect(keysOf(user)).toEqual(["content", "role"]);
    expect(keysOf(user.content[0])).toEqual(["text", "type"]);
    expect(keysOf(assistant)).toEqual(["content", "role", "tool_calls"]);
    expect(keysOf(assistant.tool_calls[0])).toEqual(["function", "id", "type"]);
    expect(keysOf(tool)).toEqual(["content", "role", "tool_call_id"]);
  });

  it("Groq's reasoning model gets the earlier turn's reasoning back as its own `reasoning`, nothing else of it", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const { response, messages } = await sent(key, "qwen/qwen3-32b", "groq", marker, false);
    expect(response.status).toBe(200);
    const assistant = messages[2]!;
    expect(keysOf(assistant)).toEqual(["content", "reasoning", "role", "tool_calls"]);
    expect(assistant.reasoning).toBe("The user wants the weather: call the tool.");
  });

  it("the emulators refuse such fields as the real APIs do", async () => {
    const marker = nonce();
    const body = (model: string) =>
      JSON.stringify({
        model,
        messages: [{ role: "user", content: [{ type: "text", text: marker, cache_control: {} }] }],
      });
    const post = (path: string, model: string) =>
      fetch(`${inject("emulatorUrl")}${path}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer test" },
        body: body(model),
      });
    const mistral = await post("/mistral/v1", "mistral-small-2503");
    expect(mistral.status).toBe(422);
    expect(((await mistral.json()) as any).message.detail[0]).toMatchObject({
      type: "extra_forbidden",
      loc: ["body", "messages", 0, "user", "content", 0, "text", "cache_control"],
    });
    const groq = await post("/groq/openai/v1", "openai/gpt-oss-120b");
    expect(groq.status).toBe(400);
    expect(((await groq.json()) as any).error.message).toBe(
      "'messages.0' : for 'role:user' the following must be satisfied[('messages.0.content.0' : property 'cache_control' is unsupported)]",
    );
  });

  it("OpenAI still gets cache_control, annotations, names and the tool call's index as sent", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const { response, messages } = await sent(key, "openai/gpt-4o", "openai", marker);
    expect(response.status).toBe(200);
    const [system, user, assistant, tool] = messages as [any, any, any, any];
    expect(system.content[0].cache_control).toEqual({ type: "ephemeral" });
    expect(user.name).toBe("alice");
    expect(user.content[0].cache_control).toEqual({ type: "ephemeral" });
    expect(assistant.annotations).toHaveLength(1);
    expect(assistant.tool_calls[0].index).toBe(0);
    expect(tool.name).toBe("get_weather");
    // The reasoning fields never went to OpenAI-format APIs.
    expect(assistant.reasoning).toBeUndefined();
    expect(assistant.reasoning_details).toBeUndefined();
  });

  it("a fallback after Mistral gets the client's messages whole: Mistral's were copies", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const messages = conversation(`[[emulate@mistral status=500]] ${marker}`);
    const response = await chat(key, {
      model: "mistralai/mistral-small-3.1-24b-instruct",
      provider: { order: ["mistral", "deepinfra"] },
      messages,
    });
    expect(response.status).toBe(200);
    const calls = await emulatorRequests(marker);
    const mistral = calls.find((c) => c.provider === "mistral");
    const deepinfra = calls.find((c) => c.provider === "deepinfra");
    expect((mistral!.body as { messages: any[] }).messages[1].content[0].cache_control).toBeUndefined();
    const [, user, assistant] = (deepinfra!.body as { messages: any[] }).messages;
    expect(user.name).toBe("alice");
    expect(user.content[0].cache_control).toEqual({ type: "ephemeral" });
    expect(assistant.tool_calls[0]).toMatchObject({ index: 0, id: "call_abc123def456" });
  });
});

describe("OpenAI's developer role", () => {
  const messages = (marker: string) => [
    { role: "developer", content: "Answer in French." },
    { role: "user", content: `hello ${marker}` },
  ];

  it("goes to APIs that define no such role as the system message it means (Mistral refuses it: 422)", async () => {
    const { key } = await fundedAccount("1");
    for (const [model, only] of [
      ["mistralai/mistral-small-3.1-24b-instruct", "mistral"],
      ["meta-llama/llama-3.3-70b-instruct", "together"],
    ] as const) {
      const marker = nonce();
      const response = await chat(key, { model, provider: { only: [only] }, messages: messages(marker) });
      expect(response.status, only).toBe(200);
      const [call] = await emulatorRequests(marker);
      expect((call!.body as { messages: Array<{ role: string; content: string }> }).messages[0]).toEqual({
        role: "system",
        content: "Answer in French.",
      });
    }
  });

  it("goes to OpenAI as sent", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await chat(key, { model: "openai/gpt-4o-mini", messages: messages(marker) });
    expect(response.status).toBe(200);
    const [call] = await emulatorRequests(marker);
    expect((call!.body as { messages: Array<{ role: string }> }).messages[0]!.role).toBe("developer");
  });
});

import { describe, expect, it } from "vitest";
import { responseFromChat, responsesEventStream } from "../src/generation/responses";
import type { ResponsesRequest } from "../src/schema/responses";

/**
 * The Responses API's reply and events built from chat's (generation/responses.ts), fed chat
 * replies and chunks no emulator sends: text and tool calls in one turn, a tool call cut short.
 */
const request = { input: "hi" } as ResponsesRequest;
const usage = {
  prompt_tokens: 3,
  prompt_tokens_details: { cached_tokens: 0 },
  completion_tokens: 9,
  completion_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 12,
  cost: 0.000001,
  is_byok: false,
};
const base = { id: "gen-1-abc", model: "openai/gpt-4o-mini", created: 1_700_000_000 };

type Delta = Record<string, unknown>;
const chunk = (delta: Delta, finish: string | null = null, extra: Delta = {}) => ({
  ...base,
  object: "chat.completion.chunk",
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...extra,
});
const call = (index: number, id: string | undefined, name: string | undefined, args: string) => ({
  tool_calls: [
    { index, ...(id ? { id, type: "function" } : {}), function: { ...(name ? { name } : {}), arguments: args } },
  ],
});

async function events(chunks: object[]): Promise<any[]> {
  const sse = chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n";
  const chat = new Response(sse).body as ReadableStream<Uint8Array>;
  const text = await new Response(responsesEventStream(chat, request)).text();
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("event: "))
    .map((frame) => JSON.parse(frame.split("\n")[1]!.slice("data: ".length)));
}

describe("Responses events from chat chunks", () => {
  it("text then a tool call: the message item is done before the call's item is added", async () => {
    const all = await events([
      chunk({ role: "assistant", content: "Let me " }),
      chunk({ content: "look." }),
      chunk(call(0, "call_1", "get_weather", '{"city":')),
      chunk(call(0, undefined, undefined, '"Oslo"}')),
      chunk({}, "tool_calls"),
      chunk({}, null, { choices: [], usage }),
    ]);
    const types = all.map((e) => e.type);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const added = all.filter((e) => e.type === "response.output_item.added");
    const done = all.filter((e) => e.type === "response.output_item.done");
    expect(added.map((e) => [e.output_index, e.item.id])).toEqual(done.map((e) => [e.output_index, e.item.id]));
    const completed = all.at(-1).response;
    expect(completed.created_at).toBe(base.created);
    expect(completed.usage).toMatchObject({ input_tokens: 3, output_tokens: 9, total_tokens: 12 });
    expect(completed.output.map((item: any) => [item.type, item.status])).toEqual([
      ["message", "completed"],
      ["function_call", "completed"],
    ]);
  });

  it("a tool call cut at max_output_tokens is incomplete, plain as streamed", async () => {
    const plain = responseFromChat(request, {
      ...base,
      provider: "OpenAI",
      system_fingerprint: null,
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a"' } }],
          },
          finish_reason: "length",
        },
      ],
      usage,
    });
    expect(plain.status).toBe("incomplete");
    expect(plain.output[0]).toMatchObject({ type: "function_call", status: "incomplete" });
    const streamed = (
      await events([
        chunk(call(0, "call_1", "f", '{"a"')),
        chunk({}, "length"),
        chunk({}, null, { choices: [], usage }),
      ])
    ).at(-1);
    expect(streamed.type).toBe("response.incomplete");
    expect(streamed.response.output[0]).toMatchObject({ type: "function_call", status: "incomplete" });
  });
});

import { describe, expect, it, vi } from "vitest";
import type * as z from "zod/mini";
import { ChatRequestSchema } from "../src/schema/chat";
import { CompletionsRequestSchema } from "../src/schema/completions";
import { EmbeddingsRequestSchema } from "../src/schema/embeddings";
import { sparseParserOf } from "../src/schema/sparse";
import { parseWith } from "../src/schema/validate";

/**
 * The request schemas are parsed field by field (schema/sparse.ts): only the fields a body
 * carries run, where zod's own parse runs all of them. Here, in workerd as in production (zod
 * without code generation), every body must come out exactly as zod's own parse gives it: the same
 * value with its keys in the same order, or the same issues.
 */

const user = { role: "user", content: "hi" };
const chatBodies: unknown[] = [
  { model: "openai/gpt-4o-mini", messages: [user] },
  { messages: [user] },
  {
    model: "anthropic/claude-haiku-4.5",
    models: ["openai/gpt-4o"],
    messages: [
      { role: "system", content: "be brief" },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "https://x/y.png" } },
        ],
      },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", function: { name: "f", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c1", content: "42" },
    ],
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
    tool_choice: "auto",
    response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    reasoning: { effort: "high", exclude: true },
    provider: { order: ["openai"], allow_fallbacks: false, sort: "price", max_price: { prompt: 1 } },
    stop: ["\n"],
    temperature: 0.2,
    max_tokens: 50,
    stream: true,
    stream_options: { include_usage: true },
    usage: { include: true },
    transforms: ["middle-out"],
    user: "u-1",
    metadata: { a: "b" },
    // Nullable fields sent as null, and fields no schema names (passed through).
    seed: null,
    top_k: null,
    logit_bias: { "50256": -100 },
    x_vendor_extension: { keep: true },
    zz: 1,
  },
  // Unknown keys before known ones: the result still lists the schema's keys first, as zod's does.
  { extra: "first", messages: [user], model: "openai/gpt-4o-mini" },
];
const badChatBodies: unknown[] = [
  null,
  [],
  "text",
  {},
  { model: "openai/gpt-4o-mini" },
  { messages: [] },
  { messages: [{ role: "robot", content: "hi" }] },
  { messages: [user], temperature: 3 },
  { messages: [user], max_tokens: -1, top_p: 2 },
  { messages: [user], stop: ["a", 5] },
  { messages: [user], tools: [{ type: "function" }] },
  { messages: [user], model: "" },
];
const completionBodies: unknown[] = [
  { model: "openai/gpt-4o-mini", prompt: "Once" },
  { model: "openai/gpt-4o-mini", prompt: "Once", max_tokens: 5, stream: false, provider: { only: ["openai"] } },
];
const badCompletionBodies: unknown[] = [{ model: "openai/gpt-4o-mini" }, { prompt: "x", echo: true }];
const embeddingBodies: unknown[] = [
  { model: "openai/text-embedding-3-small", input: "a" },
  { model: "openai/text-embedding-3-small", input: ["a", "b"], dimensions: 64, encoding_format: "float" },
];
const badEmbeddingBodies: unknown[] = [{ model: "openai/text-embedding-3-small", input: [1.5, 2] }, { input: "" }];

function expectAsZod(schema: z.ZodMiniType, bodies: unknown[]) {
  const sparse = sparseParserOf(schema);
  if (!sparse) throw new Error("the schema is not marked sparse");
  for (const body of bodies) {
    const ours = sparse(body);
    const zods = schema.safeParse(body);
    expect(ours.success).toBe(zods.success);
    if (ours.success && zods.success) {
      expect(ours.data).toStrictEqual(zods.data);
      expect(Object.keys(ours.data as object)).toEqual(Object.keys(zods.data as object));
    } else {
      expect(ours.error?.issues).toEqual(zods.error?.issues);
    }
  }
}

describe("request bodies parsed field by field", () => {
  it("come out of the chat schema as zod's own parse gives them, values, key order and issues", () => {
    expectAsZod(ChatRequestSchema, [...chatBodies, ...badChatBodies]);
  });

  it("do the same for legacy completions and embeddings", () => {
    expectAsZod(CompletionsRequestSchema, [...completionBodies, ...badCompletionBodies]);
    expectAsZod(EmbeddingsRequestSchema, [...embeddingBodies, ...badEmbeddingBodies]);
  });

  it("leave the schemas of absent fields unrun, where zod's own parse runs them", () => {
    const temperature = ChatRequestSchema.shape.temperature._zod;
    const run = vi.spyOn(temperature, "run");
    try {
      const body = { model: "openai/gpt-4o-mini", messages: [user] };
      parseWith(ChatRequestSchema, body);
      expect(run).not.toHaveBeenCalled();
      ChatRequestSchema.safeParse(body);
      expect(run).toHaveBeenCalled(); // the spy sees what zod runs
    } finally {
      run.mockRestore();
    }
  });

  it("name the offending field in the 400 as before", () => {
    expect(() => parseWith(ChatRequestSchema, { messages: [user], temperature: 3 })).toThrow(/temperature/);
    expect(() => parseWith(ChatRequestSchema, { model: "openai/gpt-4o-mini" })).toThrow(/messages/);
  });

  it("are not a copy of the body: a parsed request's nested values are zod's output", () => {
    // A tool call's `type` defaults to "function" inside the field's own schema: still applied.
    const parsed = parseWith(ChatRequestSchema, {
      messages: [
        { role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: "f", arguments: "{}" } }] },
      ],
    });
    const message = parsed.messages[0] as { tool_calls?: Array<{ type?: string }> };
    expect(message.tool_calls?.[0]?.type).toBe("function");
  });
});

import { ChatResult$inboundSchema, ChatStreamChunk$inboundSchema } from "@openrouter/sdk/models";
import { CreateEmbeddingsResponseBody$inboundSchema } from "@openrouter/sdk/models/operations";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EMULATOR_SECRET_ACCESS_KEY } from "../src/providers/bedrock/credentials";
import { groqServingLlamaInForce } from "./support/catalog";
import {
  BASE,
  chat,
  finishedCall,
  fundedAccount,
  gatewayFetch,
  nonce,
  sleep,
  totalUsage,
  WEATHER_TOOL,
} from "./support/gateway";
import { mulberry32 } from "./support/prng";

// Groq serving Llama 3.3 (the fastest of its hosts) and Qwen 3: see withGroqServingLlama.
groqServingLlamaInForce();

/**
 * A seeded fuzz of the request path: chat-completion bodies (and, lightly, legacy completions and
 * embeddings) built from every field of the request schemas with right and wrong values, sent to
 * models of every provider family, and held to what a client would notice: no 5xx, OpenRouter's
 * error shape on every refusal (a 400 naming the field it refuses), replies and streams a strict
 * SDK parses, refusals that cost nothing, and no provider credential in any reply.
 *
 * Some cases script an emulator fault (a 5xx, a 429, a cut stream, an error finish, Bedrock
 * echoing its credentials…): for them a 502 or 503 in OpenRouter's shape is the right answer.
 *
 * The run is deterministic for a seed (`FUZZ_SEED=123 npx vitest run test/request-fuzz.test.ts`
 * overrides the default; `FUZZ_DEBUG=1` also lists every refusal of a body the schema takes); a
 * failure prints the seed and each failing case's label and body.
 */

const DEFAULT_SEED = 0x7011_6a7e;
const SEED = readSeed();
const CHAT_CASES = 300;
const COMPLETION_CASES = 30;
const EMBEDDING_CASES = 30;
const WORKERS = 8;

function readSeed(): number {
  const fromEnv = inject("fuzzEnvironment").seed;
  const parsed = fromEnv ? Number(fromEnv) : Number.NaN;
  return Number.isFinite(parsed) ? parsed >>> 0 : DEFAULT_SEED;
}

/** The seeded generator, with the draws the cases are made of. */
function prng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(values: readonly T[]): T {
      return values[Math.floor(next() * values.length)] as T;
    },
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

/** JSON text that JSON.stringify cannot write (1e400, a lone surrogate's escape): spliced in as is. */
class Raw {
  constructor(readonly text: string) {}
}
const raw = (text: string) => new Raw(text);

function serialize(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_key, value) => {
    if (value instanceof Raw) {
      raws.push(value.text);
      return `@@RAW${raws.length - 1}@@`;
    }
    return value;
  });
  return text.replace(/"@@RAW(\d+)@@"/g, (_m, i: string) => raws[Number(i)] as string);
}

// ---------------------------------------------------------------------------------------------
// What the cases are made of.

/** A model and, sometimes, the provider it is pinned to, to reach each wire format. */
const TARGETS: ReadonlyArray<[model: string, provider?: string]> = [
  ["openai/gpt-4o-mini", "openai"],
  ["openai/gpt-4o", "azure"],
  ["x-ai/grok-4.3"],
  ["anthropic/claude-haiku-4.5", "anthropic"],
  ["anthropic/claude-haiku-4.5", "amazon-bedrock"],
  ["anthropic/claude-haiku-4.5", "anthropic"],
  ["anthropic/claude-haiku-4.5", "amazon-bedrock"],
  ["google/gemini-2.5-flash-lite"],
  ["google/gemini-2.5-flash-lite"],
  ["cohere/command-a"],
  ["mistralai/mistral-small-3.1-24b-instruct"],
  ["meta-llama/llama-3.3-70b-instruct", "together"],
  ["meta-llama/llama-3.3-70b-instruct", "groq"],
  ["meta-llama/llama-3.3-70b-instruct"],
  ["deepseek/deepseek-r1"],
  ["x-ai/grok-3-mini"],
  ["perplexity/sonar"],
  ["qwen/qwen3-32b"],
];
const PROVIDER_SLUGS = [
  "openai",
  "azure",
  "anthropic",
  "amazon-bedrock",
  "google-ai-studio",
  "mistral",
  "together",
  "groq",
  "deepinfra",
  "fireworks",
  "cohere",
  "OpenAI",
  "Together",
  "nope",
];

const PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const PDF = btoa("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF");
const WAV = btoa("RIFF\u0024\u0000\u0000\u0000WAVEfmt ");

/** Strings a user might send, or a hostile client. Raw ones are JSON escapes JSON.stringify never writes. */
const STRINGS: ReadonlyArray<string | Raw> = [
  "hello",
  "",
  " ",
  "😀🙈 emoji 👩‍👩‍👧‍👦",
  "مرحبا بالعالم — RTL \u202e text",
  "nul\u0000byte",
  "tab\tnew\nline\r\n",
  "x".repeat(5000),
  "日本語のテキスト",
  "\\u0000 and \" quotes '",
  raw('"lone \\ud800 high surrogate"'),
  raw('"lone \\udfff low surrogate"'),
  raw('"reversed \\udc00\\ud800 pair"'),
  raw('"escaped \\u0000 nul"'),
];

/** A value that the chat schema refuses for the field, or a valid one; `bad` says which. */
interface Choice {
  value: unknown;
  bad: boolean;
}
const ok = (...values: unknown[]) => values.map((value) => ({ value, bad: false }));
const no = (...values: unknown[]) => values.map((value) => ({ value, bad: true }));

/** JSON Schema that each format's schema conversion must survive. */
const WEIRD_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: { node: { type: "object", properties: { child: { $ref: "#/$defs/node" } } } },
  properties: {
    tree: { $ref: "#/$defs/node" },
    missing: { $ref: "#/$defs/none" },
    either: { anyOf: [{ type: "string" }, { type: "integer" }, { type: "null" }] },
    one: { oneOf: [{ const: 1 }, { const: "one" }] },
    all: { allOf: [{ type: "object" }, { properties: { a: { type: "string" } } }] },
    nullable: { type: ["number", "null"], exclusiveMinimum: 0 },
    choices: { enum: ["a", 1, null, true] },
    emptyEnum: { enum: [] },
    tuple: { type: "array", prefixItems: [{ type: "string" }], items: false },
    free: true,
    "weird key 😀": { type: "string", format: "date-time" },
  },
  required: ["tree", "not-a-property"],
  additionalProperties: false,
};

/** Top-level fields: each a list of values, valid and not. */
const FIELDS: Record<string, (r: Rng) => Choice[]> = {
  temperature: () => [...ok(0, 0.7, 2, 1, null, -0), ...no(-1, 2.01, "0.5", true, raw("1e400"), "NaN")],
  top_p: () => [...ok(0, 1, 0.5, null), ...no(1.5, -0.1, "x")],
  top_k: () => [...ok(0, 1, 40, null), ...no(1.5, -1, "40")],
  top_a: () => [...ok(0, 1), ...no(2, -1)],
  min_p: () => [...ok(0, 0.1, 1), ...no(1.5)],
  max_tokens: () => [
    ...ok(1, 16, 100, null, 2 ** 31, 1e15, Number.MAX_SAFE_INTEGER),
    ...no(0, -5, 1.5, "100", raw("1e400"), raw("-0.0001"), [10], 1e300),
  ],
  max_completion_tokens: () => [...ok(1, 64, null, Number.MAX_SAFE_INTEGER), ...no(0, -1, 2.5, "64", 2 ** 53)],
  frequency_penalty: () => [...ok(-2, 0, 2, 1.5), ...no(-2.5, 3, "0")],
  presence_penalty: () => [...ok(-2, 0, 2), ...no(2.0001, -3, "high")],
  repetition_penalty: () => [...ok(0, 1, 2), ...no(-1, 2.5)],
  seed: () => [...ok(0, -1, 42, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, null), ...no(1.5, "42", 1e20)],
  stop: (r) => [
    ...ok(
      "\n",
      ["a", "b"],
      [],
      "",
      [""],
      [" "],
      null,
      [r.pick(STRINGS)],
      Array.from({ length: 10 }, (_, i) => `s${i}`),
    ),
    ...no(1, [1], {}, [null], true),
  ],
  n: () => [...ok(1, 2, 16, 128, null), ...no(0, 129, 1.5, "2")],
  logit_bias: () => [
    ...ok({ "50256": -100 }, {}, { "1": 100, "2": 0.5 }, { abc: 1, "-1": 5, "1e3": 200 }, null),
    ...no({ "1": "x" }, [1], "bias"),
  ],
  logprobs: () => [...ok(true, false, null), ...no("yes", 1)],
  top_logprobs: () => [...ok(0, 5, 20), ...no(21, -1, 2.5)],
  stream_options: () => [
    ...ok({ include_usage: true }, { include_usage: false }, {}, null),
    ...no({ include_usage: "x" }, 1),
  ],
  tools: () => [
    ...ok(
      [WEATHER_TOOL],
      [],
      [{ type: "function", function: { name: "noop" } }],
      [{ type: "function", function: { name: "a.b-c_d", parameters: {}, strict: true } }],
      [WEATHER_TOOL, { type: "function", function: { name: "x".repeat(128), description: "😀" } }],
      [{ type: "function", function: { name: "weird", parameters: WEIRD_SCHEMA } }],
      [{ type: "function", function: { name: "untyped", parameters: { properties: { a: {} } } } }],
      [{ type: "function", function: { name: "loop", parameters: { $ref: "#" } } }],
      null,
    ),
    ...no(
      [{ type: "function", function: { name: "bad name!" } }],
      [{ type: "retrieval" }],
      "tools",
      [{ type: "function", function: { name: "x".repeat(129) } }],
      [{ type: "function", function: { name: "f", parameters: [] } }],
      [{ type: "function" }],
    ),
  ],
  tool_choice: () => [
    ...ok("none", "auto", "required", { type: "function", function: { name: "get_weather" } }, null),
    ...no("sometimes", { type: "function" }, 5, { type: "function", function: { name: 5 } }),
  ],
  parallel_tool_calls: () => [...ok(true, false, null), ...no("no")],
  response_format: () => [
    ...ok(
      { type: "text" },
      { type: "json_object" },
      {
        type: "json_schema",
        json_schema: {
          name: "answer",
          schema: { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
          strict: true,
        },
      },
      { type: "json_schema", json_schema: { name: "loose" } },
      { type: "json_schema", json_schema: { name: "weird", schema: WEIRD_SCHEMA } },
      {
        type: "json_schema",
        json_schema: { name: "", schema: { type: "array", items: { type: ["string", "null"] } } },
      },
      {
        type: "json_schema",
        json_schema: { name: "loop", schema: { $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/a" } } } },
      },
      null,
    ),
    ...no({ type: "xml" }, { type: "json_schema" }, "json", { type: "json_schema", json_schema: { name: 1 } }),
  ],
  reasoning: () => [
    ...ok(
      { effort: "high" },
      { effort: "none" },
      { effort: "xhigh" },
      { effort: "minimal" },
      { max_tokens: 1024 },
      { max_tokens: 1 },
      { max_tokens: Number.MAX_SAFE_INTEGER, effort: "high" },
      { max_tokens: 100_000, exclude: true },
      { exclude: true },
      { enabled: false },
      { enabled: true },
      {},
      null,
    ),
    ...no({ effort: "extreme" }, { max_tokens: 0 }, { max_tokens: 1.5 }, "high", { exclude: "yes" }),
  ],
  reasoning_effort: () => [...ok("low", "medium", "high", "none", null), ...no("max", 3)],
  include_reasoning: () => [...ok(true, false), ...no("true")],
  provider: (r) => [
    ...ok(
      { order: [r.pick(PROVIDER_SLUGS)] },
      { only: [r.pick(PROVIDER_SLUGS)] },
      { ignore: [r.pick(PROVIDER_SLUGS)] },
      { order: [r.pick(PROVIDER_SLUGS)], allow_fallbacks: false },
      { sort: "price" },
      { sort: "exacto" },
      { sort: { by: "latency", partition: "none" } },
      { max_price: { prompt: 1, completion: "2.5" } },
      { max_price: { prompt: 0 } },
      { max_price: { prompt: 1e308, completion: "0.0000000001", request: 0, image: "99999999999999999999" } },
      { preferred_max_latency: 1e308, preferred_min_throughput: 0 },
      { order: ["openai", "openai", "azure"], only: [], ignore: [] },
      { data_collection: "deny" },
      { zdr: true },
      { require_parameters: true },
      { quantizations: ["fp8"] },
      { preferred_max_latency: 2 },
      { preferred_min_throughput: { p90: 10 } },
      { enforce_distillable_text: true },
      {},
      null,
    ),
    ...no(
      { order: "openai" },
      { sort: "cheapest" },
      { max_price: { prompt: -1 } },
      { max_price: { prompt: "1e3" } },
      { data_collection: "maybe" },
      { preferred_max_latency: -1 },
      { only: [1] },
      "openai",
    ),
  ],
  route: () => [...ok("fallback", null), ...no("random")],
  transforms: () => [...ok(["middle-out"], []), ...no([1], "middle-out")],
  plugins: () => [
    ...ok(
      [{ id: "context-compression" }],
      [{ id: "context-compression", enabled: false }],
      [{ id: "file-parser", pdf: { engine: "native" } }],
      [{ id: "web", enabled: false }],
      [{ id: "response-healing" }],
      [],
    ),
    ...no([{}], [{ id: 1 }], "web"),
  ],
  usage: () => [...ok({ include: true }, {}, null), ...no({ include: "yes" })],
  user: (r) => [
    ...ok("", "user-1", "u".repeat(1024), r.pick(STRINGS.filter((s) => typeof s !== "string" || s.length <= 1024))),
    ...no("u".repeat(1025), 5),
  ],
  session_id: () => [...ok("s-1", ""), ...no(5)],
  metadata: () => [...ok({ a: "b" }, {}, { "😀": "ü" }), ...no({ a: 1 }, "x", [])],
  modalities: () => [...ok(["text"]), ...no("text")],
  service_tier: () => [...ok("auto", null), ...no(5)],
  prediction: () => ok({ type: "content", content: "x" }),
  some_vendor_field: () => ok({ anything: ["goes"] }),
};

/** A user turn's content: strings of every sort, and part arrays. */
function userContent(r: Rng, text: string): Choice {
  const kind = r.int(10);
  if (kind < 4) return { value: text, bad: false };
  const parts: Choice[] = [
    { value: { type: "text", text }, bad: false },
    { value: { type: "text", text, cache_control: { type: "ephemeral" } }, bad: false },
    { value: { type: "image_url", image_url: { url: `data:image/png;base64,${PIXEL}` } }, bad: false },
    { value: { type: "image_url", image_url: `data:image/png;base64,${PIXEL}` }, bad: false },
    {
      value: {
        type: "image_url",
        image_url: { url: `${inject("emulatorUrl")}/__emulator/images/pixel.png`, detail: "low" },
      },
      bad: false,
    },
    { value: { type: "image_url", image_url: { url: "data:image/png;base64,!!!not base64" } }, bad: true },
    { value: { type: "input_audio", input_audio: { data: WAV, format: "wav" } }, bad: false },
    {
      value: { type: "file", file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${PDF}` } },
      bad: false,
    },
    { value: { type: "image_url", image_url: { url: "data:," } }, bad: true },
    { value: { type: "image_url", image_url: { url: "data:text/plain;base64,aGk=" } }, bad: false },
    { value: { type: "image_url", image_url: { url: `data:image/png,${PIXEL}` } }, bad: true },
    { value: { type: "image_url", image_url: { url: "" } }, bad: false },
    { value: { type: "image_url", image_url: { url: "not a url" } }, bad: false },
    {
      value: { type: "image_url", image_url: { url: `${inject("emulatorUrl")}/__emulator/images/page.html` } },
      bad: false,
    },
    {
      value: { type: "image_url", image_url: { url: `${inject("emulatorUrl")}/__emulator/images/missing.png` } },
      bad: false,
    },
    { value: { type: "input_audio", input_audio: { data: "", format: "xyz" } }, bad: false },
    { value: { type: "file", file: { file_id: "file-123" } }, bad: false },
    { value: { type: "file", file: {} }, bad: false },
    { value: { type: "file", file: { filename: "a.txt", file_data: "data:text/plain;base64,aGVsbG8=" } }, bad: false },
    { value: { type: "file", file: { filename: "x.pdf", file_data: "not a data url" } }, bad: false },
    { value: { type: "text", text: "" }, bad: false },
    { value: { type: "video", video: {} }, bad: true },
    { value: { type: "text" }, bad: true },
    { value: { type: "image_url", image_url: { url: 5 } }, bad: true },
    { value: { type: "image_url", image_url: { url: "x", detail: "ultra" } }, bad: true },
    { value: "just a string", bad: true },
  ];
  // The text part first, so the turn carries the emulator directive and the case's marker.
  const chosen: Choice[] = [{ value: { type: "text", text }, bad: false }];
  const extra = 1 + r.int(2);
  for (let i = 0; i < extra; i++) chosen.push(r.pick(r.chance(0.6) ? parts.slice(0, 8) : parts));
  return { value: chosen.map((c) => c.value), bad: chosen.some((c) => c.bad) };
}

/** The messages: a user turn, sometimes with a system turn, a tool round trip, or broken ones. */
function messages(r: Rng, text: string): Choice {
  const user = userContent(r, text);
  const turn = { role: "user", content: user.value, ...(r.chance(0.1) ? { name: "alice" } : {}) };
  const kind = r.int(26);
  switch (kind) {
    case 0:
      return { value: [{ role: "system", content: r.pick(STRINGS) }, turn], bad: user.bad };
    case 1:
      return { value: [{ role: "developer", content: "Be brief." }, turn], bad: user.bad };
    case 2:
      return {
        value: [
          turn,
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: '{"temp": 3}' },
          { role: "user", content: text },
        ],
        bad: user.bad,
      };
    case 3:
      return {
        value: [
          turn,
          {
            role: "assistant",
            content: "ok",
            reasoning: "thought",
            reasoning_details: [{ type: "reasoning.text", text: "thought", signature: "sig" }],
          },
          { role: "user", content: text },
        ],
        bad: user.bad,
      };
    case 4:
      return { value: [{ role: "bot", content: text }], bad: true };
    case 5:
      return { value: [turn, { role: "tool", content: "x" }], bad: true };
    case 6:
      return { value: r.pick([[], "hi", null, [{ role: "user" }], [{ role: "user", content: 5 }]]), bad: true };
    case 7:
      return { value: [turn, { role: "assistant", content: "" }, { role: "user", content: text }], bad: user.bad };
    case 8:
      // A system turn made of parts, an image among them (no format takes images in a system prompt).
      return {
        value: [
          {
            role: "system",
            content: [
              { type: "text", text: "sys" },
              { type: "image_url", image_url: `data:image/png;base64,${PIXEL}` },
            ],
          },
          turn,
        ],
        bad: user.bad,
      };
    case 9:
      // A tool round trip with arguments that are no JSON object, a result in parts, an id of odd characters.
      return {
        value: [
          turn,
          {
            role: "assistant",
            content: r.pick([null, "", "calling"]),
            tool_calls: [
              {
                id: r.pick(["functions.get_time:0", "", "call 😀"]),
                function: { name: "get_weather", arguments: r.pick(["{not json", "", "[1,2]", "null", '"s"', "{}"]) },
              },
            ],
          },
          {
            role: "tool",
            tool_call_id: r.pick(["functions.get_time:0", "", "call 😀", "other"]),
            content: r.pick(["", "x", [{ type: "text", text: "72F" }], []]),
          },
        ],
        bad: user.bad,
      };
    case 10: {
      // A tool result with no call before it, or an assistant turn last (a prefill).
      const value = r.pick([
        [turn, { role: "tool", tool_call_id: "orphan", content: "x" }],
        [turn, { role: "assistant", content: "The answer is" }],
        [{ role: "assistant", content: "hello" }, turn],
        [{ role: "system", content: "only a system prompt" }],
        [turn, turn, turn],
      ]);
      return { value, bad: user.bad && value.includes(turn) };
    }
    default:
      return { value: [turn], bad: user.bad };
  }
}

interface Case {
  index: number;
  label: string;
  path: "/chat/completions" | "/completions" | "/embeddings";
  /** The request body's text, or undefined for a body sent as given in `rawBody`. */
  body: string;
  contentType: string;
  /** Top-level fields given a value the schema refuses (or "body" for a body that is no JSON object). */
  badFields: string[];
  /** The emulator fault the case scripts, if any: a 502 or 503 is then the provider's failure told. */
  fault?: string;
  stream: boolean;
}

/**
 * Faults the emulators play (README: Scripting faults), for a few cases: the error shapes, the
 * failover, the scrubbing of credentials and the accounting of a failed or cut reply are fuzzed too.
 */
const FAULTS = [
  "status=500 times=1",
  "status=500",
  "status=503 times=1",
  "status=429 retry_after=0 times=1",
  "status=400",
  "status=401",
  "echo_credentials",
  "no_usage",
  "error_finish=OTHER",
  "error_finish=error",
  "error_finish=ERROR",
  "quirky_tool_deltas",
  "quirky_tool_deltas=null",
  "quirky_tool_deltas=late_name",
  "cut_after=2",
  "malformed",
  "no_done",
  "refusal",
  "prompt_tokens=5000",
];

function chatCase(r: Rng, index: number): Case {
  const marker = `fz${SEED.toString(36)}-${index}`;
  const fault = r.chance(0.15) ? r.pick(FAULTS) : undefined;
  const directive = `[[emulate tokens=${1 + r.int(6)}${fault ? ` ${fault}` : ""}]]`;
  const text = `${directive} ${marker} ${r.chance(0.3) ? r.pick(STRINGS.filter((s) => typeof s === "string")) : "hi"}`;
  const [model, provider] = r.pick(TARGETS);
  const body: Record<string, unknown> = {};
  const badFields: string[] = [];
  const labels: string[] = [];

  // The model: usually a catalog id, sometimes a bad or unknown one, or none.
  const modelRoll = r.int(20);
  if (modelRoll === 0) {
    body.model = r.pick(["", 5, "m".repeat(1025), null]);
    badFields.push("model");
  } else if (modelRoll === 1)
    body.model = r.pick(["nope/nope", "openai/gpt-4o-mini:nitro", "OPENAI/GPT-4O-MINI", "😀"]);
  else if (modelRoll === 2) {
    body.models = [model, r.pick(TARGETS)[0]];
  } else body.model = model;
  if (provider && r.chance(0.8) && modelRoll > 2) body.provider = { only: [provider] };
  if (modelRoll === 3) {
    const models = r.pick<Choice>([...ok([model, "openai/gpt-4o"], []), ...no([""], [1], "x", Array(11).fill(model))]);
    body.models = models.value;
    if (models.bad) badFields.push("models");
  }

  const msgs = messages(r, text);
  body.messages = msgs.value;
  if (msgs.bad) badFields.push("messages");

  const stream = r.chance(0.4);
  const streamChoice = r.chance(0.05) ? r.pick(no("true", 1)) : { value: stream, bad: false };
  if (streamChoice.bad) badFields.push("stream");
  body.stream = streamChoice.value;

  // A few more fields, mostly with values the schema takes.
  const names = Object.keys(FIELDS);
  const count = r.int(5);
  for (let i = 0; i < count; i++) {
    const name = r.pick(names);
    if (name in body) continue;
    const choices = (FIELDS[name] as (r: Rng) => Choice[])(r);
    const valid = choices.filter((c) => !c.bad);
    const invalid = choices.filter((c) => c.bad);
    const choice = invalid.length > 0 && r.chance(0.15) ? r.pick(invalid) : r.pick(valid);
    // A provider object already pinned stays, merged with the fuzzed preferences when both are objects.
    if (name === "provider" && body.provider && choice.value && typeof choice.value === "object" && !choice.bad) {
      body.provider = { ...(choice.value as object), ...(body.provider as object) };
    } else body[name] = choice.value;
    if (choice.bad) badFields.push(name);
    labels.push(name);
  }
  labels.unshift(
    String(body.model ?? body.models),
    provider ? `@${provider}` : "",
    stream ? "stream" : "",
    fault ? `[${fault}]` : "",
  );
  return {
    index,
    label: `chat#${index} ${labels.filter(Boolean).join(" ")}${badFields.length ? ` bad:${badFields.join(",")}` : ""}`,
    path: "/chat/completions",
    body: serialize(body),
    contentType: "application/json",
    badFields,
    stream: streamChoice.value === true,
    ...(fault ? { fault } : {}),
  };
}

/** Bodies that are no JSON object at all, or not JSON: each a 400. */
const BROKEN_BODIES: ReadonlyArray<[text: string, contentType: string]> = [
  ["", "application/json"],
  ["{", "application/json"],
  ['{"model": "openai/gpt-4o-mini", "messages": [}', "application/json"],
  ["[]", "application/json"],
  ["null", "application/json"],
  ["42", "application/json"],
  ['"a string"', "application/json"],
  ['{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]} trailing', "application/json"],
  ["\uFEFF{}", "application/json"],
  ["model=openai/gpt-4o-mini", "application/x-www-form-urlencoded"],
  ['{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]', "application/json"],
  ['{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"model":5}', "application/json"],
  [
    '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"\\ud800"}],"max_tokens":1e400}',
    "application/json",
  ],
];

function completionCase(r: Rng, index: number): Case {
  const [model] = r.pick(TARGETS);
  const body: Record<string, unknown> = { model };
  const badFields: string[] = [];
  const prompt = r.pick<Choice>([
    ...ok(`[[emulate tokens=3]] once upon a time fzc${index}`, [`[[emulate tokens=2]] one prompt fzc${index}`]),
    ...no("", ["a", "b"], 5, [], null),
  ]);
  body.prompt = prompt.value;
  if (prompt.bad) badFields.push("prompt");
  const extra = r.pick<[string, Choice]>([
    ["max_tokens", { value: 5, bad: false }],
    ["temperature", { value: 3, bad: true }],
    ["echo", { value: true, bad: true }],
    ["best_of", { value: 2, bad: true }],
    ["suffix", { value: "end", bad: true }],
    ["logprobs", { value: 5, bad: false }],
    ["logprobs", { value: 6, bad: true }],
    ["suffix", { value: "", bad: false }],
    ["stop", { value: ["\n"], bad: false }],
    ["reasoning", { value: { effort: "low" }, bad: false }],
    ["user", { value: "u".repeat(1025), bad: true }],
    ["seed", { value: 7, bad: false }],
    ["provider", { value: { max_price: { prompt: 1e21, completion: "0.5" }, sort: "price" }, bad: false }],
    ["models", { value: [model, "openai/gpt-4o-mini"], bad: false }],
    ["n", { value: 2, bad: false }],
  ]);
  body[extra[0]] = extra[1].value;
  if (extra[1].bad) badFields.push(extra[0]);
  const stream = r.chance(0.4);
  body.stream = stream;
  return {
    index,
    label: `completions#${index} ${model} ${extra[0]}${stream ? " stream" : ""}${badFields.length ? ` bad:${badFields.join(",")}` : ""}`,
    path: "/completions",
    body: serialize(body),
    contentType: "application/json",
    badFields,
    stream,
  };
}

const EMBEDDING_MODELS = [
  "openai/text-embedding-3-small",
  "openai/text-embedding-3-large",
  "google/gemini-embedding-001",
  "cohere/embed-v4.0",
  "amazon/titan-embed-text-v2",
];

function embeddingCase(r: Rng, index: number): Case {
  const model = r.pick(EMBEDDING_MODELS);
  const body: Record<string, unknown> = { model };
  const badFields: string[] = [];
  const input = r.pick<Choice>([
    ...ok(`text fze${index}`, ["a", "😀 b"], [1, 2, 3], [[1], [2, 3]], [r.pick(STRINGS.filter((s) => s !== ""))]),
    ...no("", [], [""], [-1], [1.5], [[]], 5, [{ type: "image_url" }]),
  ]);
  body.input = input.value;
  if (input.bad) badFields.push("input");
  const extra = r.pick<[string, Choice]>([
    ["dimensions", { value: 256, bad: false }],
    ["dimensions", { value: 0, bad: true }],
    ["dimensions", { value: 1.5, bad: true }],
    ["encoding_format", { value: "base64", bad: false }],
    ["encoding_format", { value: "hex", bad: true }],
    ["input_type", { value: "search_query", bad: false }],
    ["provider", { value: { sort: "price" }, bad: false }],
    ["provider", { value: { max_price: { prompt: 1e300 }, only: ["openai", "azure", "cohere"] }, bad: false }],
    ["provider", { value: { order: "openai" }, bad: true }],
    ["user", { value: 5, bad: true }],
    ["models", { value: [model, "openai/text-embedding-3-small"], bad: false }],
  ]);
  body[extra[0]] = extra[1].value;
  if (extra[1].bad) badFields.push(extra[0]);
  return {
    index,
    label: `embeddings#${index} ${model} ${extra[0]}${badFields.length ? ` bad:${badFields.join(",")}` : ""}`,
    path: "/embeddings",
    body: serialize(body),
    contentType: "application/json",
    badFields,
    stream: false,
  };
}

function allCases(): Case[] {
  const r = prng(SEED);
  const cases: Case[] = [];
  for (let i = 0; i < CHAT_CASES; i++) cases.push(chatCase(r, cases.length));
  for (const [text, contentType] of BROKEN_BODIES) {
    cases.push({
      index: cases.length,
      label: `broken#${cases.length} ${contentType} ${text.slice(0, 40)}`,
      path: r.pick(["/chat/completions", "/completions", "/embeddings"] as const),
      body: text,
      contentType,
      badFields: ["body"],
      stream: false,
    });
  }
  for (let i = 0; i < COMPLETION_CASES; i++) cases.push(completionCase(r, cases.length));
  for (let i = 0; i < EMBEDDING_CASES; i++) cases.push(embeddingCase(r, cases.length));
  return cases;
}

// ---------------------------------------------------------------------------------------------
// What a client would notice.

/** The secrets the gateway calls the emulated providers with: none may reach a client. */
const SECRETS = ["emulator-key", EMULATOR_SECRET_ACCESS_KEY, "FwoGZXIvYXdzEmulatedSessionToken/QmVkcm9jaw+0="];

const DEBUG = Boolean(inject("fuzzEnvironment").debug);

interface Outcome {
  status: number;
  message?: string;
  /** What the reply says it charged (USD), summed over the account's replies. */
  cost: number;
  problems: string[];
}

async function run(key: string, c: Case): Promise<Outcome> {
  const problems: string[] = [];
  const response = await gatewayFetch(`${BASE}${c.path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": c.contentType },
    body: c.body,
  });
  const text = await response.text();
  const status = response.status;
  let cost = 0;
  const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  for (const secret of SECRETS) {
    if (text.includes(secret) || headers.includes(secret)) problems.push(`the reply leaks a provider credential`);
  }

  if (status >= 500 && !(c.fault && (status === 502 || status === 503))) problems.push(`status ${status}`);
  if (status >= 200 && status < 300 && c.badFields.length > 0)
    problems.push(`accepted (${status}) a body it should refuse`);

  if (status >= 300) {
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      problems.push(`a ${status} whose body is no JSON`);
    }
    if (!error || error.code !== status || typeof error.message !== "string" || error.message.length === 0) {
      problems.push(`a ${status} not in OpenRouter's error shape`);
    } else if (status === 502 && !(error as { metadata?: { provider_name?: unknown } }).metadata?.provider_name) {
      problems.push("a 502 that names no provider");
    } else if (status === 400 && c.badFields.length === 1 && c.badFields[0] !== "body") {
      const field = c.badFields[0] as string;
      if (!error.message.includes(field)) problems.push(`the 400 does not name ${field}`);
    } else if (/context length \d+ is smaller/.test(error.message) && /"max_(completion_)?tokens":\d/.test(c.body)) {
      // Refused for want of context with an output cap asked: the cap may be what does not fit.
      if (!/max_(completion_)?tokens/.test(error.message))
        problems.push("a context refusal that does not name the output cap");
    }
    if (problems.length > 0) problems.push(`reply: ${text.slice(0, 400)}`);
    return { status, cost, problems, message: typeof error?.message === "string" ? error.message : undefined };
  }

  if (!c.stream) {
    const json = JSON.parse(text) as { usage?: { cost?: number } };
    if (c.path === "/chat/completions") {
      const parsed = ChatResult$inboundSchema.safeParse(json);
      if (!parsed.success)
        problems.push(`the SDK refuses the reply: ${JSON.stringify(parsed.error.issues).slice(0, 400)}`);
    } else if (c.path === "/embeddings") {
      const parsed = CreateEmbeddingsResponseBody$inboundSchema.safeParse(json);
      if (!parsed.success)
        problems.push(`the SDK refuses the reply: ${JSON.stringify(parsed.error.issues).slice(0, 400)}`);
    } else {
      const choices = (json as { choices?: Array<{ text?: unknown }> }).choices;
      if (!Array.isArray(choices) || typeof choices[0]?.text !== "string")
        problems.push("a completion with no text choice");
    }
    if (typeof json.usage?.cost !== "number") problems.push("a reply with no usage.cost");
    cost = json.usage?.cost ?? 0;
    return { status, cost, problems };
  }

  // A stream: well-formed SSE, every chunk one a strict client takes, ending in [DONE] after a
  // usage chunk or an error chunk.
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) problems.push("a stream that is no SSE");
  const events = text.split("\n\n").filter((e) => e.length > 0);
  const data: unknown[] = [];
  for (const event of events) {
    if (event.startsWith(":")) continue;
    if (!event.startsWith("data: ")) {
      problems.push(`an SSE event that is not data: ${event.slice(0, 100)}`);
      continue;
    }
    const payload = event.slice("data: ".length);
    if (payload === "[DONE]") {
      data.push(payload);
      continue;
    }
    try {
      data.push(JSON.parse(payload));
    } catch {
      problems.push(`a chunk that is no JSON: ${payload.slice(0, 100)}`);
    }
  }
  if (data.at(-1) !== "[DONE]") problems.push("a stream not ending in [DONE]");
  if (data.indexOf("[DONE]") !== data.length - 1) problems.push("[DONE] before the stream's end");
  const chunks = data.filter((d): d is Record<string, any> => d !== "[DONE]");
  const last = chunks.at(-1);
  if (!last || (!last.usage && !last.error)) problems.push("a stream with no usage chunk or error chunk at its end");
  if (last?.usage) {
    if (typeof last.usage.cost !== "number") problems.push("a usage chunk with no cost");
    cost = last.usage.cost ?? 0;
  }
  if (c.path === "/chat/completions") {
    for (const chunk of chunks) {
      const parsed = ChatStreamChunk$inboundSchema.safeParse(chunk);
      if (!parsed.success) {
        problems.push(
          `the SDK refuses a chunk: ${JSON.stringify(parsed.error.issues).slice(0, 300)} ${JSON.stringify(chunk).slice(0, 300)}`,
        );
        break;
      }
    }
  }
  if (problems.length > 0) problems.push(`stream tail: ${text.slice(-400)}`);
  return { status, cost, problems };
}

/** Waits for the account's usage to reach what its replies said they cost (settlement lands after the reply). */
async function settledUsage(key: string, expected: number): Promise<number> {
  let usage = await totalUsage(key);
  for (let i = 0; i < 100 && Math.abs(usage - expected) > 1e-9; i++) {
    await sleep(30);
    usage = await totalUsage(key);
  }
  await sleep(50);
  return totalUsage(key);
}

describe("request fuzz's regressions", () => {
  it("a context refusal caused by max_tokens names max_tokens (it said the context was smaller than ~23 prompt tokens)", async () => {
    const { key } = await fundedAccount("5");
    for (const field of ["max_tokens", "max_completion_tokens"]) {
      const response = await gatewayFetch(`${BASE}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "x-ai/grok-3-mini",
          messages: [{ role: "user", content: "hi" }],
          [field]: Number.MAX_SAFE_INTEGER,
        }),
      });
      const { error } = (await response.json()) as { error: { code: number; message: string } };
      expect(response.status).toBe(400);
      expect(error.code).toBe(400);
      expect(error.message).toMatch(
        new RegExp(
          `context length 131072 is smaller than the request \\(~\\d+ prompt tokens \\+ \\d+ output tokens \\(${field}\\)\\)`,
        ),
      );
    }
    expect(await totalUsage(key)).toBe(0);
  });
});

describe("request fuzz's regressions (tool call ids)", () => {
  it("an empty tool call id reaches Anthropic and Bedrock as a valid id (Bedrock refused the turn: a 400)", async () => {
    const { key } = await fundedAccount("5");
    for (const provider of ["amazon-bedrock", "anthropic"]) {
      const marker = nonce();
      const response = await chat(key, {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: [provider] },
        messages: [
          { role: "user", content: `weather? [[emulate tokens=2]] ${marker}` },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "", type: "function", function: { name: "get_weather", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "", content: "3C" },
        ],
        tools: [WEATHER_TOOL],
      });
      expect(response.status, `${provider}: ${await response.clone().text()}`).toBe(200);
      const call = await finishedCall(marker);
      const ids = JSON.stringify(call?.body).match(/"(toolUseId|id|tool_use_id)":"[^"]*"/g) ?? [];
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(id, provider).not.toMatch(/:""$/);
    }
  });
});

describe("request fuzz's regressions (max_price)", () => {
  it("a max_price of 1e21 USD or more is a limit every price is under (toFixed wrote 1e+21: a 500)", async () => {
    const { key } = await fundedAccount("5");
    for (const max_price of [{ prompt: 1e21 }, { completion: 1e308 }, { request: 1e300, image: 5e21 }]) {
      const response = await chat(key, {
        model: "google/gemini-2.5-flash-lite",
        provider: { max_price },
        messages: [{ role: "user", content: `hi [[emulate tokens=2]] ${nonce()}` }],
      });
      expect(response.status, `${JSON.stringify(max_price)}: ${await response.clone().text()}`).toBe(200);
      await response.text();
    }
  });
});

describe("request fuzz's regressions (data: URLs)", () => {
  it("a data: URL that is not base64 is a 400 naming the part, for every provider (Gemini took it for a file URI)", async () => {
    const { key } = await fundedAccount("1");
    const parts = [
      ["messages.0.content.1.image_url", { type: "image_url", image_url: { url: "data:," } }],
      ["messages.0.content.1.image_url", { type: "image_url", image_url: `data:image/png,${PIXEL}` }],
      [
        "messages.0.content.1.file.file_data",
        { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf,%25PDF" } },
      ],
    ] as const;
    for (const model of ["google/gemini-2.5-flash-lite", "anthropic/claude-haiku-4.5", "openai/gpt-4o-mini"]) {
      for (const [path, part] of parts) {
        const response = await chat(key, {
          model,
          messages: [{ role: "user", content: [{ type: "text", text: `what is this? ${nonce()}` }, part] }],
        });
        const body = (await response.json()) as { error?: { message?: string } };
        expect(response.status, `${model} ${JSON.stringify(part)}`).toBe(400);
        expect(body.error?.message).toContain(path);
        expect(body.error?.message).toContain("a data: URL must be base64");
      }
    }
    // The base64 form still goes through.
    const fine = await chat(key, {
      model: "google/gemini-2.5-flash-lite",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `what is this? ${nonce()}` },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PIXEL}` } },
          ],
        },
      ],
    });
    expect(fine.status).toBe(200);
    await fine.text();
  });
});

describe(`request fuzz (seed ${SEED})`, () => {
  const cases = allCases();
  let accounts: Array<{ key: string }> = [];

  beforeAll(async () => {
    accounts = await Promise.all(Array.from({ length: WORKERS }, () => fundedAccount("50")));
  });

  it(`${cases.length} cases: no 5xx, OpenRouter's error shape, SDK-valid replies and streams, refusals free, no leaked credentials`, async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const accepted = new Map<number, number>();
    await Promise.all(
      accounts.map(async ({ key }, worker) => {
        let charged = 0;
        for (let i = worker; i < cases.length; i += WORKERS) {
          const c = cases[i] as Case;
          let outcome: Outcome;
          try {
            outcome = await run(key, c);
          } catch (error) {
            outcome = { status: 0, cost: 0, problems: [`threw: ${String(error)}`] };
          }
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          if (outcome.status === 200 && c.badFields.length === 0) accepted.set(worker, (accepted.get(worker) ?? 0) + 1);
          charged += outcome.cost;
          if (DEBUG && outcome.status >= 400 && c.badFields.length === 0) {
            console.info(`${c.label} => ${outcome.status} ${outcome.message ?? ""}`);
          }
          if (outcome.problems.length > 0) {
            failures.push(
              `[seed ${SEED}] ${c.label}\n  body: ${c.body.slice(0, 600)}\n  ${outcome.problems.join("\n  ")}`,
            );
          }
        }
        // What the replies said they cost is what the account was charged: a refusal cost nothing.
        const usage = await settledUsage(key, charged);
        if (Math.abs(usage - charged) > 1e-8) {
          failures.push(
            `[seed ${SEED}] worker ${worker}: the account's usage is ${usage}, its replies cost ${charged}`,
          );
        }
      }),
    );
    const summary = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(" ");
    console.info(`request fuzz, seed ${SEED}: ${cases.length} cases, statuses ${summary}`);
    expect(failures, `seed ${SEED}: ${failures.length} failing cases`).toEqual([]);
    // The fuzz is only worth its time if most valid bodies get answers.
    expect([...accepted.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(cases.length / 4);
  }, 120_000);
});

import { GenerationResponse$inboundSchema } from "@openrouter/sdk/models";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  recordedGeneration,
  sleep,
  totalUsage,
} from "./support/gateway";

/** `POST /audio/speech` through the real gateway and the OpenAI emulator. */
const MODEL = "openai/gpt-4o-mini-tts-2025-12-15";
/** OpenRouter's price for GPT-4o Mini TTS: $0.60 per million characters of input. */
const CHARACTER_USD = 0.6e-6;

let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

function speak(body: Record<string, unknown>, apiKey = key) {
  return gatewayFetch(`${BASE}/audio/speech`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));

describe("POST /audio/speech", () => {
  it("the OpenRouter SDK gets the audio's bytes; OpenAI is sent its own model id, the voice and the format", async () => {
    const marker = nonce();
    const stream = await openRouterClient(key).tts.createSpeech({
      speechRequest: { model: MODEL, input: `Hello there ${marker}`, voice: "nova", speed: 1.5, responseFormat: "mp3" },
    });
    const audio = await bytesOf(stream);
    expect(ascii(audio, 0, 3)).toBe("ID3");
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.path).toMatch(/\/audio\/speech$/);
    expect(upstream?.body).toEqual({
      model: "gpt-4o-mini-tts-2025-12-15",
      input: `Hello there ${marker}`,
      voice: "nova",
      response_format: "mp3",
      speed: 1.5,
    });
  });

  it("answers PCM when no format is named (OpenRouter's default), in OpenAI's default voice", async () => {
    const marker = nonce();
    const response = await speak({ model: MODEL, input: `Default ${marker}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/pcm");
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.body).toMatchObject({ response_format: "pcm", voice: "alloy" });
  });

  it("answers each format in its own container with its media type", async () => {
    const expected: Array<[string, string, (bytes: Uint8Array) => boolean]> = [
      ["wav", "audio/wav", (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WAVE"],
      ["flac", "audio/flac", (b) => ascii(b, 0, 4) === "fLaC"],
      ["opus", "audio/ogg", (b) => ascii(b, 0, 4) === "OggS"],
      ["aac", "audio/aac", (b) => b[0] === 0xff && ((b[1] ?? 0) & 0xf0) === 0xf0],
      ["pcm", "audio/pcm", (b) => b.length > 0 && b.length % 2 === 0],
    ];
    for (const [format, type, check] of expected) {
      const response = await speak({
        model: MODEL,
        input: "Testing formats.",
        voice: "alloy",
        response_format: format,
      });
      expect(response.status, format).toBe(200);
      expect(response.headers.get("content-type"), format).toBe(type);
      expect(check(new Uint8Array(await response.arrayBuffer())), format).toBe(true);
    }
  });

  it("charges exactly the input's characters at the per-character price, once, recorded with api_type tts", async () => {
    const { key: own } = await fundedAccount("1");
    // Characters as OpenAI counts them: the emoji is one, not its two UTF-16 units.
    const input = `Good morning 🌅 ${nonce()}`;
    const characters = [...input].length;
    const response = await speak({ model: MODEL, input }, own);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const id = response.headers.get("x-generation-id") ?? "";
    const record = GenerationResponse$inboundSchema.parse({ data: await recordedGeneration(own, id) }).data;
    expect(record).toMatchObject({ apiType: "tts", model: MODEL, providerName: "OpenAI", tokensPrompt: characters });
    expect(record.totalCost).toBeCloseTo(characters * CHARACTER_USD, 12);
    await sleep(100);
    expect(await totalUsage(own)).toBe(record.totalCost);
  });

  it("refuses bad input with a 400 that names the field, calling no provider", async () => {
    const marker = nonce();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: MODEL }, /input/],
      [{ model: MODEL, input: "" }, /input must not be empty/],
      [{ model: MODEL, input: marker, response_format: "ogg" }, /response_format must be one of/],
      [{ model: MODEL, input: marker, speed: 10 }, /speed/],
      [
        { model: MODEL, input: marker, input_references: [{ type: "text", text: "x" }] },
        /input_references.*not supported/,
      ],
      [{ model: "openai/gpt-4o-mini", input: marker }, /chat model: use \/chat\/completions/],
      [{ model: "openai/gpt-4o-transcribe", input: marker }, /transcription model/],
    ];
    for (const [body, message] of cases) {
      const response = await speak(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = ((await response.json()) as any).error;
      expect(error.code).toBe(400);
      expect(error.message, JSON.stringify(body)).toMatch(message);
    }
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("a provider failure is OpenRouter's error shape, and nothing is charged", async () => {
    const { key: own } = await fundedAccount("1");
    const response = await speak({ model: MODEL, input: `[[emulate status=400]] ${nonce()}` }, own);
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe(400);
    await sleep(100);
    expect(await totalUsage(own)).toBe(0);
  });
});

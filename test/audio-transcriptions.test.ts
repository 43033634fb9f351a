import { GenerationResponse$inboundSchema } from "@openrouter/sdk/models";
import { beforeAll, describe, expect, it } from "vitest";
import { audioTokensOf } from "./emulator/audio";
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

/** `POST /audio/transcriptions` through the real gateway and the OpenAI emulator. */
const MODEL = "openai/gpt-4o-transcribe";
/** OpenRouter's prices for GPT-4o Transcribe: $2.50 per million input tokens, $10 per million output. */
const INPUT_USD = 2.5e-6;
const OUTPUT_USD = 10e-6;
/** The hold: 14,000 input tokens (16,000 context less 2,000 output) and 2,000 output tokens. */
const HOLD_USD = 14_000 * INPUT_USD + 2_000 * OUTPUT_USD;

let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

/**
 * "Audio" whose bytes carry `words` between binary runs: the emulator hears the printable text in
 * an upload, so the transcript is `words`.
 */
function audioSaying(words: string, padding = 300): string {
  const bytes = new Uint8Array(padding * 2 + words.length);
  for (let i = 0; i < padding; i++) bytes[i] = bytes[bytes.length - 1 - i] = i % 31;
  bytes.set(new TextEncoder().encode(words), padding);
  return btoa(String.fromCharCode(...bytes));
}

const byteLength = (base64: string) => atob(base64).length;

function transcribe(body: Record<string, unknown>, apiKey = key) {
  return gatewayFetch(`${BASE}/audio/transcriptions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("POST /audio/transcriptions", () => {
  it("the OpenRouter SDK transcribes through the gateway: OpenAI gets a multipart upload, the reply has usage and cost", async () => {
    const marker = nonce();
    const data = audioSaying(`the quick brown fox ${marker}`);
    const reply = await openRouterClient(key).stt.createTranscription({
      sttRequest: { model: MODEL, inputAudio: { data, format: "wav" }, language: "en", temperature: 0.2 },
    });
    expect(reply.text).toBe(`the quick brown fox ${marker}`);
    const usage = reply.usage;
    expect(usage?.inputTokens).toBe(audioTokensOf(byteLength(data)));
    expect(usage?.outputTokens).toBeGreaterThan(0);
    expect(usage?.totalTokens).toBe((usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0));
    expect(usage?.cost).toBeCloseTo(
      (usage?.inputTokens ?? 0) * INPUT_USD + (usage?.outputTokens ?? 0) * OUTPUT_USD,
      12,
    );
    // OpenAI's own request: a form with the audio as a typed, named file and the model's own id.
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.path).toMatch(/\/audio\/transcriptions$/);
    expect(upstream?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(upstream?.body).toMatchObject({
      model: "gpt-4o-transcribe",
      response_format: "json",
      language: "en",
      temperature: "0.2",
      file: { name: "audio.wav", type: "audio/wav", size: byteLength(data) },
    });
  });

  it("charges exactly once what usage.cost says, and /generation reports api_type stt", async () => {
    const { key: own } = await fundedAccount("1");
    const response = await transcribe(
      { model: MODEL, input_audio: { data: audioSaying(`hello ${nonce()}`), format: "mp3" } },
      own,
    );
    expect(response.status).toBe(200);
    const id = response.headers.get("x-generation-id");
    expect(id).toMatch(/^gen-/);
    const body = (await response.json()) as any;
    const record = GenerationResponse$inboundSchema.parse({ data: await recordedGeneration(own, id ?? "") }).data;
    expect(record).toMatchObject({
      apiType: "stt",
      model: MODEL,
      providerName: "OpenAI",
      streamed: false,
      tokensPrompt: body.usage.input_tokens,
      tokensCompletion: body.usage.output_tokens,
    });
    expect(record.totalCost).toBe(body.usage.cost);
    await sleep(100);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("holds the model's worst case first: an account with less is refused with a 402, no provider called", async () => {
    const { key: poor } = await fundedAccount((HOLD_USD / 2).toFixed(6));
    const marker = nonce();
    const response = await transcribe(
      { model: MODEL, input_audio: { data: audioSaying(marker), format: "wav" } },
      poor,
    );
    expect(response.status).toBe(402);
    expect(await emulatorRequests(marker)).toEqual([]);
    const { key: enough } = await fundedAccount((HOLD_USD * 1.01).toFixed(6));
    const answered = await transcribe(
      { model: MODEL, input_audio: { data: audioSaying(marker), format: "wav" } },
      enough,
    );
    expect(answered.status).toBe(200);
  });

  it("the mini model is priced at its own rates", async () => {
    const response = await transcribe({
      model: "openai/gpt-4o-mini-transcribe",
      input_audio: { data: audioSaying(`mini ${nonce()}`), format: "webm" },
    });
    const body = (await response.json()) as any;
    expect(response.status).toBe(200);
    expect(body.usage.cost).toBeCloseTo(body.usage.input_tokens * 1.25e-6 + body.usage.output_tokens * 5e-6, 12);
  });

  it("refuses bad input with a 400 that names the field, in OpenRouter's error shape", async () => {
    const audio = { data: audioSaying("x"), format: "wav" };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: MODEL }, /input_audio/],
      [{ model: MODEL, input_audio: { format: "wav" } }, /input_audio\.data/],
      [{ model: MODEL, input_audio: { data: "", format: "wav" } }, /input_audio\.data.*empty/],
      [{ model: MODEL, input_audio: { data: "not base64!", format: "wav" } }, /input_audio\.data.*not base64/],
      [{ model: MODEL, input_audio: { data: audio.data, format: "aiff" } }, /input_audio\.format must be one of/],
      [{ model: MODEL, input_audio: audio, temperature: 3 }, /temperature/],
      [{ model: MODEL, input_audio: audio, response_format: "srt" }, /response_format/],
      [{ input_audio: audio }, /model/],
      [{ model: "openai/gpt-4o-mini", input_audio: audio }, /chat model: use \/chat\/completions/],
      [{ model: "openai/text-embedding-3-small", input_audio: audio }, /embedding model/],
      // The GPT-4o transcribers answer json only (OpenAI's rule): verbose_json is refused by name.
      [{ model: MODEL, input_audio: audio, response_format: "verbose_json" }, /response_format "verbose_json".*json/],
    ];
    for (const [body, message] of cases) {
      const response = await transcribe(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = ((await response.json()) as any).error;
      expect(error.code).toBe(400);
      expect(error.message, JSON.stringify(body)).toMatch(message);
    }
    const chat = await gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(400);
    expect(((await chat.json()) as any).error.message).toMatch(/transcription model: use \/audio\/transcriptions/);
  });

  it("sends the whole upload again when OpenAI answers 500 and the retry answers, charging only the answer", async () => {
    const { key: own } = await fundedAccount("1");
    const marker = nonce();
    // The emulator reads directives in the audio's text, as in a prompt: the first call fails.
    const data = audioSaying(`[[emulate status=500 times=1]] retried ${marker}`);
    const response = await transcribe({ model: MODEL, input_audio: { data, format: "ogg" } }, own);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-attempts")).toMatch(/status=500.*status=200/);
    const calls = await emulatorRequests(marker);
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call.body).toMatchObject({ file: { size: byteLength(data), type: "audio/ogg" } });
    const body = (await response.json()) as any;
    await recordedGeneration(own, response.headers.get("x-generation-id") ?? "");
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("takes line-wrapped base64 (the base64 tool's 76 columns) as the same audio", async () => {
    const marker = nonce();
    const data = audioSaying(`wrapped ${marker}`);
    const wrapped = data.replace(/.{76}/g, "$&\n");
    const response = await transcribe({ model: MODEL, input_audio: { data: wrapped, format: "WAV" } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).text).toBe(`wrapped ${marker}`);
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.body).toMatchObject({ file: { size: byteLength(data), name: "audio.wav" } });
  });

  it("lists the transcription models under output_modalities=transcription, not in the default list", async () => {
    const listed = async (query: string) =>
      ((await (await gatewayFetch(`${BASE}/models${query}`)).json()) as any).data.map((m: { id: string }) => m.id);
    const transcription = await listed("?output_modalities=transcription");
    expect(transcription).toEqual(expect.arrayContaining([MODEL, "openai/gpt-4o-mini-transcribe"]));
    expect(await listed("")).not.toContain(MODEL);
  });
});

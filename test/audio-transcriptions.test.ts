import { GenerationResponse$inboundSchema } from "@openrouter/sdk/models";
import OpenAI, { toFile } from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../src/schema/body";
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

const bytesOf = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

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

/**
 * OpenAI's own SDK (`openai`, installed) pointed at the gateway: `audio.transcriptions.create`
 * sends a multipart form with the audio as its `file` part.
 */
describe("POST /audio/transcriptions as OpenAI's multipart upload", () => {
  const openai = (apiKey = key) =>
    new OpenAI({ apiKey, baseURL: BASE, fetch: (u, i) => gatewayFetch(u, i), maxRetries: 0 });

  /** A form as the SDK writes it, sent as is (a Blob part is a file; a string part is a field). */
  function upload(parts: Record<string, string | Blob | [Blob, string]>, apiKey = key) {
    const form = new FormData();
    for (const [name, value] of Object.entries(parts)) {
      if (Array.isArray(value)) form.append(name, value[0], value[1]);
      else form.append(name, value);
    }
    return gatewayFetch(`${BASE}/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}` },
      body: form,
    });
  }

  it("OpenAI's SDK uploads a file and gets the transcript with usage and cost, recorded and charged as the JSON form is", async () => {
    const { key: own } = await fundedAccount("1");
    const marker = nonce();
    const data = audioSaying(`uploaded by the openai sdk ${marker}`);
    const { data: reply, response } = await openai(own)
      .audio.transcriptions.create({
        file: await toFile(bytesOf(data), "meeting.wav"),
        model: MODEL,
        language: "en",
        prompt: "A meeting about foxes.",
        temperature: 0.2,
      })
      .withResponse();
    expect(reply.text).toBe(`uploaded by the openai sdk ${marker}`);
    const usage = reply.usage as unknown as {
      cost: number;
      input_tokens: number;
      output_tokens: number;
      total_tokens: number;
    };
    expect(usage.input_tokens).toBe(audioTokensOf(byteLength(data)));
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(usage.cost).toBeCloseTo(usage.input_tokens * INPUT_USD + usage.output_tokens * OUTPUT_USD, 12);
    // OpenAI is sent the same upload it would have had from the JSON form, the prompt with it.
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.body).toMatchObject({
      model: "gpt-4o-transcribe",
      response_format: "json",
      language: "en",
      prompt: "A meeting about foxes.",
      temperature: "0.2",
      file: { name: "audio.wav", type: "audio/wav", size: byteLength(data) },
    });
    const id = response.headers.get("x-generation-id") ?? "";
    const record = GenerationResponse$inboundSchema.parse({ data: await recordedGeneration(own, id) }).data;
    expect(record).toMatchObject({
      apiType: "stt",
      model: MODEL,
      tokensPrompt: usage.input_tokens,
      tokensCompletion: usage.output_tokens,
    });
    expect(record.totalCost).toBe(usage.cost);
    await sleep(100);
    expect(await totalUsage(own)).toBe(usage.cost);
  });

  it("answers response_format text with the transcript alone, and refuses the formats no model here answers", async () => {
    const marker = nonce();
    const file = await toFile(bytesOf(audioSaying(`plain ${marker}`)), "note.mp3");
    const text = await openai().audio.transcriptions.create({ file, model: MODEL, response_format: "text" });
    expect(text).toBe(`plain ${marker}`);
    const [upstream] = await emulatorRequests(marker);
    // Asked of OpenAI as json (the GPT-4o transcribers answer nothing else) and cut to the text here.
    expect(upstream?.body).toMatchObject({ response_format: "json", file: { name: "audio.mp3", type: "audio/mpeg" } });

    const refused = async (format: "srt" | "vtt" | "verbose_json") =>
      openai()
        .audio.transcriptions.create({ file, model: MODEL, response_format: format })
        .catch((error: unknown) => error);
    for (const format of ["srt", "vtt"] as const) {
      const error = await refused(format);
      expect(error, format).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(
        /response_format must be one of json, text, verbose_json/,
      );
    }
    const verbose = await refused("verbose_json");
    expect(verbose).toBeInstanceOf(OpenAI.BadRequestError);
    expect((verbose as Error).message).toMatch(/response_format "verbose_json".*json/);
  });

  it("tells the format by the part's media type when the file has no known extension", async () => {
    const marker = nonce();
    const audio = new Blob([bytesOf(audioSaying(`typed ${marker}`))], { type: "audio/ogg" });
    const response = await upload({ model: MODEL, file: [audio, "recording"] });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).text).toBe(`typed ${marker}`);
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.body).toMatchObject({ file: { name: "audio.ogg", type: "audio/ogg" } });
  });

  it("refuses a bad upload with a 400 that names the problem, no provider called", async () => {
    const marker = nonce();
    const audio = new Blob([bytesOf(audioSaying(marker))], { type: "audio/wav" });
    const cases: Array<[Record<string, string | Blob | [Blob, string]>, RegExp]> = [
      [{ model: MODEL }, /file: missing/],
      [{ model: MODEL, file: "UklGRiQA" }, /file: must be a file upload/],
      [{ model: MODEL, file: [new Blob([]), "empty.wav"] }, /file: the uploaded file is empty/],
      [
        { model: MODEL, file: [new Blob([bytesOf(audioSaying(marker))]), "voice.aiff"] },
        /file: cannot tell the audio's format from its name "voice.aiff".*flac, m4a/,
      ],
      [{ file: [audio, "a.wav"] }, /model/],
      [{ model: "openai/no-such-model", file: [audio, "a.wav"] }, /no-such-model/],
      [{ model: "openai/gpt-4o-mini", file: [audio, "a.wav"] }, /chat model: use \/chat\/completions/],
      [{ model: MODEL, file: [audio, "a.wav"], temperature: "hot" }, /temperature/],
      [{ model: MODEL, file: [audio, "a.wav"], temperature: "3" }, /temperature: between 0 and 1/],
      [{ model: MODEL, file: [audio, "a.wav"], language: "English" }, /language/],
      [{ model: MODEL, file: [audio, "a.wav"], stream: "true" }, /stream: streamed transcription is not supported/],
      // A field named __proto__ is a field (the loose schema ignores it), not the request's prototype.
      [{ model: MODEL, file: [audio, "a.wav"], "__proto__[]": "x", temperature: "2" }, /temperature: between 0 and 1/],
    ];
    for (const [parts, message] of cases) {
      const response = await upload(parts);
      const label = JSON.stringify(Object.keys(parts));
      expect(response.status, label).toBe(400);
      const error = ((await response.json()) as any).error;
      expect(error.code).toBe(400);
      expect(error.message, label).toMatch(message);
    }
    // A multipart content-type over a body that is no form, or with no boundary to read it by.
    for (const contentType of ["multipart/form-data; boundary=xyz", "multipart/form-data"]) {
      const garbled = await gatewayFetch(`${BASE}/audio/transcriptions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": contentType },
        body: "not a form at all",
      });
      expect(garbled.status, contentType).toBe(400);
      expect(((await garbled.json()) as any).error.message).toMatch(/valid multipart\/form-data/);
    }
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("reads the upload within the body limit: past it a 413, whether its length is declared or not", async () => {
    const marker = nonce();
    const big = new Uint8Array(MAX_BODY_BYTES + 1);
    big.set(new TextEncoder().encode(`too big ${marker}`), 1000);
    const form = new FormData();
    form.append("model", MODEL);
    form.append("file", new Blob([big], { type: "audio/wav" }), "big.wav");
    const declared = await gatewayFetch(`${BASE}/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).error.message).toMatch(/exceeds/);
    // The same form as a stream with no length (chunked): counted as it is read.
    const serialized = new Response(form);
    const chunked = await gatewayFetch(`${BASE}/audio/transcriptions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": serialized.headers.get("content-type") ?? "",
      },
      body: serialized.body,
    });
    expect(chunked.status).toBe(413);
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("reads a chunked upload (no content-length) whole, as it arrives", async () => {
    const marker = nonce();
    const form = new FormData();
    form.append("model", MODEL);
    form.append("file", new Blob([bytesOf(audioSaying(`chunked ${marker}`, 40_000))]), "long.webm");
    const serialized = new Response(form);
    const response = await gatewayFetch(`${BASE}/audio/transcriptions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": serialized.headers.get("content-type") ?? "",
      },
      body: serialized.body,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).text).toBe(`chunked ${marker}`);
  });
});

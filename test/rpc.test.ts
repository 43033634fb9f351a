import { env } from "cloudflare:test";
import {
  ChatResult$inboundSchema,
  ModelsListResponse$inboundSchema,
  OpenResponsesResult$inboundSchema,
  StreamEvents$inboundSchema,
} from "@openrouter/sdk/models";
import {
  CreateKeysResponse$inboundSchema,
  GetKeyData$inboundSchema,
  ListResponse$inboundSchema,
} from "@openrouter/sdk/models/operations";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { RpcChatRequest, RpcResponsesRequest, RpcTranscriptionRequest, TollgateRpc } from "../src/rpc";
import type { ErrorBody } from "../src/schema/errors";
import { settled } from "./billing-support";
import { admin, chat, finishedCall, fundedAccount, nonce, readSse, readThenCancel } from "./support/gateway";

/**
 * Tollgate called from another Worker (examples/consumer) through a real service binding to the
 * `TollgateRpc` entrypoint. The consumer gets its key per request here (as a header) so each test
 * can use a fresh funded account; in production it is the TOLLGATE_KEY secret.
 */
const consumer = () => (env as unknown as { CONSUMER: Fetcher }).CONSUMER;

/** The entrypoint itself, typed as a TypeScript consumer binds it (`Service<TollgateRpc>`). */
const rpc = () => (env as unknown as { TOLLGATE_RPC: Service<TollgateRpc> }).TOLLGATE_RPC;

async function callConsumer(path: string, key: string) {
  return consumer().fetch(`http://consumer${path}`, { headers: { "x-tollgate-key": key } });
}

/** Polls the consumer until `done` holds: settlement (and with it usage and stats) runs after the reply. */
async function settledRead(path: string, key: string, done: (response: Response, body: any) => boolean) {
  for (let i = 0; i < 150; i++) {
    const response = await callConsumer(path, key);
    const body = await response.json();
    if (done(response, body)) return body as any;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} never settled`);
}

/** The OpenRouter error body a refused RPC call's Error carries (README: "A refusal throws"). */
async function rpcErrorBody(call: Promise<unknown>): Promise<ErrorBody["error"]> {
  const thrown: unknown = await call.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(thrown instanceof Error)) throw new Error(`the call was not refused with an Error: ${String(thrown)}`);
  expect(thrown.message.startsWith("TollgateRpcError: {")).toBe(true);
  return (JSON.parse(thrown.message.slice("TollgateRpcError: ".length)) as ErrorBody).error;
}

describe("service binding (RPC)", () => {
  it("answers a chat completion over RPC, charged to the key", async () => {
    const { key } = await fundedAccount("1");
    const response = await callConsumer(`/ask?q=${nonce()}`, key);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.id).toMatch(/^gen-/);
    expect(body.usage.cost).toBeGreaterThan(0);
  });

  it("streams a ReadableStream over RPC", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(await callConsumer(`/ask?stream=1&q=${nonce()}`, key));
    expect(data.at(-1)).toBe("[DONE]");
    expect((data.at(-2) as any).usage.cost).toBeGreaterThan(0);
  });

  it("a consumer that cancels an RPC stream mid-way cancels the upstream call and is charged for what was streamed", async () => {
    const { accountId, key } = await fundedAccount("1");
    const marker = nonce();
    const q = encodeURIComponent(`A long story [[emulate tokens=400 chunk_delay_ms=20]] ${marker}`);
    const id = await readThenCancel((await callConsumer(`/ask?stream=1&q=${q}`, key)).body!, 5);

    // The cancel crossed both Workers: Tollgate's upstream call was cut, not read to its end.
    expect((await finishedCall(marker))?.outcome).toBe("client_closed");
    const books = await settled(accountId);
    const stats = await rpc().generation(key, id);
    expect(stats.cancelled).toBe(true);
    expect(stats.tokens_completion).toBeGreaterThan(0);
    expect(stats.tokens_completion).toBeLessThan(400);
    expect(books.totals.usageNanos).toBe(Math.round(stats.total_cost * 1e9));
    expect(books.generationCostSum).toBe(books.totals.usageNanos);
    expect(books.totals.reservedNanos).toBe(0);
  });

  it("answers a legacy text completion, plain and streamed", async () => {
    const { key } = await fundedAccount("1");
    const body = (await (await callConsumer(`/complete?q=${nonce()}`, key)).json()) as any;
    expect(body.object).toBe("text_completion");
    expect(body.choices[0].text.length).toBeGreaterThan(0);
    const { data } = await readSse(await callConsumer(`/complete?stream=1&q=${nonce()}`, key));
    expect(data.at(-1)).toBe("[DONE]");
    expect((data[0] as any).object).toBe("text_completion");
  });

  it("answers OpenAI's Responses API over RPC: a typed Response object, or its events as a stream; charged to the key", async () => {
    const { accountId, key } = await fundedAccount("1");
    const request = { model: "openai/gpt-4o-mini", instructions: "Be brief.", input: nonce() };
    const response = await rpc().responses(key, request);
    // Compile-time: the reply's type comes through the binding (typecheck fails otherwise).
    expectTypeOf(response.object).toEqualTypeOf<"response">();
    expectTypeOf(response.created_at).toEqualTypeOf<number>();
    const item = response.output[0];
    const text = item?.type === "message" && item.content[0]?.type === "output_text" ? item.content[0].text : "";
    expect(text.length).toBeGreaterThan(0);
    expect(response).toMatchObject({ object: "response", status: "completed", instructions: "Be brief." });
    expect(response.id).toMatch(/^gen-/);
    expect(response.usage?.cost).toBeGreaterThan(0);
    expect(() => OpenResponsesResult$inboundSchema.parse(response)).not.toThrow();

    const stream = await rpc().responsesStream(key, request);
    const frames = (await new Response(stream).text()).split("\n\n").filter((frame) => frame.startsWith("event: "));
    const events = frames.map((frame) => JSON.parse(frame.split("\n")[1]!.slice("data: ".length)));
    for (const event of events) expect(() => StreamEvents$inboundSchema.parse(event)).not.toThrow();
    expect(events[0].type).toBe("response.created");
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const completed = events.at(-1);
    expect(completed.type).toBe("response.completed");
    expect(completed.response.usage.cost).toBeGreaterThan(0);

    const books = await settled(accountId);
    for (const id of [response.id, completed.response.id]) {
      expect((await rpc().generation(key, id)).total_cost).toBeGreaterThan(0);
    }
    expect(books.generationCostSum).toBe(books.totals.usageNanos);
    // A refusal throws as the other methods' do, with the HTTP API's body.
    const { key: broke } = await fundedAccount("0");
    expect((await rpcErrorBody(rpc().responses(broke, request))).code).toBe(402);
    // And from the example consumer.
    const viaConsumer = (await (await callConsumer(`/respond?q=${nonce()}`, key)).json()) as any;
    expect(viaConsumer).toMatchObject({ object: "response", status: "completed" });
    const streamedText = await (await callConsumer(`/respond?stream=1&q=${nonce()}`, key)).text();
    expect(streamedText).toContain("event: response.completed");
    expect(
      (await rpcErrorBody(rpc().responsesStream(key, { ...request, store: true } as unknown as RpcResponsesRequest)))
        .code,
    ).toBe(400);
  });

  it("answers Anthropic's Messages API over RPC: a typed Message, or its events as a stream; refusals in OpenRouter's body", async () => {
    const { accountId, key } = await fundedAccount("1");
    const request = {
      model: "openai/gpt-4o-mini",
      max_tokens: 50,
      system: "Be brief.",
      messages: [{ role: "user" as const, content: nonce() }],
    };
    const message = await rpc().messages(key, request);
    // Compile-time: the reply's type comes through the binding (typecheck fails otherwise).
    expectTypeOf(message.type).toEqualTypeOf<"message">();
    expect(message).toMatchObject({ type: "message", role: "assistant", stop_reason: "end_turn" });
    expect(message.content[0]?.type).toBe("text");
    expect(message.usage.cost).toBeGreaterThan(0);

    const stream = await rpc().messagesStream(key, request);
    const frames = (await new Response(stream).text()).split("\n\n").filter((frame) => frame.startsWith("event: "));
    expect(frames[0]).toMatch(/^event: message_start\n/);
    expect(frames.at(-1)).toMatch(/^event: message_stop\n/);

    const books = await settled(accountId);
    expect((await rpc().generation(key, message.id)).total_cost).toBe(message.usage.cost);
    expect(books.generationCostSum).toBe(books.totals.usageNanos);
    const { key: broke } = await fundedAccount("0");
    const refused = await rpcErrorBody(rpc().messages(broke, request));
    expect(refused).toMatchObject({ code: 402, metadata: { error_type: "billing_error" } });
    expect((await rpcErrorBody(rpc().messages(key, { ...request, max_tokens: 0 }))).message).toContain("max_tokens");
  });

  it("embeds text, charged to the key like the HTTP API", async () => {
    const { key } = await fundedAccount("1");
    const body = (await (await callConsumer(`/embed?q=${nonce()}`, key)).json()) as any;
    expect(body.data[0].object).toBe("embedding");
    expect(body.data[0].embedding.length).toBeGreaterThan(0);
    expect(body.usage.cost).toBeGreaterThan(0);
    const credits = await settledRead("/credits", key, (_, data) => data.total_usage > 0);
    expect(credits).toEqual({ total_credits: 1, total_usage: body.usage.cost });
  });

  it("reads a generation's stats, and refuses a bad embeddings request with OpenRouter's 400", async () => {
    const { key } = await fundedAccount("1");
    const completion = (await (await callConsumer(`/ask?q=${nonce()}`, key)).json()) as any;
    const stats = await settledRead(`/generation?id=${completion.id}`, key, (response) => response.ok);
    expect(stats).toMatchObject({ id: completion.id, model: "openai/gpt-4o-mini", total_cost: completion.usage.cost });
    const missing = await callConsumer("/generation?id=gen-0-nothing", key);
    expect(missing.status).toBe(404);
    const bad = await callConsumer("/embed", key); // no text: the example sends an empty input
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain("input");
  });

  it("lists models and key info", async () => {
    const { key } = await fundedAccount("1");
    const models = (await (await callConsumer("/models", key)).json()) as any;
    expect(models.data.length).toBeGreaterThanOrEqual(25);
    const info = (await (await callConsumer("/key", key)).json()) as any;
    expect(info).toHaveProperty("limit_remaining");
  });

  it("refuses an unknown key with OpenRouter's error", async () => {
    const response = await callConsumer(`/ask?q=${nonce()}`, "sk-tg-v1-nope");
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe(401);
    // What the caller's catch receives: an Error (RPC keeps no custom class or field) whose message
    // is the class's name and then OpenRouter's error body, as README says.
    const thrown: unknown = await rpc()
      .keyInfo("sk-tg-v1-nope")
      .catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(Error);
    const message = (thrown as Error).message;
    expect(message.startsWith("TollgateRpcError: {")).toBe(true);
    expect(JSON.parse(message.slice("TollgateRpcError: ".length))).toEqual({
      error: { code: 401, message: expect.stringContaining("key") },
    });
  });

  it("a rate-limited call's error carries the retry-after the HTTP API sends as a header", async () => {
    const { key } = await fundedAccount("1", { rate_limit: { requests: 1, interval: "1m" } });
    const body = { model: "openai/gpt-4o-mini", messages: [{ role: "user" as const, content: nonce() }] };
    await rpc().chatCompletion(key, body);
    const thrown: unknown = await rpc()
      .chatCompletion(key, body)
      .catch((error: unknown) => error);
    const message = (thrown as Error).message;
    const error = JSON.parse(message.slice(message.indexOf("{"))).error;
    expect(error.code).toBe(429);
    expect(error.metadata.retry_after).toBeGreaterThan(0);
    expect(error.metadata.retry_after).toBeLessThanOrEqual(60);
    expect(error.metadata.rate_limit).toEqual({ requests: 1, interval: "1m" });
  });

  it("refuses a key no header can carry with OpenRouter's 401, as HTTP does, not a TypeError", async () => {
    for (const badKey of ["sk-tg-v1-\nabc", "sk-tg-v1-\u0000abc"]) {
      const thrown: unknown = await rpc()
        .credits(badKey)
        .catch((error: unknown) => error);
      expect(thrown).toBeInstanceOf(Error);
      const message = (thrown as Error).message;
      expect(message.startsWith("TollgateRpcError: {")).toBe(true);
      expect(JSON.parse(message.slice("TollgateRpcError: ".length)).error.code).toBe(401);
    }
  });

  it("refuses a request JSON cannot carry (a BigInt, a cycle) with OpenRouter's 400, not a TypeError", async () => {
    const { key } = await fundedAccount("1");
    const cyclic: Record<string, unknown> = { model: "openai/gpt-4o-mini", messages: [] };
    cyclic.self = cyclic;
    const bigint = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }], max_tokens: 10n };
    for (const request of [cyclic, bigint]) {
      const error = await rpcErrorBody(rpc().chatCompletion(key, request as unknown as RpcChatRequest));
      expect(error.code).toBe(400);
      expect(error.message).toMatch(/^Request body must be valid JSON/);
    }
    // An untyped caller's `null` options are no options, as `undefined` are.
    const { accountId } = await fundedAccount("1");
    const { key: provisioning } = await admin<{ key: string }>(`/accounts/${accountId}/keys`, {
      name: "ops",
      provisioning: true,
    });
    expect(await rpc().listKeys(provisioning, null as unknown as undefined)).toHaveLength(1);
  });

  it("a refusal carries the body the HTTP API answers the same request with: 402, an unknown model, a provider's failure", async () => {
    const { key: broke } = await fundedAccount("0");
    const { key } = await fundedAccount("1");
    const ask = (content: string, model = "openai/gpt-4o-mini") => ({
      model,
      messages: [{ role: "user" as const, content }],
    });
    const cases: Array<[string, RpcChatRequest, number]> = [
      [broke, ask(nonce()), 402],
      [key, ask(nonce(), "nope/no-such-model"), 400],
      [key, ask(`[[emulate status=500]] ${nonce()}`), 502],
    ];
    for (const [caller, request, status] of cases) {
      const overHttp = await chat(caller, request);
      expect(overHttp.status).toBe(status);
      const httpBody = (await overHttp.json()) as { error: object };
      const overRpc = await rpcErrorBody(rpc().chatCompletion(caller, request));
      expect(overRpc).toEqual(httpBody.error);
      expect(JSON.stringify(overRpc)).not.toContain(caller);
      const streamed = await rpcErrorBody(rpc().chatCompletionStream(caller, request));
      expect(streamed.code).toBe(status);
    }
  });

  it("attributes a call to the calling app, as HTTP-Referer and X-Title do over HTTP", async () => {
    const { accountId, key } = await fundedAccount("1");
    const app = { referer: "https://app.example", title: "Example App" };
    const request = { model: "openai/gpt-4o-mini", messages: [{ role: "user" as const, content: nonce() }] };
    const answer = await rpc().chatCompletion(key, request, app);
    const streamed = await readSse(new Response(await rpc().chatCompletionStream(key, request, app)));
    const streamedId = (streamed.data[0] as { id: string }).id;
    await settled(accountId);
    for (const id of [answer.id, streamedId]) {
      expect(await rpc().generation(key, id)).toMatchObject({ http_referer: app.referer, app_title: app.title });
    }
    const untitled = await rpc().chatCompletion(key, request);
    await settled(accountId);
    expect(await rpc().generation(key, untitled.id)).toMatchObject({ http_referer: null, app_title: null });
    // What no header can carry is the caller's mistake, said so, not a TypeError.
    const error = await rpcErrorBody(rpc().chatCompletion(key, request, { title: "line\nbreak" }));
    expect(error.code).toBe(400);
  });

  it("routerMetadata: true asks for the reply's openrouter_metadata, as X-OpenRouter-Metadata does over HTTP", async () => {
    const { key } = await fundedAccount("1");
    const request = { model: "openai/gpt-4o-mini", messages: [{ role: "user" as const, content: nonce() }] };
    const routed = await rpc().chatCompletion(key, request, { routerMetadata: true });
    expect(routed.openrouter_metadata).toMatchObject({ requested: "openai/gpt-4o-mini", attempt: 1 });
    const streamed = await readSse(
      new Response(await rpc().chatCompletionStream(key, request, { routerMetadata: true })),
    );
    expect((streamed.data.at(-2) as { openrouter_metadata?: unknown }).openrouter_metadata).toMatchObject({
      requested: "openai/gpt-4o-mini",
    });
    const plain = await rpc().chatCompletion(key, request);
    expect(plain.openrouter_metadata).toBeUndefined();
  });

  it("cache: true caches a reply as X-OpenRouter-Cache does: the second call is the stored answer, free", async () => {
    const { key } = await fundedAccount("1");
    const request = { model: "openai/gpt-4o-mini", messages: [{ role: "user" as const, content: `cache ${nonce()}` }] };
    const first = await rpc().chatCompletion(key, request, { cache: { ttlSeconds: 60 } });
    const second = await rpc().chatCompletion(key, request, { cache: true });
    expect(first.usage.cost).toBeGreaterThan(0);
    expect(second.choices[0]?.message.content).toBe(first.choices[0]?.message.content);
    expect(second.id).not.toBe(first.id);
    expect(second.usage.cost).toBe(0);
    const uncached = await rpc().chatCompletion(key, request);
    expect(uncached.usage.cost).toBeGreaterThan(0);
    const error = await rpcErrorBody(rpc().chatCompletion(key, request, { cache: { ttlSeconds: 0 } }));
    expect(error.code).toBe(400);
    expect(error.message).toContain("X-OpenRouter-Cache-TTL");
  });

  it("types its replies: a TypeScript caller reads them without casts, and OpenRouter's SDK parses them", async () => {
    const { key } = await fundedAccount("1");
    const completion = await rpc().chatCompletion(key, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: nonce() }],
    });
    // Compile-time: the binding's stub carries the reply's types through (typecheck fails otherwise).
    expectTypeOf(completion.usage.cost).toEqualTypeOf<number>();
    expectTypeOf(completion.object).toEqualTypeOf<"chat.completion">();
    const content: string | null | undefined = completion.choices[0]?.message.content;
    expect(content?.length).toBeGreaterThan(0);
    expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + completion.usage.completion_tokens);
    expect(() => ChatResult$inboundSchema.parse(completion)).not.toThrow();

    const text = await rpc().completion(key, { model: "openai/gpt-4o-mini", prompt: nonce() });
    expectTypeOf(text.choices[0]?.text).toEqualTypeOf<string | undefined>();
    expect(text.choices[0]?.text.length).toBeGreaterThan(0);

    const embedded = await rpc().embeddings(key, { model: "openai/text-embedding-3-small", input: nonce() });
    const vector = embedded.data[0]?.embedding;
    expect(Array.isArray(vector) && vector.every((x) => typeof x === "number")).toBe(true);

    const models = await rpc().listModels();
    expectTypeOf(models.data[0]?.pricing.prompt).toEqualTypeOf<string | undefined>();
    expect(() => ModelsListResponse$inboundSchema.parse(models)).not.toThrow();

    const info = await rpc().keyInfo(key);
    expectTypeOf(info.limit_remaining).toEqualTypeOf<number | null>();
    expect(info.limit_remaining).toBeNull(); // the key has no limit of its own
  });

  it("provisions keys with typed methods: create, list, read, update, delete, as /keys does", async () => {
    const { accountId, key } = await fundedAccount("5");
    const { key: provisioning } = await admin<{ key: string }>(`/accounts/${accountId}/keys`, {
      name: "ops",
      provisioning: true,
    });
    const created = await rpc().createKey(provisioning, { name: `tenant ${nonce()}`, limit: 1.5 });
    expectTypeOf(created.key).toEqualTypeOf<string>();
    expectTypeOf(created.data.limit).toEqualTypeOf<number | null>();
    expect(() => CreateKeysResponse$inboundSchema.parse(created)).not.toThrow();
    expect(created.data.limit).toBe(1.5);
    // The new key works at once, charged to the account.
    const answer = await rpc().chatCompletion(created.key, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: nonce() }],
    });
    expect(answer.usage.cost).toBeGreaterThan(0);

    const listed = await rpc().listKeys(provisioning);
    expect(() => ListResponse$inboundSchema.parse({ data: listed })).not.toThrow();
    expect(listed.map((k) => k.hash)).toContain(created.data.hash);
    expect((await rpc().listKeys(provisioning, { offset: 100 })).length).toBe(0);

    const updated = await rpc().updateKey(provisioning, created.data.hash, { limit: 3, disabled: true });
    expect(updated.limit).toBe(3);
    expect(updated.disabled).toBe(true);
    const read = await rpc().getKey(provisioning, created.data.hash);
    expect(() => GetKeyData$inboundSchema.parse(read)).not.toThrow();
    expect(read.disabled).toBe(true);
    expect((await rpc().listKeys(provisioning)).map((k) => k.hash)).not.toContain(created.data.hash);
    expect((await rpc().listKeys(provisioning, { includeDisabled: true })).map((k) => k.hash)).toContain(
      created.data.hash,
    );

    expect(await rpc().deleteKey(provisioning, created.data.hash)).toEqual({ deleted: true });
    const gone = await rpc()
      .getKey(provisioning, created.data.hash)
      .catch((error: unknown) => error);
    expect(JSON.parse((gone as Error).message.slice("TollgateRpcError: ".length)).error.code).toBe(404);
    // An inference key cannot provision: OpenRouter's 403, as over HTTP.
    const refused = await rpc()
      .createKey(key, { name: "nope" })
      .catch((error: unknown) => error);
    expect(JSON.parse((refused as Error).message.slice("TollgateRpcError: ".length)).error.code).toBe(403);
  });

  it("draws an image over RPC, as POST /images does: typed base64 data, charged to the key", async () => {
    const { accountId, key } = await fundedAccount("1");
    const drawn = await rpc().images(key, {
      model: "google/gemini-2.5-flash-image",
      prompt: `A lighthouse ${nonce()}`,
      aspect_ratio: "1:1",
    });
    expectTypeOf(drawn.data[0]?.b64_json).toEqualTypeOf<string | undefined>();
    expect(atob(drawn.data[0]?.b64_json ?? "").startsWith("\x89PNG")).toBe(true);
    expect(drawn.usage.cost).toBeGreaterThan(0);
    expect((await settled(accountId)).totals.usageNanos).toBe(Math.round(drawn.usage.cost * 1e9));
    // Caught as the other refusals here are: `expect(…).rejects` on an RPC promise left a second
    // rejection unhandled, which fails the run.
    const refused = await rpc()
      .images(key, { model: "google/gemini-2.5-flash-image", prompt: "x", n: 2 })
      .catch((error: unknown) => error);
    const body = JSON.parse((refused as Error).message.slice("TollgateRpcError: ".length));
    expect(body.error.code).toBe(400);
    expect(body.error.message).toContain("n: ");
  });

  it("transcribes over RPC, as POST /audio/transcriptions does: the text, its cost, the generation's id", async () => {
    const { accountId, key } = await fundedAccount("1");
    const marker = nonce();
    // Bytes the emulator "hears" as their printable text.
    const data = btoa(`\x01\x02\x03 heard over rpc ${marker} \x04\x05`);
    const reply = await rpc().transcription(key, {
      model: "openai/gpt-4o-transcribe",
      input_audio: { data, format: "wav" },
      language: "en",
    });
    expectTypeOf(reply.text).toEqualTypeOf<string>();
    expect(reply.text).toBe(`heard over rpc ${marker}`);
    expect(reply.usage.cost).toBeGreaterThan(0);
    expect(reply.id).toMatch(/^gen-/);
    const books = await settled(accountId);
    expect(books.totals.usageNanos).toBe(Math.round(reply.usage.cost * 1e9));
    expect(await rpc().generation(key, reply.id)).toMatchObject({ api_type: "stt", total_cost: reply.usage.cost });
    // response_format text is answered as JSON over RPC: the transcript is its `text`.
    const asText = await rpc().transcription(key, {
      model: "openai/gpt-4o-transcribe",
      input_audio: { data, format: "wav" },
      response_format: "text",
    });
    expect(asText.text).toBe(`heard over rpc ${marker}`);
    const refused = await rpc()
      .transcription(key, {
        model: "openai/gpt-4o-transcribe",
        input_audio: { data, format: "wav" },
        response_format: "srt",
      } as unknown as RpcTranscriptionRequest)
      .catch((error: unknown) => error);
    const body = JSON.parse((refused as Error).message.slice("TollgateRpcError: ".length));
    expect(body.error.code).toBe(400);
    expect(body.error.message).toContain("response_format");
  });

  it("speaks over RPC, as POST /audio/speech does: the audio streamed with its media type and generation id", async () => {
    const { accountId, key } = await fundedAccount("1");
    const input = `Spoken over rpc ${nonce()}`;
    const spoken = await rpc().speech(key, {
      model: "openai/gpt-4o-mini-tts-2025-12-15",
      input,
      voice: "nova",
      response_format: "mp3",
    });
    expectTypeOf(spoken.audio).toEqualTypeOf<ReadableStream<Uint8Array>>();
    expect(spoken.contentType).toBe("audio/mpeg");
    expect(spoken.id).toMatch(/^gen-/);
    const audio = new Uint8Array(await new Response(spoken.audio).arrayBuffer());
    expect(String.fromCharCode(...audio.subarray(0, 3))).toBe("ID3");
    const books = await settled(accountId);
    const stats = await rpc().generation(key, spoken.id);
    // Priced per character of input: $0.60 per million.
    expect(stats).toMatchObject({ api_type: "tts", tokens_prompt: input.length });
    expect(books.totals.usageNanos).toBe(Math.round(stats.total_cost * 1e9));
    const { key: broke } = await fundedAccount("0");
    const refused = await rpc()
      .speech(broke, { model: "openai/gpt-4o-mini-tts-2025-12-15", input })
      .catch((error: unknown) => error);
    const body = JSON.parse((refused as Error).message.slice("TollgateRpcError: ".length));
    expect(body.error.code).toBe(402);
  });

  it("exposes its methods and nothing else: the helpers behind them are not callable over RPC", async () => {
    type Callable = (...args: unknown[]) => Promise<unknown>;
    expect((await rpc().listModels()).data.length).toBeGreaterThan(0);
    for (const helper of ["call", "json", "data", "stream", "#call"]) {
      const method = (rpc() as unknown as Record<string, Callable>)[helper] as Callable;
      await expect(Promise.resolve().then(() => method(undefined, "GET", "/api/v1/models"))).rejects.toThrow();
    }
  });

  it("serves the HTTP API through the binding's fetch", async () => {
    const { key } = await fundedAccount("1");
    const response = await callConsumer("/http/api/v1/key", key);
    expect(response.status).toBe(200);
  });
});

import { env } from "cloudflare:test";
import { type ChatRequest, OpenResponsesResult$inboundSchema } from "@openrouter/sdk/models";
import { OpenRouterError } from "@openrouter/sdk/models/errors";
import { beforeAll, describe, expect, it } from "vitest";
import { presetKvKey } from "../src/billing/preset-store";
import type { TollgateRpc } from "../src/rpc";
import {
  admin,
  BASE,
  chat,
  emulatorRequests,
  finishedCall,
  gatewayFetch,
  nonce,
  openRouterClient,
  readSse,
  recordedGeneration,
} from "./support/gateway";

/**
 * OpenRouter's presets: the management API (every reply parsed by OpenRouter's SDK), and presets
 * named by requests (`@preset/<slug>`, `preset`, `<model>@preset/<slug>`) on chat, completions
 * and responses, checked by what reached the provider.
 */

type Created = { key: string; data: { hash: string } };

/** A funded account with an API key (inference) and a provisioning key (management). */
async function account() {
  const { id } = await admin<{ id: string }>("/accounts", { name: `presets-${nonce()}` });
  await admin(`/accounts/${id}/credits`, { amount: "5", reason: "test", idempotency_id: nonce() });
  const api = await admin<Created>(`/accounts/${id}/keys`, { name: "app" });
  const ops = await admin<Created>(`/accounts/${id}/keys`, { name: "ops", provisioning: true });
  return { id, key: api.key, provisioningKey: ops.key, provisioningHash: ops.data.hash };
}

let acct: Awaited<ReturnType<typeof account>>;
beforeAll(async () => {
  acct = await account();
});

const sdk = () => openRouterClient(acct.provisioningKey);

/** Creates (or versions) a preset from a chat body through the SDK. */
function createFromChat(slug: string, body: Partial<ChatRequest>) {
  return sdk().presets.createPresetsChatCompletions({
    slug,
    chatRequest: { messages: [{ role: "user", content: "ignored" }], ...body },
  });
}

async function sdkError(promise: Promise<unknown>): Promise<{ status: number; body: any }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenRouterError) return { status: error.statusCode, body: JSON.parse(error.body) };
    throw error;
  }
  throw new Error("expected the SDK call to fail");
}

function post(path: string, key: string, body: unknown) {
  return gatewayFetch(`${BASE}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("the presets management API, in the shapes of OpenRouter's SDK", () => {
  it("creates a preset from a chat-completions body: the config fields kept, the system message its prompt, the rest ignored", async () => {
    const slug = `writer-${nonce()}`;
    const created = await createFromChat(slug, {
      model: "openai/gpt-4o",
      messages: [
        { role: "system", content: "You write haiku." },
        { role: "user", content: "not kept" },
      ],
      temperature: 0.3,
      maxTokens: 50,
      provider: { sort: "price" },
      stream: false,
      user: "end-user-1",
    });
    const preset = created.data;
    expect(preset.slug).toBe(slug);
    expect(preset.name).toBe(slug);
    expect(preset.status).toBe("active");
    expect(preset.workspaceId).toBeNull();
    expect(preset.designatedVersionId).toBe(preset.designatedVersion?.id);
    const version = preset.designatedVersion!;
    expect(version.version).toBe(1);
    expect(version.presetId).toBe(preset.id);
    expect(version.systemPrompt).toBe("You write haiku.");
    expect(version.config).toEqual({
      model: "openai/gpt-4o",
      temperature: 0.3,
      max_tokens: 50,
      provider: { sort: "price" },
    });
  });

  it("makes each later creation a new version, designated; lists versions oldest first and reads any of them", async () => {
    const slug = `versions-${nonce()}`;
    await createFromChat(slug, { model: "openai/gpt-4o-mini", temperature: 0.1 });
    const second = await createFromChat(slug, { model: "openai/gpt-4o", temperature: 0.9 });
    expect(second.data.designatedVersion?.version).toBe(2);

    const got = await sdk().presets.get({ slug });
    expect(got.data.designatedVersion?.version).toBe(2);
    expect(got.data.designatedVersion?.config).toEqual({ model: "openai/gpt-4o", temperature: 0.9 });

    const versions = await sdk().presets.listVersions({ slug });
    expect(versions.result.totalCount).toBe(2);
    expect(versions.result.data.map((v) => v?.version)).toEqual([1, 2]);

    const first = await sdk().presets.getVersion({ slug, version: "1" });
    expect(first.data?.config).toEqual({ model: "openai/gpt-4o-mini", temperature: 0.1 });
    expect(first.data?.systemPrompt).toBeNull();
  });

  it("never loses a version to concurrent creations", async () => {
    const slug = `race-${nonce()}`;
    const temperatures = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const created = await Promise.all(temperatures.map((temperature) => createFromChat(slug, { temperature })));
    expect(created.map((c) => c.data.designatedVersion?.version).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const versions = await sdk().presets.listVersions({ slug });
    expect(versions.result.totalCount).toBe(8);
    expect(versions.result.data.map((v) => v?.config.temperature).sort()).toEqual(temperatures);
  });

  it("lists the account's presets, most recently updated first, paged with offset and limit", async () => {
    const own = await account();
    const client = openRouterClient(own.provisioningKey);
    for (const slug of ["alpha", "beta", "gamma"]) {
      await client.presets.createPresetsChatCompletions({
        slug,
        chatRequest: { messages: [{ role: "user", content: "x" }], temperature: 0.5 },
      });
    }
    // alpha updated last: it comes first.
    await client.presets.createPresetsChatCompletions({
      slug: "alpha",
      chatRequest: { messages: [{ role: "user", content: "x" }], temperature: 0.7 },
    });
    const all = await client.presets.list({});
    expect(all.result.totalCount).toBe(3);
    expect(all.result.data.map((p) => p.slug)).toEqual(["alpha", "gamma", "beta"]);
    expect(all.result.data[0]?.designatedVersionId).toBeTruthy();
    const page = await client.presets.list({ offset: 1, limit: 1 });
    expect(page.result.data.map((p) => p.slug)).toEqual(["gamma"]);
    expect(page.result.totalCount).toBe(3);
    // Another account's presets are not in it, nor readable.
    const other = await openRouterClient(acct.provisioningKey).presets.list({});
    expect(other.result.data.map((p) => p.slug)).not.toContain("gamma");
    expect((await sdkError(openRouterClient(acct.provisioningKey).presets.get({ slug: "gamma" }))).status).toBe(404);
  });

  it("creates a preset from a Responses body: instructions the prompt, max_output_tokens the output limit", async () => {
    const slug = `responses-${nonce()}`;
    const created = await sdk().presets.createPresetsResponses({
      slug,
      responsesRequest: {
        model: "openai/gpt-4o",
        input: "not kept",
        instructions: "Answer in French.",
        maxOutputTokens: 64,
        temperature: 0.4,
        text: { format: { type: "json_object" } },
      },
    });
    const version = created.data.designatedVersion!;
    expect(version.systemPrompt).toBe("Answer in French.");
    expect(version.config).toEqual({
      model: "openai/gpt-4o",
      max_tokens: 64,
      temperature: 0.4,
      response_format: { type: "json_object" },
    });
  });

  it("creates a preset from an Anthropic Messages body: system the prompt, stop_sequences and thinking as chat's", async () => {
    const slug = `messages-${nonce()}`;
    const created = await sdk().presets.createPresetsMessages({
      slug,
      messagesRequest: {
        model: "anthropic/claude-haiku-4.5",
        maxTokens: 2048,
        system: [{ type: "text", text: "Answer in French." }],
        messages: [{ role: "user", content: "not kept" }],
        temperature: 0.3,
        stopSequences: ["END"],
        thinking: { type: "enabled", budgetTokens: 1024 },
        metadata: { userId: "not kept" },
      },
    });
    const version = created.data.designatedVersion!;
    expect(version.systemPrompt).toBe("Answer in French.");
    expect(version.config).toEqual({
      model: "anthropic/claude-haiku-4.5",
      max_tokens: 2048,
      temperature: 0.3,
      stop: ["END"],
      reasoning: { max_tokens: 1024 },
    });
    const bad = await post(`/presets/${slug}/messages`, acct.provisioningKey, { temperature: 9 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain("temperature");
  });

  it("refuses an unknown preset or version, a bad slug and a bad config with OpenRouter's error shape", async () => {
    const missing = await sdkError(sdk().presets.get({ slug: `nothing-${nonce()}` }));
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("not found");

    const slug = `one-${nonce()}`;
    await createFromChat(slug, { temperature: 0.5 });
    expect((await sdkError(sdk().presets.getVersion({ slug, version: "7" }))).status).toBe(404);
    expect((await sdkError(sdk().presets.getVersion({ slug, version: "latest" }))).status).toBe(400);

    const badSlug = await sdkError(sdk().presets.get({ slug: "Bad Slug" }));
    expect(badSlug.status).toBe(400);
    expect(badSlug.body.error.message).toContain("slug");

    const badConfig = await post(`/presets/${slug}/chat/completions`, acct.provisioningKey, { temperature: 9 });
    expect(badConfig.status).toBe(400);
    expect(((await badConfig.json()) as any).error.message).toContain("temperature");

    const nested = await post(`/presets/${slug}/chat/completions`, acct.provisioningKey, { model: "@preset/other" });
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as any).error.message).toContain("cannot name a preset");
  });

  it("is for provisioning keys: an API key is refused with 403, no key with 401", async () => {
    const api = openRouterClient(acct.key);
    const listed = await sdkError(api.presets.list({}));
    expect(listed.status).toBe(403);
    expect(listed.body.error.message).toContain("provisioning key");
    const created = await post(`/presets/by-app/chat/completions`, acct.key, { temperature: 0.5 });
    expect(created.status).toBe(403);
    expect((await gatewayFetch(`${BASE}/presets`)).status).toBe(401);
  });

  it("is served at /v1 too", async () => {
    const response = await gatewayFetch("http://gateway.test/v1/presets", {
      headers: { authorization: `Bearer ${acct.provisioningKey}` },
    });
    expect(response.status).toBe(200);
  });
});

describe("presets named by requests", () => {
  /** The body the provider got for the request carrying `marker`. */
  async function upstreamBody(marker: string): Promise<any> {
    const call = await finishedCall(marker);
    expect(call, `no upstream call carried ${marker}`).not.toBeNull();
    return call!.body;
  }

  let slug: string;
  beforeAll(async () => {
    slug = `helper-${nonce()}`;
    await createFromChat(slug, {
      model: "openai/gpt-4o",
      messages: [{ role: "system", content: "You are terse." }],
      temperature: 0.25,
      maxTokens: 40,
      // OpenAI's API names the model in the body (Azure's, which serves these too, in the path).
      provider: { only: ["openai"] },
    });
  });

  it('"model": "@preset/<slug>": the preset chooses the model, its system prompt goes first, its parameters apply', async () => {
    const marker = nonce();
    const response = await chat(acct.key, {
      model: `@preset/${slug}`,
      messages: [
        { role: "system", content: "Be kind." },
        { role: "user", content: `hello ${marker}` },
      ],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).model).toBe("openai/gpt-4o");
    const body = await upstreamBody(marker);
    expect(body.model).toBe("gpt-4o");
    expect(body.temperature).toBe(0.25);
    expect(body.max_completion_tokens).toBe(40);
    expect(body.messages.slice(0, 2)).toEqual([
      { role: "system", content: "You are terse." },
      { role: "system", content: "Be kind." },
    ]);
  });

  it('"preset": "<slug>" with a model of the request\'s own: that model, the request\'s parameters winning over the preset\'s', async () => {
    const marker = nonce();
    const response = await chat(acct.key, {
      model: "openai/gpt-4o-mini",
      preset: slug,
      temperature: 0.9,
      max_completion_tokens: 12,
      top_p: null,
      messages: [{ role: "user", content: `hello ${marker}` }],
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body.model).toBe("gpt-4o-mini");
    expect(body.temperature).toBe(0.9);
    expect(body.max_completion_tokens).toBe(12);
    expect(body.preset).toBeUndefined();
    expect(body.messages[0]).toEqual({ role: "system", content: "You are terse." });
  });

  it('"model": "<model>@preset/<slug>": that model, the preset giving the rest', async () => {
    const marker = nonce();
    const response = await chat(acct.key, {
      model: `openai/gpt-4o-mini@preset/${slug}`,
      messages: [{ role: "user", content: `hello ${marker}` }],
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body.model).toBe("gpt-4o-mini");
    expect(body.temperature).toBe(0.25);
  });

  it("applies to /completions and /responses, which share the chat path", async () => {
    const completionMarker = nonce();
    const completion = await post("/completions", acct.key, {
      model: `@preset/${slug}`,
      prompt: `complete ${completionMarker}`,
    });
    expect(completion.status).toBe(200);
    const completionBody = await upstreamBody(completionMarker);
    expect(completionBody.model).toBe("gpt-4o");
    expect(completionBody.messages[0]).toEqual({ role: "system", content: "You are terse." });

    const responsesMarker = nonce();
    const response = await post("/responses", acct.key, { preset: slug, input: `respond ${responsesMarker}` });
    expect(response.status).toBe(200);
    const responsesBody = await upstreamBody(responsesMarker);
    expect(responsesBody.model).toBe("gpt-4o");
    expect(responsesBody.temperature).toBe(0.25);
    // The Response echoes the settings it was made with, the preset's included.
    const echoed = OpenResponsesResult$inboundSchema.parse(await response.json());
    expect(echoed.model).toBe("openai/gpt-4o");
    expect(echoed.instructions).toBe("You are terse.");
    expect(echoed.temperature).toBe(0.25);
    expect(echoed.maxOutputTokens).toBe(40);
  });

  it("names the preset in the generation's record (preset_id), and none for a request without one", async () => {
    const { data: preset } = await sdk().presets.get({ slug });
    const generationOf = async (body: Record<string, unknown>) => {
      const { id } = (await (await chat(acct.key, body)).json()) as { id: string };
      await recordedGeneration(acct.key, id);
      return (await openRouterClient(acct.key).generations.getGeneration({ id })).data;
    };
    const named = await generationOf({ model: `@preset/${slug}`, messages: [{ role: "user", content: nonce() }] });
    expect(named.presetId).toBe(preset.id);
    const plain = await generationOf({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] });
    expect(plain.presetId).toBeNull();
  });

  it("works over RPC, which takes the chat path", async () => {
    const marker = nonce();
    const rpc = (env as unknown as { TOLLGATE_RPC: Service<TollgateRpc> }).TOLLGATE_RPC;
    const reply = await rpc.chatCompletion(acct.key, {
      model: `@preset/${slug}`,
      messages: [{ role: "user", content: `rpc ${marker}` }],
    });
    expect(reply.model).toBe("openai/gpt-4o");
    expect((await upstreamBody(marker)).messages[0]).toEqual({ role: "system", content: "You are terse." });
  });

  it("streams with a preset as without one", async () => {
    const marker = nonce();
    const response = await chat(acct.key, {
      model: `@preset/${slug}`,
      stream: true,
      messages: [{ role: "user", content: `stream ${marker}` }],
    });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    expect(data.at(-1)).toBe("[DONE]");
    expect((data[0] as any).model).toBe("openai/gpt-4o");
    expect((await upstreamBody(marker)).temperature).toBe(0.25);
  });

  it("uses an edit at once in the isolate that made it", async () => {
    const own = `edited-${nonce()}`;
    const provider = { only: ["openai"] };
    await createFromChat(own, { model: "openai/gpt-4o", temperature: 0.1, provider });
    await chat(acct.key, { model: `@preset/${own}`, messages: [{ role: "user", content: `warm ${nonce()}` }] });
    await createFromChat(own, { model: "openai/gpt-4o-mini", temperature: 0.6, provider });
    const marker = nonce();
    await chat(acct.key, { model: `@preset/${own}`, messages: [{ role: "user", content: `after ${marker}` }] });
    const body = await upstreamBody(marker);
    expect(body.model).toBe("gpt-4o-mini");
    expect(body.temperature).toBe(0.6);
  });

  /** Writes a preset's KV copy as another isolate's save would (its Account object writes KV; this isolate's cache is not told). */
  async function savedElsewhere(slugName: string, config: Record<string, unknown>) {
    const active = { id: crypto.randomUUID(), slug: slugName, version: 1, config, system_prompt: null };
    await (env as unknown as { KEYS: KVNamespace }).KEYS.put(presetKvKey(acct.id, slugName), JSON.stringify(active));
  }

  it("finds a preset made through another isolate on its first use after, though it was unknown before", async () => {
    const own = `elsewhere-${nonce()}`;
    const ask = () => chat(acct.key, { model: `@preset/${own}`, messages: [{ role: "user", content: nonce() }] });
    expect((await ask()).status).toBe(404);
    await savedElsewhere(own, { model: "openai/gpt-4o-mini" });
    expect((await ask()).status).toBe(200);
  });

  it("reads a preset once per isolate for a while: an edit made elsewhere is not seen at once", async () => {
    const own = `cached-${nonce()}`;
    await createFromChat(own, { model: "openai/gpt-4o", temperature: 0.1, provider: { only: ["openai"] } });
    await chat(acct.key, { model: `@preset/${own}`, messages: [{ role: "user", content: nonce() }] });
    await savedElsewhere(own, { model: "openai/gpt-4o", temperature: 0.9, provider: { only: ["openai"] } });
    const marker = nonce();
    await chat(acct.key, { model: `@preset/${own}`, messages: [{ role: "user", content: `again ${marker}` }] });
    expect((await upstreamBody(marker)).temperature).toBe(0.1);
  });

  it("refuses an unknown preset, naming it, and calls no provider", async () => {
    const marker = nonce();
    const missing = `missing-${nonce()}`;
    const response = await chat(acct.key, {
      model: `@preset/${missing}`,
      messages: [{ role: "user", content: `hello ${marker}` }],
    });
    expect(response.status).toBe(404);
    const error = ((await response.json()) as any).error;
    expect(error.message).toContain(missing);
    expect(error.metadata.preset).toBe(missing);
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("refuses another account's preset as unknown", async () => {
    const other = await account();
    const response = await chat(other.key, { model: `@preset/${slug}`, messages: [{ role: "user", content: "x" }] });
    expect(response.status).toBe(404);
  });

  it("refuses two different presets in one request, and a malformed slug", async () => {
    const both = await chat(acct.key, {
      model: `@preset/${slug}`,
      preset: "another",
      messages: [{ role: "user", content: "x" }],
    });
    expect(both.status).toBe(400);
    expect(((await both.json()) as any).error.message).toContain("name one preset");
    const bad = await chat(acct.key, { model: "@preset/Not A Slug", messages: [{ role: "user", content: "x" }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain("preset slug");
  });

  it("keeps server tools as they were written, and runs them for the requests that name the preset", async () => {
    const toolSlug = `clock-${nonce()}`;
    const tools = [{ type: "openrouter:datetime", parameters: { timezone: "Europe/Paris" } }];
    const response = await gatewayFetch(`${BASE}/presets/${toolSlug}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${acct.provisioningKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai/gpt-4o-mini", tools, messages: [{ role: "user", content: "x" }] }),
    });
    expect(response.status).toBe(200);
    const shown = await sdk().presets.get({ slug: toolSlug });
    expect(shown.data.designatedVersion?.config.tools).toEqual(tools);

    const marker = nonce();
    const answer = await chat(acct.key, {
      model: `@preset/${toolSlug}`,
      messages: [{ role: "user", content: `use the clock ${marker}` }],
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as any;
    expect(body.choices[0].message.tool_calls).toBeUndefined();
    expect(body.usage.server_tool_use_details).toMatchObject({ tool_calls_executed: 1 });
    const turns = (await emulatorRequests(marker)).map((call) => call.body as any);
    const result = JSON.parse(turns.at(-1).messages.at(-1).content);
    expect(result.timezone).toBe("Europe/Paris");
  });

  it("treats a model the preset names that the catalog lacks as a request naming it would", async () => {
    const own = `gone-${nonce()}`;
    await createFromChat(own, { model: "nobody/nothing-9000" });
    const response = await chat(acct.key, { model: `@preset/${own}`, messages: [{ role: "user", content: "x" }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain("nobody/nothing-9000");
  });
});

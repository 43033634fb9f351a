import { beforeAll, describe, expect, it } from "vitest";
import {
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  readSse,
} from "./support/gateway";

/**
 * OpenRouter's `debug.echo_upstream_body`: a stream's first chunk (no choices, a `debug` field)
 * shows the body the gateway sent the provider, in that provider's format, for a developer to see
 * how the request was translated. Streams only; never a credential; never sent upstream itself.
 */

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("1"));
});

const debug = { echo_upstream_body: true };

describe("debug.echo_upstream_body", () => {
  it("opens a chat stream with the body the provider was sent, then the answer as ever", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      stream: true,
      max_tokens: 20,
      messages: [{ role: "user", content: `hello ${marker}` }],
      debug,
    });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const [first, ...rest] = data as Array<Record<string, any> | "[DONE]">;
    if (typeof first !== "object") throw new Error("expected a chunk first");
    expect(first.choices).toEqual([]);
    expect(first.object).toBe("chat.completion.chunk");
    const echoed = first.debug?.echo_upstream_body;
    const [sent] = await emulatorRequests(marker);
    expect(echoed).toEqual(sent?.body);
    expect(echoed).toMatchObject({ model: "gpt-4o-mini", stream: true, stream_options: { include_usage: true } });
    expect(echoed).not.toHaveProperty("debug");
    expect(rest.some((chunk) => typeof chunk === "object" && chunk.choices?.[0]?.delta?.content)).toBe(true);
    expect(data.at(-1)).toBe("[DONE]");
  });

  it("shows a translated body in the provider's own format (Anthropic's Messages)", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: "anthropic/claude-haiku-5.5",
      provider: { only: ["anthropic"] },
      stream: true,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: `hello ${marker}` },
      ],
      debug,
    });
    const { data } = await readSse(response);
    const echoed = (data[0] as Record<string, any>).debug.echo_upstream_body;
    expect(echoed.system).toEqual(expect.arrayContaining([expect.objectContaining({ text: "Be brief." })]));
    expect(echoed.messages[0].role).toBe("user");
    expect(echoed).toHaveProperty("max_tokens");
    expect(echoed).not.toHaveProperty("stream_options");
    expect(JSON.stringify(echoed)).not.toContain("emulated");
  });

  it("is parsed by OpenRouter's SDK as any stream is", async () => {
    const result = await openRouterClient(key).chat.send({
      chatRequest: {
        model: "openai/gpt-4o-mini",
        stream: true,
        messages: [{ role: "user", content: `hi ${nonce()}` }],
        debug: { echoUpstreamBody: true },
      },
    });
    if ("choices" in result) throw new Error("expected a stream");
    let chunks = 0;
    for await (const _chunk of result) chunks++;
    expect(chunks).toBeGreaterThan(2);
  });

  it("on /responses: a response.debug event first (sequence 0), then the response's events, as the SDK parses them", async () => {
    const marker = nonce();
    const response = await gatewayFetch(`${BASE}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai/gpt-4o-mini", input: `hello ${marker}`, stream: true, debug }),
    });
    expect(response.status).toBe(200);
    // Each event's `data:` line (the Responses API names each event in an `event:` line first).
    const events = (await response.text())
      .split("\n\n")
      .map((block) => block.split("\n").find((line) => line.startsWith("data: ")))
      .filter((line): line is string => line !== undefined)
      .map((line) => JSON.parse(line.slice("data: ".length)) as Record<string, any>);
    expect(events[0]).toMatchObject({ type: "response.debug", sequence_number: 0 });
    const [sent] = await emulatorRequests(marker);
    expect(events[0]?.debug.echo_upstream_body).toEqual(sent?.body);
    expect(events[1]).toMatchObject({ type: "response.created", sequence_number: 1 });
    expect(events.at(-1)?.type).toBe("response.completed");

    const stream = await openRouterClient(key).responses.send({
      responsesRequest: {
        model: "openai/gpt-4o-mini",
        input: `hi ${nonce()}`,
        stream: true,
        debug: { echoUpstreamBody: true },
      },
    });
    if ("output" in stream) throw new Error("expected a stream");
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe("response.debug");
    expect(types).toContain("response.completed");
  });

  it("is ignored without a stream, as OpenRouter ignores it", async () => {
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
      debug,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).not.toHaveProperty("debug");
  });

  it("is refused when it is not a boolean, naming the field", async () => {
    const response = await gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "openai/gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
        debug: { echo_upstream_body: "yes" },
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "debug.echo_upstream_body",
    );
  });
});

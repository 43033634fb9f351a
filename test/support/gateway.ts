import { SELF } from "cloudflare:test";
import { HTTPClient, OpenRouter } from "@openrouter/sdk";
import { inject } from "vitest";
import { sleep } from "../../src/sleep";

/** The tests wait with the gateway's own timer promise. */
export { sleep };

/** The gateway under test, called as any HTTP client would (through the real Worker). */
export const BASE = "http://gateway.test/api/v1";
export const ADMIN_TOKEN = "test-admin-token";

/** OpenRouter's SDK as a client uses it (its zod schemas parse every reply strictly), talking to the app, no retries. */
export function openRouterClient(apiKey?: string): OpenRouter {
  return new OpenRouter({
    ...(apiKey ? { apiKey } : {}),
    serverURL: BASE,
    retryConfig: { strategy: "none" },
    httpClient: new HTTPClient({ fetcher: (input, init) => gatewayFetch(input as RequestInfo, init) }),
  });
}

export function gatewayFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  return SELF.fetch(new Request(input, init));
}

export async function admin<T>(path: string, body: unknown, method = "POST"): Promise<T> {
  const response = await gatewayFetch(`${BASE}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`admin ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A fresh account with `creditsUsd` of credit and one API key, created with `keyOptions` (e.g. a rate limit). */
export async function fundedAccount(creditsUsd = "10", keyOptions: Record<string, unknown> = {}) {
  const account = await admin<{ id: string }>("/accounts", { name: `test-${crypto.randomUUID()}` });
  if (creditsUsd !== "0") {
    await admin(`/accounts/${account.id}/credits`, {
      amount: creditsUsd,
      reason: "test",
      idempotency_id: crypto.randomUUID(),
    });
  }
  const { key, data } = await admin<{ key: string; data: { hash: string } }>(`/accounts/${account.id}/keys`, {
    name: "test key",
    ...keyOptions,
  });
  return { accountId: account.id, key, hash: data.hash };
}

export function chat(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return gatewayFetch(`${BASE}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** A unique marker to find this test's requests in the emulator's log. */
/** A one-argument function tool, as clients send it (`tools: [WEATHER_TOOL]`). */
export const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

export const nonce = () => `n${crypto.randomUUID().slice(0, 8)}`;

export interface EmulatorRequest {
  provider: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  outcome: string;
  /** When the gateway's connection closed (null while it is open). */
  closedAt: number | null;
}

export async function emulatorRequests(contains: string): Promise<EmulatorRequest[]> {
  const response = await fetch(`${inject("emulatorUrl")}/__emulator/requests?contains=${encodeURIComponent(contains)}`);
  const { requests } = (await response.json()) as { requests: EmulatorRequest[] };
  return requests;
}

/** The emulator's record of the request carrying `marker`, once it is over (or null if none came). */
export async function finishedCall(marker: string): Promise<EmulatorRequest | null> {
  for (let i = 0; i < 150; i++) {
    const [call] = await emulatorRequests(marker);
    if (call && call.outcome !== "pending") return call;
    if (!call && i >= 10) return null;
    await sleep(20);
  }
  throw new Error(`the call carrying ${marker} never ended`);
}

/** Reads an SSE body to the end: data payloads (parsed unless `[DONE]`) and comment lines. */
/** The emulator's calls carrying `marker`, web search's (Exa's) apart from the model's. */
export async function searchCalls(marker: string) {
  const calls = await emulatorRequests(marker);
  return {
    exa: calls.filter((call) => call.provider === "exa"),
    model: calls.filter((call) => call.provider !== "exa"),
  };
}

export async function readSse(response: Response) {
  const text = await response.text();
  const events = text.split("\n\n").filter((e) => e.length > 0);
  const comments = events.filter((e) => e.startsWith(":"));
  const data = events
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice("data: ".length))
    .map((d) => (d === "[DONE]" ? d : (JSON.parse(d) as Record<string, any>)));
  return { comments, data };
}

/**
 * Reads a chat stream until `chunks` chunks with content have arrived, and cancels it there, as a
 * client that leaves mid-way; returns the generation's id.
 */
export async function readThenCancel(body: ReadableStream<Uint8Array>, chunks: number): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while ((text.match(/"content":"[^"]/g) ?? []).length < chunks) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  const id = /"id":"(gen-[^"]+)"/.exec(text)?.[1];
  if (!id) throw new Error(`no generation id in the stream read: ${text.slice(0, 200)}`);
  return id;
}

/** `GET /generation?id=` with `key`, once the generation is recorded (settlement lands after the reply). */
export async function recordedGeneration(key: string, id: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const response = await gatewayFetch(`${BASE}/generation?id=${id}`, { headers: { authorization: `Bearer ${key}` } });
    if (response.ok) return ((await response.json()) as { data: unknown }).data;
    await sleep(20);
  }
  throw new Error(`generation ${id} was never recorded`);
}

/**
 * How long a chat request takes to be refused for want of credit (a 402, after routing has counted
 * its prompt): what a key with no money can make the gateway spend on a prompt.
 */
export async function timeRefusedChat(model: string, content: string): Promise<{ status: number; ms: number }> {
  const { key: broke } = await fundedAccount("0");
  const started = performance.now();
  const response = await chat(broke, { model, max_tokens: 1, messages: [{ role: "user", content }] });
  await response.text();
  return { status: response.status, ms: performance.now() - started };
}

/** The key's account's total usage in USD, as `GET /credits` reports it. */
export async function totalUsage(apiKey: string): Promise<number> {
  const response = await gatewayFetch(`${BASE}/credits`, { headers: { authorization: `Bearer ${apiKey}` } });
  return ((await response.json()) as { data: { total_usage: number } }).data.total_usage;
}

/**
 * A fresh account's total usage once its first charge has landed (settlement runs after the
 * reply), or 0 when none lands within about two seconds.
 */
export async function usageOnceCharged(apiKey: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const usage = await totalUsage(apiKey);
    if (usage > 0) return usage;
    await sleep(20);
  }
  return 0;
}

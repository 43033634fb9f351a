import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CATALOG_KV_KEY } from "../src/catalog/store";
import type { Model } from "../src/catalog/types";
import { buildCohereBody } from "../src/providers/cohere/request";
import { putCatalog } from "./support/catalog";
import { chat, emulatorRequests, fundedAccount, nonce } from "./support/gateway";
import { chatRequest, testTarget } from "./support/target";

/**
 * Cohere takes at most five stop sequences. A request with more is never sent to Cohere with its
 * stops cut (the answer would stop in the wrong place without a word): another provider serves
 * it, or the client is told, in a 400, that `stop` has more than any endpoint takes.
 */

const SIX_STOPS = ["###", "END", "STOP", "Observation:", "\n\nUser:", "</answer>"];
const COHERE_ONLY = "cohere/command-a";
/** Command A with a second endpoint (Together, OpenAI's format), added to the catalog for this file. */
const TWO_PROVIDERS = "tollgate-test/command-a-two-providers";

function twoProviderModel(): Model {
  const commandA = defaultCatalog.models.find((m) => m.id === COHERE_ONLY) as Model;
  const llama = defaultCatalog.models.find((m) => m.id === "meta-llama/llama-3.3-70b-instruct") as Model;
  const together = llama.endpoints.find((e) => e.provider === "together");
  if (!together) throw new Error("the catalog's Llama 3.3 has no Together endpoint");
  return {
    ...commandA,
    id: TWO_PROVIDERS,
    canonical_slug: TWO_PROVIDERS,
    endpoints: [...commandA.endpoints, { ...together, provider_model_id: "command-a-open" }],
  };
}

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
  const catalog = { ...defaultCatalog, models: [...defaultCatalog.models, twoProviderModel()] };
  await putCatalog(catalog, TWO_PROVIDERS);
});
afterAll(async () => {
  await env.CATALOG.delete(CATALOG_KV_KEY);
});

const ask = (model: string, stop: string[], marker: string, extra: Record<string, unknown> = {}) =>
  chat(key, { model, stop, messages: [{ role: "user", content: `Say hello ${marker}` }], ...extra });
const upstreams = async (marker: string) => (await emulatorRequests(marker)).map((r) => r.provider);
/** The one upstream call the request carrying `marker` made. */
async function onlyCall(marker: string) {
  const calls = await emulatorRequests(marker);
  expect(calls).toHaveLength(1);
  return calls[0] as (typeof calls)[number];
}

describe("Cohere's emulator", () => {
  it("refuses a sixth stop sequence with Cohere's error body, as the API does", async () => {
    const response = await fetch(`${inject("emulatorUrl")}/cohere/v2/chat`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({
        model: "command-a-03-2025",
        messages: [{ role: "user", content: "hi" }],
        stop_sequences: SIX_STOPS,
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { id: string; message: string };
    expect(body).toEqual({ id: expect.any(String), message: expect.stringMatching(/stop_sequences.*at most 5/) });
  });
});

describe("Cohere's request", () => {
  it("carries every stop sequence it is given (routing keeps Cohere from being given more than it takes)", () => {
    const stops = SIX_STOPS.slice(0, 5);
    expect(
      buildCohereBody(chatRequest({ stop: stops }), testTarget({ slug: "cohere" }), false).body.stop_sequences,
    ).toEqual(stops);
    expect(
      buildCohereBody(chatRequest({ stop: SIX_STOPS }), testTarget({ slug: "cohere" }), false).body.stop_sequences,
    ).toEqual(SIX_STOPS);
  });
});

describe("more stop sequences than Cohere takes, through the gateway", () => {
  it("a model only Cohere serves answers a 400 naming `stop` and the limit, and calls no provider", async () => {
    const marker = nonce();
    const response = await ask(COHERE_ONLY, SIX_STOPS, marker);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: number; message: string; metadata: unknown } };
    expect(error.code).toBe(400);
    expect(error.message).toContain(COHERE_ONLY);
    expect(error.message).toMatch(/at most 5 stop sequences \(`stop` has 6\)/);
    expect(await upstreams(marker)).toEqual([]);
  });

  it("a model another provider also serves is answered by that one, Cohere never called", async () => {
    const marker = nonce();
    const response = await ask(TWO_PROVIDERS, SIX_STOPS, marker, { provider: { order: ["cohere", "together"] } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { provider: string }).provider).toBe("Together");
    const call = await onlyCall(marker);
    expect(call.provider).toBe("together");
    expect((call.body as { stop: string[] }).stop).toEqual(SIX_STOPS);
  });

  it("five stop sequences still go to Cohere, all five of them", async () => {
    const stops = SIX_STOPS.slice(0, 5);
    for (const model of [COHERE_ONLY, TWO_PROVIDERS]) {
      const marker = nonce();
      const response = await ask(model, stops, marker, { provider: { order: ["cohere", "together"] } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { provider: string }).provider).toBe("Cohere");
      const call = await onlyCall(marker);
      expect(call.provider).toBe("cohere");
      expect((call.body as { stop_sequences: string[] }).stop_sequences).toEqual(stops);
    }
  });
});

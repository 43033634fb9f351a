import { env } from "cloudflare:test";
import { GenerationResponse$inboundSchema } from "@openrouter/sdk/models";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { buildBedrockRerankRequest } from "../src/providers/bedrock/rerank";
import type { TollgateRpc } from "../src/rpc";
import { EndpointRefusal } from "../src/schema/errors";
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
  usageOnceCharged,
} from "./support/gateway";
import { testTarget } from "./support/target";

/** `POST /rerank` through the real gateway and the Cohere emulator: routed, held, charged once. */
const MODEL = "cohere/rerank-v3.5";
/** Cohere's list price for Rerank 3.5: $2.00 per 1,000 search units. */
const SEARCH_UNIT_USD = 0.002;
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

function sdk(apiKey = key) {
  return openRouterClient(apiKey);
}

function rerank(body: Record<string, unknown>, apiKey = key) {
  return gatewayFetch(`${BASE}/rerank`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const DOCUMENTS = [
  "Berlin is the capital of Germany.",
  "Paris is the capital of France.",
  "The capital of France is Paris, on the Seine.",
  "Bananas are yellow.",
];

describe("POST /rerank", () => {
  it("the OpenRouter SDK reranks through the gateway: ordered by relevance, top_n kept, texts returned", async () => {
    const marker = nonce();
    const reply = await sdk().rerank.rerank({
      requestBody: {
        model: MODEL,
        query: `What is the capital of France? ${marker}`,
        documents: DOCUMENTS,
        topN: 2,
        // Pinned: Bedrock serves this model too (see the failover test).
        provider: { only: ["cohere"] },
      },
    });
    if (typeof reply === "string") throw new Error(`a string reply: ${reply}`);
    expect(reply.id).toMatch(/^gen-/);
    expect(reply.model).toBe(MODEL);
    expect(reply.provider).toBe("Cohere");
    expect(reply.results).toHaveLength(2);
    expect(reply.results.map((r) => r.index).sort()).toEqual([1, 2]);
    for (const result of reply.results) expect(result.document.text).toBe(DOCUMENTS[result.index]);
    const scores = reply.results.map((r) => r.relevanceScore);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(reply.usage?.searchUnits).toBe(1);
    expect(reply.usage?.cost).toBeCloseTo(SEARCH_UNIT_USD, 12);
    // Cohere's own request: its model id, the texts and top_n.
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.path).toMatch(/\/cohere\/v2\/rerank$/);
    expect(upstream?.body).toMatchObject({ model: "rerank-v3.5", documents: DOCUMENTS, top_n: 2 });
  });

  it("takes structured {text} documents and returns every document without top_n", async () => {
    const response = await rerank({
      model: MODEL,
      query: "bananas",
      documents: DOCUMENTS.map((text) => ({ text })),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.results).toHaveLength(DOCUMENTS.length);
    expect(body.results[0]).toMatchObject({ index: 3, document: { text: "Bananas are yellow." } });
  });

  it("charges exactly once what usage.cost says, and /generation reports api_type rerank", async () => {
    const { key: own } = await fundedAccount("1");
    const body = (await (
      await rerank(
        { model: MODEL, provider: { only: ["cohere"] }, query: `France ${nonce()}`, documents: DOCUMENTS },
        own,
      )
    ).json()) as any;
    expect(body.usage.cost).toBeCloseTo(SEARCH_UNIT_USD, 12);
    const record = GenerationResponse$inboundSchema.parse({ data: await recordedGeneration(own, body.id) }).data;
    expect(record).toMatchObject({ apiType: "rerank", model: MODEL, providerName: "Cohere", streamed: false });
    expect(record.totalCost).toBe(body.usage.cost);
    await sleep(100);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("bills one search unit per 100 documents, as Cohere does", async () => {
    const { key: own } = await fundedAccount("1");
    const documents = Array.from({ length: 150 }, (_, i) => `document number ${i}`);
    const body = (await (
      await rerank(
        { model: MODEL, provider: { only: ["cohere"] }, query: `number 7 ${nonce()}`, documents, top_n: 3 },
        own,
      )
    ).json()) as any;
    expect(body.usage.search_units).toBe(2);
    expect(body.usage.cost).toBeCloseTo(2 * SEARCH_UNIT_USD, 12);
    expect(body.results).toHaveLength(3);
    await recordedGeneration(own, body.id);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("refuses bad input with a 400 that names the field, in OpenRouter's error shape", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: MODEL, query: "", documents: ["a"] }, /query/],
      [{ model: MODEL, documents: ["a"] }, /query/],
      [{ model: MODEL, query: "q", documents: [] }, /documents/],
      [{ model: MODEL, query: "q" }, /documents/],
      [{ model: MODEL, query: "q", documents: [{ image: "https://example.com/a.png" }] }, /documents\.0.*image/],
      [{ model: MODEL, query: "q", documents: [42] }, /documents\.0/],
      [{ model: MODEL, query: "q", documents: ["a"], top_n: 0 }, /top_n/],
      [{ query: "q", documents: ["a"] }, /model/],
      [{ model: "openai/gpt-4o-mini", query: "q", documents: ["a"] }, /chat model/],
      [{ model: "openai/text-embedding-3-small", query: "q", documents: ["a"] }, /embedding model/],
    ];
    for (const [body, message] of cases) {
      const response = await rerank(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = ((await response.json()) as any).error;
      expect(error.code).toBe(400);
      expect(error.message).toMatch(message);
    }
    const chat = await gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(400);
    expect(((await chat.json()) as any).error.message).toMatch(/rerank model: use \/rerank/);
  });

  it("names Cohere's 1000-document limit in a 400 when no endpoint takes the request, calling no provider", async () => {
    const marker = nonce();
    const documents = Array.from({ length: 1001 }, (_, i) => `doc ${i} ${marker}`);
    const response = await rerank({ model: MODEL, query: "doc", documents });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toMatch(/at most 1000 documents per request; got 1001/);
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("falls back along models when the provider answers 500, charging only the answer", async () => {
    const { key: own } = await fundedAccount("1");
    const response = await rerank(
      {
        model: MODEL,
        models: ["cohere/rerank-english-v3.0"],
        provider: { only: ["cohere"] },
        query: `[[emulate@cohere status=500 times=2]] capital ${nonce()}`,
        documents: DOCUMENTS,
      },
      own,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.model).toBe("cohere/rerank-english-v3.0");
    expect(response.headers.get("x-tollgate-attempts")).toMatch(/status=500.*status=500.*status=200/);
    await recordedGeneration(own, body.id);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("answers a 502 naming the stray document when the provider ranks one it was not sent, and charges nothing", async () => {
    const { key: own } = await fundedAccount("1");
    const marker = nonce();
    const response = await rerank(
      {
        model: MODEL,
        provider: { only: ["cohere"] },
        query: `[[emulate stray_result]] capital ${marker}`,
        documents: DOCUMENTS,
      },
      own,
    );
    expect(response.status).toBe(502);
    const { error } = (await response.json()) as any;
    expect(error.code).toBe(502);
    expect(error.message).toBe(`Cohere returned a result for document ${DOCUMENTS.length} of ${DOCUMENTS.length}`);
    expect(await emulatorRequests(marker)).toHaveLength(1);
    expect(await usageOnceCharged(own)).toBe(0);
  });

  it("fails over to Amazon Bedrock when Cohere answers 500: InvokeModel with api_version 2, charged once", async () => {
    const { key: own } = await fundedAccount("1");
    const marker = nonce();
    const response = await rerank(
      {
        model: MODEL,
        provider: { order: ["cohere", "amazon-bedrock"] },
        query: `[[emulate@cohere status=500]] capital of France ${marker}`,
        documents: DOCUMENTS,
        top_n: 1,
      },
      own,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.provider).toBe("Amazon Bedrock");
    expect(body.results).toHaveLength(1);
    expect(body.results[0].document.text).toBe(DOCUMENTS[body.results[0].index]);
    expect(response.headers.get("x-tollgate-attempts")).toMatch(/Cohere;status=500.*Amazon Bedrock;status=200/);
    const bedrock = (await emulatorRequests(marker)).find((r) => r.path.includes("/amazon-bedrock/"));
    expect(bedrock?.path).toMatch(/\/model\/cohere\.rerank-v3-5%3A0\/invoke$/);
    expect(bedrock?.body).toMatchObject({ api_version: 2, top_n: 1, documents: DOCUMENTS });
    // Bedrock reports no billed units: one search unit (4 short documents) by the gateway's count.
    expect(body.usage.search_units).toBe(1);
    expect(body.usage.cost).toBeCloseTo(SEARCH_UNIT_USD, 12);
    await recordedGeneration(own, body.id);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("402s a request whose search units the balance cannot cover, and calls no provider", async () => {
    const { key: poor } = await fundedAccount("0.001");
    const marker = nonce();
    const response = await rerank({ model: MODEL, query: `France ${marker}`, documents: DOCUMENTS }, poor);
    expect(response.status).toBe(402);
    expect(((await response.json()) as any).error.code).toBe(402);
    await sleep(100);
    expect(await emulatorRequests(marker)).toEqual([]);
    expect(await totalUsage(poor)).toBe(0);
  });

  it("reranks over RPC (a service binding) as over HTTP, typed", async () => {
    const rpc = (env as unknown as { TOLLGATE_RPC: Service<TollgateRpc> }).TOLLGATE_RPC;
    const ranked = await rpc.rerank(key, {
      model: MODEL,
      provider: { only: ["cohere"] },
      query: `bananas ${nonce()}`,
      documents: DOCUMENTS,
      top_n: 1,
    });
    const text: string | undefined = ranked.results[0]?.document.text;
    expect(text).toBe("Bananas are yellow.");
    expect(ranked.usage.cost).toBeCloseTo(SEARCH_UNIT_USD, 12);
  });

  it("lists rerank models under output_modalities=rerank, not in the default list", async () => {
    const ids = async (query: string) =>
      ((await (await gatewayFetch(`${BASE}/models${query}`)).json()) as any).data.map((m: any) => m.id);
    expect(await ids("")).not.toContain(MODEL);
    expect(await ids("?output_modalities=rerank")).toEqual(
      expect.arrayContaining([MODEL, "cohere/rerank-english-v3.0", "cohere/rerank-multilingual-v3.0"]),
    );
    const all = ((await (await gatewayFetch(`${BASE}/models?output_modalities=all`)).json()) as any).data;
    const model = all.find((m: any) => m.id === MODEL);
    expect(model.architecture.output_modalities).toEqual(["rerank"]);
    expect(model.pricing.search_unit).toBe("0.002");
  });
});

describe("Bedrock's rerank endpoint", () => {
  const request = { model: MODEL, query: "q", documents: ["a", "b"] };
  const bedrock = (region: string) =>
    testTarget({
      slug: "amazon-bedrock",
      model: "cohere.rerank-v3-5:0",
      baseUrl: `https://bedrock-runtime.${region}.amazonaws.com`,
      settings: { AWS_SECRET_ACCESS_KEY: "secret", AWS_REGION: region },
    });

  it("is skipped, with no call made, in a region where Bedrock does not serve Rerank 3.5", async () => {
    const refusal = await buildBedrockRerankRequest(request, bedrock("us-east-1")).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(EndpointRefusal);
    expect((refusal as Error).message).toMatch(/not offered by Amazon Bedrock in us-east-1.*AWS_REGION/);
  });

  it("is a signed InvokeModel call in a region that serves it", async () => {
    const call = await buildBedrockRerankRequest({ ...request, top_n: 1 }, bedrock("us-west-2"));
    expect(call.url).toBe("https://bedrock-runtime.us-west-2.amazonaws.com/model/cohere.rerank-v3-5%3A0/invoke");
    expect(call.init.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 .*\/us-west-2\/bedrock\/aws4_request/);
    expect(JSON.parse(call.init.body ?? "")).toEqual({ query: "q", documents: ["a", "b"], top_n: 1, api_version: 2 });
  });
});

describe("Cohere's /v2/rerank in the emulator", () => {
  const post = (body: Record<string, unknown>) =>
    fetch(`${inject("emulatorUrl")}/cohere/v2/rerank`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k" },
      body: JSON.stringify(body),
    });

  it("answers Cohere's shape: results by relevance, no documents, billed search units", async () => {
    const response = await post({ model: "rerank-v3.5", query: "capital of France", documents: DOCUMENTS, top_n: 2 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.id).toEqual(expect.any(String));
    expect(body.results).toHaveLength(2);
    expect(body.results[0]).toEqual({ index: expect.any(Number), relevance_score: expect.any(Number) });
    expect(body.results[0].relevance_score).toBeGreaterThanOrEqual(body.results[1].relevance_score);
    expect(body.meta.billed_units).toEqual({ search_units: 1 });
  });

  it("refuses what Cohere refuses", async () => {
    const refused: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ model: "rerank-v3.5", query: " ", documents: ["a"] }, 400, /query/],
      [{ model: "rerank-v3.5", query: "q", documents: [] }, 400, /documents/],
      [{ model: "rerank-v3.5", query: "q", documents: Array(1001).fill("d") }, 400, /at most 1000/],
      [{ model: "rerank-v3.5", query: "q", documents: ["a"], top_n: 0 }, 400, /top_n/],
      [{ model: "rerank-v3.5", query: "q", documents: ["a"], top_k: 1 }, 422, /parameter 'top_k' is not a valid field/],
    ];
    for (const [body, status, message] of refused) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(((await response.json()) as any).message).toMatch(message);
    }
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { BASE, emulatorRequests, fundedAccount, gatewayFetch, nonce } from "./support/gateway";

/**
 * Parameter parity of `/embeddings` per provider: what each upstream is sent, what is named as
 * dropped, and what is refused before any call because the provider cannot honour it.
 */
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

function embed(body: Record<string, unknown>) {
  return gatewayFetch(`${BASE}/embeddings`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** `count` distinct texts, the first carrying `marker` so the emulator's log can be searched. */
function texts(count: number, marker: string): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? `text ${marker}` : `text ${i}`));
}

describe("POST /embeddings parameter parity", () => {
  it("names `user` as dropped on providers whose embed APIs have no end-user field", async () => {
    for (const model of ["google/gemini-embedding-001", "cohere/embed-v4.0", "amazon/titan-embed-text-v2"]) {
      const marker = nonce();
      const response = await embed({ model, input: `hello ${marker}`, user: "user-42" });
      expect(response.status, model).toBe(200);
      expect(response.headers.get("x-tollgate-dropped-params"), model).toBe("user");
      const [upstream] = await emulatorRequests(marker);
      expect(JSON.stringify(upstream!.body), model).not.toContain("user-42");
    }
  });

  it("sends `user` to OpenAI, which takes it, and drops nothing", async () => {
    const marker = nonce();
    const response = await embed({
      model: "openai/text-embedding-3-small",
      provider: { only: ["openai"] },
      input: `hello ${marker}`,
      user: "user-42",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBeNull();
    expect(((await emulatorRequests(marker))[0]!.body as any).user).toBe("user-42");
  });

  it("refuses dimensions Titan v2 and Cohere embed-v4 do not offer, naming the ones they do, before any call", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ["amazon/titan-embed-text-v2", 16, /takes dimensions 256, 512, 1024; got 16/],
      ["cohere/embed-v4.0", 16, /takes dimensions 256, 512, 1024, 1536; got 16/],
    ];
    for (const [model, dimensions, message] of cases) {
      const marker = nonce();
      const response = await embed({ model, input: `hello ${marker}`, dimensions });
      expect(response.status, model).toBe(400);
      expect(((await response.json()) as any).error.message, model).toMatch(message);
      expect(await emulatorRequests(marker), model).toHaveLength(0);
    }
  });

  it("sends the dimensions they do offer, by each provider's own name", async () => {
    const cases: Array<[string, (body: any) => unknown]> = [
      ["amazon/titan-embed-text-v2", (body) => body.dimensions],
      ["cohere/embed-v4.0", (body) => body.output_dimension],
      ["google/gemini-embedding-001", (body) => body.requests[0].outputDimensionality],
    ];
    for (const [model, sent] of cases) {
      const marker = nonce();
      const response = await embed({ model, input: `hello ${marker}`, dimensions: 256 });
      expect(response.status, model).toBe(200);
      expect(((await response.json()) as any).data[0].embedding, model).toHaveLength(256);
      expect(sent((await emulatorRequests(marker))[0]!.body), model).toBe(256);
    }
  });

  it("refuses more inputs than one Cohere or Gemini call takes, naming the limit, before any call", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ["cohere/embed-v4.0", 97, /at most 96 inputs per request; got 97/],
      ["google/gemini-embedding-001", 101, /at most 100 inputs per request; got 101/],
    ];
    for (const [model, count, message] of cases) {
      const marker = nonce();
      const response = await embed({ model, input: texts(count, marker) });
      expect(response.status, model).toBe(400);
      expect(((await response.json()) as any).error.message, model).toMatch(message);
      expect(await emulatorRequests(marker), model).toHaveLength(0);
    }
    // At the limit, every input is embedded, in order.
    const marker = nonce();
    const response = await embed({ model: "cohere/embed-v4.0", input: texts(96, marker) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.data.map((d: any) => d.index)).toEqual([...Array(96).keys()]);
  });

  it("with require_parameters, skips endpoints that would drop input_type, as chat skips ones lacking a parameter", async () => {
    const marker = nonce();
    const response = await embed({
      model: "openai/text-embedding-3-small",
      models: ["cohere/embed-v4.0"],
      input: `hello ${marker}`,
      input_type: "query",
      provider: { require_parameters: true },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).provider).toBe("Cohere");
    expect(response.headers.get("x-tollgate-dropped-params")).toBeNull();
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).input_type).toBe("search_query");

    const alone = await embed({
      model: "openai/text-embedding-3-small",
      input: `hello ${nonce()}`,
      input_type: "query",
      provider: { require_parameters: true },
    });
    expect(alone.status).toBe(404);
    expect(((await alone.json()) as any).error.message).toMatch(/does not support input_type \(require_parameters\)/);
  });
});

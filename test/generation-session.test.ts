import { beforeAll, describe, expect, it } from "vitest";
import { BASE, chat, fundedAccount, gatewayFetch, openRouterClient, recordedGeneration } from "./support/gateway";

/**
 * A generation's record names the session its request named (OpenRouter's `session_id`: the body's,
 * else the `x-session-id` header, on every generating endpoint) and the request's `x-request-id`
 * (`request_id`), as /generation shows them.
 */

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("1"));
});

const MODEL = "openai/gpt-4o-mini";
const hello = [{ role: "user", content: "Hello" }];

async function generated(response: Response): Promise<{ record: any; requestId: string }> {
  expect(response.status).toBe(200);
  const { id } = (await response.json()) as { id: string };
  return { record: await recordedGeneration(key, id), requestId: response.headers.get("x-request-id") as string };
}

describe("a generation's session and request id", () => {
  it("chat: session_id from the body, as OpenRouter's SDK reads the record", async () => {
    const response = await chat(key, { model: MODEL, max_tokens: 5, messages: hello, session_id: "agent-run-7" });
    const { id } = (await response.clone().json()) as { id: string };
    const { record, requestId } = await generated(response);
    expect(record.session_id).toBe("agent-run-7");
    expect(record.request_id).toBe(requestId);
    const sdk = await openRouterClient(key).generations.getGeneration({ id });
    expect(sdk.data.sessionId).toBe("agent-run-7");
    expect(sdk.data.requestId).toBe(requestId);
  });

  it("chat: the x-session-id header when the body names none; the body's wins over it", async () => {
    const header = await generated(
      await chat(key, { model: MODEL, max_tokens: 5, messages: hello }, { "x-session-id": "from-header" }),
    );
    expect(header.record.session_id).toBe("from-header");
    const both = await generated(
      await chat(
        key,
        { model: MODEL, max_tokens: 5, messages: hello, session_id: "from-body" },
        { "x-session-id": "from-header" },
      ),
    );
    expect(both.record.session_id).toBe("from-body");
    const none = await generated(await chat(key, { model: MODEL, max_tokens: 5, messages: hello }));
    expect(none.record.session_id).toBeNull();
    expect(none.record.request_id).toBe(none.requestId);
  });

  it("a response-cache hit's record names its own session and request", async () => {
    const body = {
      model: MODEL,
      max_tokens: 5,
      messages: [{ role: "user", content: `cache me ${crypto.randomUUID()}` }],
    };
    const cached = { "x-openrouter-cache": "true" };
    const miss = await chat(key, body, { ...cached, "x-session-id": "first" });
    expect(miss.headers.get("x-openrouter-cache-status")).toBe("MISS");
    await miss.body?.cancel();
    const hit = await chat(key, body, { ...cached, "x-session-id": "second" });
    expect(hit.headers.get("x-openrouter-cache-status")).toBe("HIT");
    const { record, requestId } = await generated(hit);
    expect(record.session_id).toBe("second");
    expect(record.request_id).toBe(requestId);
    expect(record.total_cost).toBe(0);
  });

  it("embeddings: the x-session-id header groups them too; one over 256 characters is a 400", async () => {
    const embed = (headers: Record<string, string>) =>
      gatewayFetch(`${BASE}/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ model: "openai/text-embedding-3-small", input: "some text" }),
      });
    const { record } = await generated(await embed({ "x-session-id": "rag-session" }));
    expect(record.session_id).toBe("rag-session");
    const long = await embed({ "x-session-id": "s".repeat(257) });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).toBe(
      "x-session-id: at most 256 characters",
    );
  });
});

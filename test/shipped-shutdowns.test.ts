import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG_KV_KEY } from "../src/catalog/store";
import { type Catalog, CatalogSchema } from "../src/catalog/types";
import { putCatalog } from "./support/catalog";
import { BASE, chat, fundedAccount, gatewayFetch, openRouterClient } from "./support/gateway";
import { shippedCatalog } from "./support/suite-catalog";

/**
 * The shutdown dates the bundled catalog ships with (OpenAI's announced ones), served as an
 * operator would serve that catalog: the suite's own bundled catalog has none (see
 * support/suite-catalog.ts). Whatever the day the suite runs, each dated model is either listed
 * with its date or, from its day, refused with a 400 naming it.
 */

const GPT_4O_DAY = "2027-01-14";
const ANNOUNCED: Record<string, string> = {
  "openai/gpt-4o": GPT_4O_DAY,
  "openai/gpt-4o-mini": GPT_4O_DAY,
  "openai/gpt-4.1": GPT_4O_DAY,
  "openai/gpt-4.1-mini": GPT_4O_DAY,
  "openai/gpt-4o-transcribe": "2027-02-26",
  "openai/gpt-4o-mini-transcribe": "2027-02-26",
};
/** A model only this catalog lists, never dated: the probe that it is in force. */
const PROBE = "openai/gpt-6-luna-shipped-probe";

function shippedWithProbe(): Catalog {
  const luna = shippedCatalog.models.find((m) => m.id === "openai/gpt-6-luna");
  if (!luna) throw new Error("openai/gpt-6-luna is not in the bundled catalog");
  return CatalogSchema.parse({
    ...shippedCatalog,
    models: [...shippedCatalog.models, { ...luna, id: PROBE, canonical_slug: PROBE }],
  });
}

const today = () => new Date().toISOString().slice(0, 10);

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("1"));
  await putCatalog(shippedWithProbe(), PROBE);
});
afterAll(async () => {
  await env.CATALOG.delete(CATALOG_KV_KEY);
});

describe("the bundled catalog's announced shutdowns", () => {
  it("carries OpenAI's dates for GPT-4o, GPT-4.1 and their transcription models", () => {
    const dated = Object.fromEntries(
      shippedCatalog.models.filter((m) => m.expiration_date !== null).map((m) => [m.id, m.expiration_date]),
    );
    expect(dated).toEqual(ANNOUNCED);
  });

  it("/models lists each with its date until the day, and leaves it out from then", async () => {
    // Every kind of model (the transcription models are listed under their own modality).
    const response = await gatewayFetch(`${BASE}/models?output_modalities=all`);
    const { data } = (await response.json()) as { data: Array<{ id: string; expiration_date: string | null }> };
    for (const [id, date] of Object.entries(ANNOUNCED)) {
      const listed = data.find((m) => m.id === id);
      if (today() < date) expect(listed?.expiration_date, id).toBe(date);
      else expect(listed, id).toBeUndefined();
    }
    expect(data.find((m) => m.id === "openai/gpt-6-luna")?.expiration_date).toBeNull();
    // As OpenRouter's SDK reads the default list.
    const { data: chatModels } = (await openRouterClient(key).models.list({})).result;
    if (today() < GPT_4O_DAY) {
      expect(chatModels.find((m) => m.id === "openai/gpt-4o-mini")?.expirationDate).toBe(GPT_4O_DAY);
    }
  });

  it("GPT-4o mini is served until its day, and from it is a 400 naming the date", async () => {
    const response = await chat(key, {
      model: "openai/gpt-4o-mini",
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    });
    if (today() < GPT_4O_DAY) {
      expect(response.status).toBe(200);
      expect(((await response.json()) as { model: string }).model).toBe("openai/gpt-4o-mini");
    } else {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
        `openai/gpt-4o-mini was shut down by its provider on ${GPT_4O_DAY} (its expiration_date): choose another model`,
      );
    }
    const endpoints = await gatewayFetch(`${BASE}/models/openai/gpt-4o-mini/endpoints`);
    expect(endpoints.status).toBe(today() < GPT_4O_DAY ? 200 : 404);
    await endpoints.body?.cancel();
  });
});

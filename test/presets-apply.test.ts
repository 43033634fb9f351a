import { describe, expect, it } from "vitest";
import { type PresetSource, applyPreset as withPreset } from "../src/presets/apply";
import type { ChatRequest } from "../src/schema/chat";
import type { ActivePreset } from "../src/schema/presets";

/** The merge of a preset into a request, rule by rule (what reached the provider is presets.test.ts'). */

const preset = (config: ActivePreset["config"], system_prompt: string | null = null): ActivePreset => ({
  id: "p1",
  slug: "house",
  version: 1,
  config,
  system_prompt,
});
const user = [{ role: "user" as const, content: "hi" }];
const from = (active: ActivePreset) => (slug: string) => (slug === active.slug ? active : null);
/** The request as the preset leaves it. */
const applyPreset = async (request: ChatRequest, source: PresetSource) => (await withPreset(request, source)).request;

describe("applyPreset", () => {
  it("reads no preset for a request that names none, and returns it as it came", async () => {
    const request: ChatRequest = { model: "openai/gpt-4o", messages: user, temperature: 0.5 };
    const out = await applyPreset(request, () => {
      throw new Error("a request without a preset read one");
    });
    expect(out).toBe(request);
  });

  it("takes preset: null for no preset, dropping the field", async () => {
    const out = await applyPreset({ model: "openai/gpt-4o", preset: null, messages: user }, () => {
      throw new Error("a request without a preset read one");
    });
    expect(out.model).toBe("openai/gpt-4o");
  });

  it("lets the preset choose model and models under @preset/, the request's own models winning", async () => {
    const active = preset({ model: "openai/gpt-4o", models: ["openai/gpt-4o", "openai/gpt-4.1"] });
    expect(await applyPreset({ model: "@preset/house", messages: user }, from(active))).toEqual({
      model: "openai/gpt-4o",
      models: ["openai/gpt-4o", "openai/gpt-4.1"],
      messages: user,
    });
    const own = await applyPreset(
      { model: "@preset/house", models: ["openai/gpt-4.1-mini"], messages: user },
      from(active),
    );
    expect(own.models).toEqual(["openai/gpt-4.1-mini"]);
  });

  it("routes by the request's own model when it names one: the preset's model and models are not used", async () => {
    const active = preset({ model: "openai/gpt-4o", models: ["openai/gpt-4.1"], temperature: 0.2 });
    for (const request of [
      { model: "openai/gpt-4o-mini", preset: "house", messages: user },
      { model: "openai/gpt-4o-mini@preset/house", messages: user },
    ]) {
      const out = await applyPreset(request, from(active));
      expect(out).toEqual({ model: "openai/gpt-4o-mini", temperature: 0.2, messages: user });
    }
  });

  it("merges provider preferences field by field, the request's winning", async () => {
    const active = preset({ provider: { only: ["openai"], sort: "price" } });
    const out = await applyPreset(
      { model: "openai/gpt-4o", preset: "house", provider: { sort: "latency", zdr: null }, messages: user },
      from(active),
    );
    expect(out.provider).toEqual({ only: ["openai"], sort: "latency" });
  });

  it("replaces the preset's output limit and reasoning with the request's, whichever field names them", async () => {
    const active = preset({ max_tokens: 100, reasoning: { effort: "high" } });
    const out = await applyPreset(
      { model: "openai/gpt-4o", preset: "house", max_completion_tokens: 5, reasoning_effort: "low", messages: user },
      from(active),
    );
    expect(out.max_tokens).toBeUndefined();
    expect(out.max_completion_tokens).toBe(5);
    expect(out.reasoning).toBeUndefined();
    expect(out.reasoning_effort).toBe("low");
  });

  it("refuses a request left with no model, naming the preset", async () => {
    const active = preset({ temperature: 0.3 });
    await expect(applyPreset({ model: "@preset/house", messages: user }, from(active))).rejects.toThrow(
      /preset "house" names no model/,
    );
  });

  it("puts the preset's system prompt before the request's messages, and keeps a null field's preset value", async () => {
    const active = preset({ model: "openai/gpt-4o", temperature: 0.3 }, "Be brief.");
    const out = await applyPreset({ model: "@preset/house", temperature: null, messages: user }, from(active));
    expect(out.messages).toEqual([{ role: "system", content: "Be brief." }, ...user]);
    expect(out.temperature).toBe(0.3);
  });
});

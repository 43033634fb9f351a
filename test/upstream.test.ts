import { describe, expect, it } from "vitest";
import type { Provider } from "../src/catalog/types";
import type { Env } from "../src/env";
import { streamErrorType } from "../src/providers/errors";
import { resolveUpstream } from "../src/routing/upstream";

const provider = (slug: string, base: string, keyEnv: string) =>
  ({ slug, name: slug, adapter: "openai", base_url: base, api_key_env: keyEnv }) as Provider;
const env = (vars: Record<string, string>) => vars as unknown as Env;
const together = provider("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY");
const ollama = provider("ollama", "http://localhost:11434/v1", "OLLAMA_API_KEY");

describe("where a provider's requests go", () => {
  it("a configured key sends them to the catalog's URL, or to <SLUG>_BASE_URL when set", () => {
    expect(resolveUpstream(env({ TOGETHER_API_KEY: "k" }), together)).toMatchObject({
      baseUrl: "https://api.together.xyz/v1",
      apiKey: "k",
      emulated: false,
    });
    expect(
      resolveUpstream(env({ TOGETHER_API_KEY: "k", TOGETHER_BASE_URL: "https://proxy.example/v1/" }), together),
    ).toMatchObject({ baseUrl: "https://proxy.example/v1", apiKey: "k" });
  });

  it("no key: the bundled emulator when EMULATOR_URL is set (npm start, tests), keeping the catalog path", () => {
    expect(resolveUpstream(env({ EMULATOR_URL: "http://127.0.0.1:9/" }), together)).toMatchObject({
      baseUrl: "http://127.0.0.1:9/together/v1",
      emulated: true,
    });
  });

  it("a local vLLM/Ollama server needs only its base URL, no key", () => {
    const access = resolveUpstream(env({ OLLAMA_BASE_URL: "http://10.0.0.5:11434/v1" }), ollama);
    expect(access).toMatchObject({ baseUrl: "http://10.0.0.5:11434/v1", emulated: false });
  });

  it("a provider with neither key nor URL is not configured (routing skips it)", () => {
    expect(resolveUpstream(env({}), together)).toBeUndefined();
  });

  it("further settings are read by name for the adapters that need them", () => {
    const access = resolveUpstream(env({ TOGETHER_API_KEY: "k", AWS_REGION: "eu-west-1" }), together);
    expect(access?.setting("AWS_REGION")).toBe("eu-west-1");
    expect(access?.setting("MISSING")).toBeUndefined();
  });
});

describe("the error type of a failure a provider reports inside a started stream", () => {
  it("follows the provider's own code: overloads and rate limits are retryable, refusals are not", () => {
    const cases: Array<[string | undefined, string]> = [
      ["overloaded_error", "provider_overloaded"], // Anthropic
      ["throttlingException", "provider_overloaded"], // Bedrock
      ["RESOURCE_EXHAUSTED", "provider_overloaded"], // Gemini
      ["rate_limit_exceeded", "rate_limit_exceeded"], // OpenAI format
      ["content_filter", "content_policy_violation"],
      ["context_length_exceeded", "context_length_exceeded"],
      ["validationException", "invalid_request"],
      ["api_error", "provider_unavailable"],
      [undefined, "provider_unavailable"],
    ];
    for (const [code, type] of cases) expect(streamErrorType(code), String(code)).toBe(type);
  });
});

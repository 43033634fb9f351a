import type { Endpoint, Model, Provider } from "../../src/catalog/types";
import type { UpstreamTarget } from "../../src/providers/types";
import type { ChatRequest } from "../../src/schema/chat";

/** Every parameter of the catalog vocabulary a chat endpoint may support. */
export const CHAT_PARAMETERS = [
  "max_tokens",
  "temperature",
  "top_p",
  "top_k",
  "stop",
  "seed",
  "frequency_penalty",
  "presence_penalty",
  "tools",
  "tool_choice",
  "response_format",
  "structured_outputs",
  "reasoning",
  "include_reasoning",
];

/** An upstream target for adapter fixture tests: one provider, one endpoint, fixed credentials. */
export function testTarget(spec: {
  slug: string;
  model?: string;
  baseUrl?: string;
  maxCompletionTokens?: number | null;
  parameters?: string[];
  settings?: Record<string, string>;
  emulated?: boolean;
}): UpstreamTarget {
  return {
    provider: { slug: spec.slug, name: spec.slug } as Provider,
    endpoint: {
      provider_model_id: spec.model ?? "the-model",
      max_completion_tokens: spec.maxCompletionTokens ?? null,
      supported_parameters: spec.parameters ?? CHAT_PARAMETERS,
    } as Endpoint,
    model: {} as Model,
    baseUrl: spec.baseUrl ?? `https://${spec.slug}.example`,
    apiKey: "secret-key",
    emulated: spec.emulated ?? false,
    setting: (name) => spec.settings?.[name],
  };
}

/** A one-message chat request with the given extra fields. */
export const chatRequest = (extra: Partial<ChatRequest> = {}): ChatRequest =>
  ({ messages: [{ role: "user", content: "hi" }], ...extra }) as ChatRequest;

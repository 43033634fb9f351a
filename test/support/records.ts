import type { GenerationRecord } from "../../src/billing/contract";

/**
 * A settled generation's record as the gateway sends it to the Account object. Plain data, no
 * workerd import: the tests and the CPU benchmark (bench/cpu.ts) share it.
 */
export function generationRecord(
  id: string,
  keyHash: string,
  costNanos: number,
  extra: Partial<GenerationRecord> = {},
): GenerationRecord {
  return {
    id,
    keyHash,
    createdAt: Date.now(),
    model: "openai/gpt-4o-mini",
    providerName: "OpenAI",
    apiType: "completions",
    upstreamId: "chatcmpl-test",
    streamed: false,
    cancelled: false,
    finishReason: "stop",
    nativeFinishReason: "stop",
    tokensPrompt: 1000,
    tokensCompletion: 250,
    nativeTokensPrompt: 1000,
    nativeTokensCompletion: 250,
    nativeTokensReasoning: 0,
    nativeTokensCached: 0,
    nativeTokensCompletionImages: 0,
    numMediaCompletion: 0,
    usageEstimated: false,
    costNanos,
    latencyMs: 120,
    generationTimeMs: 800,
    appReferer: "https://app.example",
    appTitle: "Example App",
    user: null,
    presetId: null,
    sessionId: null,
    requestId: null,
    ...extra,
  };
}

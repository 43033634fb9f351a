import { describe, expect, it } from "vitest";
import type { UpstreamCall } from "../src/providers/types";
import { type ErrorParser, runAttempts } from "../src/routing/attempts";
import { HealthTracker } from "../src/routing/health";
import type { Attempt } from "../src/routing/plan";
import * as errors from "../src/schema/errors";

/**
 * Refusals raised while building an attempt's request, as the attempt loop takes them: none is a
 * verdict on the endpoint's health, and none leaves an open breaker's one probe marked in flight.
 */

const KEY = "cohere:cohere/embed-v4.0";
const attempt = {
  model: { id: "cohere/embed-v4.0" },
  endpoint: { provider: "cohere", context_length: 128_000 },
  provider: { name: "Cohere" },
  access: { baseUrl: "http://cohere.invalid", apiKey: "k", emulated: true, setting: () => undefined },
} as unknown as Attempt;

const adapter: ErrorParser = {
  parseError: () => ({ status: 500, upstreamStatus: 500, kind: "server", message: "unused" }),
} as unknown as ErrorParser;

/** A tracker whose breaker on KEY is open with its cooldown passed: the next attempt is its probe. */
function probing(): HealthTracker {
  let now = 0;
  const tracker = new HealthTracker({ failuresToOpen: 1, cooldownMs: 1000, windowSize: 10 }, () => now);
  tracker.recordFailure(KEY);
  now = 2000;
  expect(tracker.allow(KEY)).toBe(true);
  return tracker;
}

function run(tracker: HealthTracker, refusal: Error) {
  return runAttempts([attempt], {
    request: {},
    adapterFor: () => adapter,
    buildCall: (): UpstreamCall => {
      throw refusal;
    },
    stream: false,
    clientSignal: new AbortController().signal,
    headersTimeoutMs: 1000,
    health: tracker,
    sleep: async () => {},
  });
}

describe("refusals while building a request", () => {
  it("a fault of the request itself ends it at once, leaving an open breaker's probe for the next request", async () => {
    const tracker = probing();
    const refusal = new errors.GatewayError(400, "Invalid request: messages.0.content.1.image_url: not a valid URL");
    await expect(run(tracker, refusal)).rejects.toBe(refusal);
    expect(tracker.allow(KEY)).toBe(true);
    expect(tracker.snapshot(KEY)).toMatchObject({ state: "open", samples: 1 });
  });

  it("an endpoint's own limit skips it with no verdict on its health, and is the 400 when none is left", async () => {
    const tracker = probing();
    const refusal = new errors.EndpointRefusal("embed-v4.0 on Cohere embeds at most 96 inputs per request; got 97");
    const error = (await run(tracker, refusal).then(
      () => undefined,
      (e: unknown) => e,
    )) as errors.GatewayError;
    expect(error.status).toBe(400);
    expect(error.message).toBe(refusal.message);
    expect(error.metadata?.attempts).toEqual([
      { provider: "Cohere", model: "cohere/embed-v4.0", status: 400, reason: `skipped: ${refusal.message}` },
    ]);
    expect(tracker.allow(KEY)).toBe(true);
    expect(tracker.snapshot(KEY)).toMatchObject({ state: "open", samples: 1 });
  });
});

import type { Env } from "../env";
import { type Timeouts, timeoutsOf } from "../generation/timeouts";
import { health } from "./health";
import { type Attempt, type PlanInput, planAttempts } from "./plan";
import { resolveUpstream } from "./upstream";

/** The breakers' state and live figures: the isolate's, whatever the env. */
const isDown = (key: string) => health.isDown(key);
const figures = (key: string) => health.snapshot(key);

/** The settings the breakers were last configured from (timeoutsOf's, read once per isolate). */
let configuredFrom: Timeouts | undefined;

/**
 * planAttempts for a request this isolate serves, whatever its API (chat, embeddings, rerank,
 * audio): the providers the env can reach, the circuit breakers' state and the live latency and
 * throughput figures. The breakers take their settings from the env first (once per isolate:
 * the env is fixed for its life).
 */
export function planLive(env: Env, input: Omit<PlanInput, "access" | "isDown" | "figures">): Attempt[] {
  const settings = timeoutsOf(env);
  if (configuredFrom !== settings) {
    health.configure({ cooldownMs: settings.BREAKER_COOLDOWN_MS, failuresToOpen: settings.BREAKER_FAILURES });
    configuredFrom = settings;
  }
  // Every field named, not `...input`: one hidden class for every plan (see hot-shapes.ts).
  const { request, catalog, promptTokens, random, parameters, kind, hasAdapter } = input;
  return planAttempts({
    request,
    catalog,
    promptTokens,
    random,
    parameters,
    kind,
    hasAdapter,
    access: (provider) => resolveUpstream(env, provider),
    isDown,
    figures,
  });
}

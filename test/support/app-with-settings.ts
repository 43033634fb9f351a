import { createExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { env } from "../billing-support";
import { BASE } from "./gateway";

/**
 * A JSON POST to the app itself, past SELF, with some of its settings changed (the env's vars):
 * how a test runs the Worker as another operator configured it (Exa at a path of its own, a
 * feature off) while the rest of the suite shares the configured one.
 */
export function postWithSettings(
  settings: Record<string, string | undefined>,
  path: string,
  apiKey: string,
  body: unknown,
): Response | Promise<Response> {
  return worker.fetch(
    new Request(`${BASE}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    { ...env, ...settings },
    createExecutionContext(),
  );
}

import type { Fault } from "./directives";
import type { WireFormat } from "./format";
import { openaiChat, openaiCompletions, openaiEmbeddings, openaiError } from "./openai";
import type { Script } from "./script";

/**
 * Azure OpenAI (`…/openai/deployments/{deployment}/{operation}?api-version=…`): OpenAI's wire
 * format behind deployment URLs, `api-key` auth, a mandatory api-version, content-filter
 * annotations on replies, a first stream chunk with no choices (only prompt_filter_results), and
 * Azure's `content_filter` error (400, with innererror) for a prompt its filters block.
 */
type Json = Record<string, any>;

const SAFE = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};
const PROMPT_FILTER_RESULTS = [
  { prompt_index: 0, content_filter_results: { ...SAFE, jailbreak: { filtered: false, detected: false } } },
];
const PATH = /\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;

function azureError(status: number, code: string | undefined, retryAfter: number | undefined): Script {
  if (code === "content_policy_violation" || code === "content_filter") {
    return {
      status: 400,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        error: {
          message:
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
          type: null,
          param: "prompt",
          code: "content_filter",
          status: 400,
          innererror: {
            code: "ResponsibleAIPolicyViolation",
            content_filter_result: { ...SAFE, violence: { filtered: true, severity: "high" } },
          },
        },
      }),
    };
  }
  const script = openaiError(status, code, retryAfter);
  if (retryAfter !== undefined) script.headers["retry-after-ms"] = String(retryAfter * 1000);
  return script;
}

/** Azure's annotations added to an OpenAI reply (JSON body or stream frames). */
function annotate(script: Script, stream: boolean): Script {
  if (script.status !== 200) return script;
  if (!stream && typeof script.body === "string") {
    const body = JSON.parse(script.body) as Json;
    body.prompt_filter_results = PROMPT_FILTER_RESULTS;
    for (const choice of (body.choices ?? []) as Json[]) choice.content_filter_results = SAFE;
    return { ...script, body: JSON.stringify(body) };
  }
  if (stream && script.frames) {
    const first = {
      id: "",
      object: "",
      created: 0,
      model: "",
      choices: [],
      prompt_filter_results: PROMPT_FILTER_RESULTS,
    };
    return { ...script, frames: [`data: ${JSON.stringify(first)}\n\n`, ...script.frames] };
  }
  return script;
}

export const azureFormat: WireFormat = {
  name: "azure",
  matches: (rest, method) => method === "POST" && PATH.test(rest),
  authorized: (headers, url) =>
    typeof headers["api-key"] === "string" && headers["api-key"].length > 0 && url.searchParams.has("api-version"),
  error: azureError,
  handle: ({ rest, body, provider, fault }: { rest: string; body: Json; provider: string; fault: Fault }) => {
    const [, deployment = "", operation] = PATH.exec(rest) ?? [];
    const withModel = { ...body, model: deployment };
    if (operation === "embeddings") return openaiEmbeddings(withModel);
    if (operation === "completions") return openaiCompletions(withModel, provider, fault);
    return annotate(openaiChat(withModel, provider, fault), body.stream === true);
  },
};

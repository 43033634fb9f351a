import type { Context } from "hono";
import type { AppEnv } from "../context";
import type { AttemptReport } from "../routing/attempts";
import type { Attempt } from "../routing/plan";
import { serverToolType } from "../schema/server-tools";
import type { ServerToolCallRecord } from "../tools/server-tools";

/**
 * OpenRouter's router metadata (experimental): a request sent with `X-OpenRouter-Metadata:
 * enabled` (or the header's older name, `X-OpenRouter-Experimental-Metadata`) gets an
 * `openrouter_metadata` object on its reply, saying what the router did: the model asked for, the
 * endpoints it planned, the attempts it made and the one that answered. Any other value, or none,
 * is off (its SDK's MetadataLevel).
 */
export interface RouterMetadata {
  /** The model as the client asked for it (the first of `models` when it sent a list). */
  requested: string;
  /** `fallback` for a list of models, `free` for a `:free` variant, else `direct`. */
  strategy: "direct" | "fallback" | "free";
  /** The Cloudflare location that served the request (`cf.colo`); null where there is none (locally). */
  region: string | null;
  summary: string;
  /** The answering attempt's place among the attempts (1 for the first). */
  attempt: number;
  attempts: Array<{ model: string; provider: string; status: number }>;
  is_byok: false;
  /** The endpoints the plan held, in its order, the one that answered `selected`. */
  endpoints: { available: Array<{ model: string; provider: string; selected: boolean }>; total: number };
  /** Milliseconds from the answering call's dispatch to the end of its body. */
  generation_time: number;
  /** What ran beside the model (server tools, plugins, response healing), where anything did. */
  pipeline?: PipelineStage[];
}

/** One step the router ran beside the model call (its SDK's PipelineStage). */
export interface PipelineStage {
  type: "server_tools" | "plugin" | "response_healing";
  name: string;
  summary?: string;
}

/**
 * The steps a request ran beside the model, as the metadata's `pipeline` lists them: each server
 * tool it called (by type, with its calls), the `web` plugin's search (its results), and the
 * response-healing plugin (the choices it repaired).
 */
export function pipelineOf(ran: {
  calls?: readonly ServerToolCallRecord[];
  webResults?: number;
  healing?: { repaired: number };
}): PipelineStage[] {
  const stages: PipelineStage[] = [];
  const byKind = new Map<ServerToolCallRecord["kind"], { calls: number; completed: number }>();
  for (const call of ran.calls ?? []) {
    const count = byKind.get(call.kind) ?? { calls: 0, completed: 0 };
    count.calls++;
    if (call.completed) count.completed++;
    byKind.set(call.kind, count);
  }
  for (const [kind, { calls, completed }] of byKind) {
    stages.push({
      type: "server_tools",
      name: serverToolType(kind),
      summary: `${counted(calls, "call")}, ${completed} completed`,
    });
  }
  if (ran.webResults !== undefined) {
    stages.push({ type: "plugin", name: "web", summary: counted(ran.webResults, "result") });
  }
  if (ran.healing) {
    stages.push({
      type: "response_healing",
      name: "response-healing",
      summary: `${counted(ran.healing.repaired, "choice")} repaired`,
    });
  }
  return stages;
}

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** The opt-in header, and its older name. */
export const METADATA_HEADER = "x-openrouter-metadata";
const LEGACY_METADATA_HEADER = "x-openrouter-experimental-metadata";

/** Whether the request opted in to router metadata. */
export function wantsRouterMetadata(c: Context<AppEnv>): boolean {
  const value = c.req.header(METADATA_HEADER) ?? c.req.header(LEGACY_METADATA_HEADER);
  return value?.trim().toLowerCase() === "enabled";
}

/** The router's metadata of a request once an attempt answered it (`reports`: every attempt made). */
export type RouterMetadataOf = (
  answered: { attempt: Attempt; startedAt: number },
  reports: readonly AttemptReport[],
) => RouterMetadata;

/** What the router did for one request, as its reply reports it. */
export function routerMetadata(
  c: Context<AppEnv>,
  request: { model?: string | null; models?: string[] | null },
  plan: readonly Attempt[],
  answered: { attempt: Attempt; startedAt: number },
  reports: readonly AttemptReport[],
  pipeline: PipelineStage[] = [],
): RouterMetadata {
  const requested = request.model ?? request.models?.[0] ?? answered.attempt.model.id;
  const strategy = (request.models?.length ?? 0) > 1 ? "fallback" : requested.endsWith(":free") ? "free" : "direct";
  const selected = answered.attempt;
  const available = plan.map((a) => ({ model: a.model.id, provider: a.provider.name, selected: a === selected }));
  let attempt = reports.length;
  for (let i = reports.length - 1; i >= 0; i--) {
    if (reports[i]?.provider === selected.provider.name && reports[i]?.model === selected.model.id) {
      attempt = i + 1;
      break;
    }
  }
  const colo = (c.req.raw as { cf?: { colo?: unknown } }).cf?.colo;
  return {
    requested,
    strategy,
    region: typeof colo === "string" ? colo : null,
    summary: `${counted(plan.length, "candidate endpoint")}; ${selected.provider.name} served ${selected.model.id} on attempt ${attempt}`,
    attempt,
    attempts: reports.map(({ model, provider, status }) => ({ model, provider, status })),
    is_byok: false,
    endpoints: { available, total: available.length },
    generation_time: Math.max(0, Date.now() - answered.startedAt),
    ...(pipeline.length > 0 ? { pipeline } : {}),
  };
}

import type { KeyRecord } from "./auth/keys";
import type { Env } from "./env";
import type { StickyRoute } from "./routing/sticky";
import type { ActivePreset } from "./schema/presets";
import type { ServerToolCallRecord } from "./tools/server-tools";

/** App attribution read from `HTTP-Referer` and `X-Title`, kept with the generation record. */
export interface Attribution {
  referer: string | null;
  title: string | null;
}

/** Hono's environment for every route: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** When the request arrived (epoch ms): a generation's latency and timings count from it. */
    receivedAt: number;
    auth: KeyRecord;
    attribution: Attribution;
    /** The model a generation request asked for, for the request line of one refused before it ran. */
    requestedModel: string | null;
    /** Set when a generation writes its own (richer) log line, so the request line is skipped. */
    generationLogged: boolean;
    /** The preset the request named (presets/request.ts): its id is in the generation's record. */
    preset: ActivePreset | null;
    /** A chat request's sticky routing (routing/sticky.ts): told which endpoint answered it. */
    sticky: StickyRoute | null;
    /**
     * The server-tool calls a chat request's loop runs (filled as they run; unset for a request
     * without server tools): the Responses API, answered through chat, lists them in its output.
     */
    serverToolCalls: readonly ServerToolCallRecord[] | undefined;
    /**
     * Those calls with the searches the endpoint ran natively among them, in the order they ran
     * (ServerTools.shown): the Messages API shows them as Anthropic's blocks.
     */
    serverToolCallsShown: readonly ServerToolCallRecord[] | undefined;
    /** The reply a generation built with its stamp already in its headers (stamp.ts). */
    stampedReply: Response | undefined;
  };
}

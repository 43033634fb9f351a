import * as z from "zod/mini";
import type { FunctionTool } from "./chat";
import { items } from "./items";

/**
 * OpenRouter's server tools (beta): `{type: "openrouter:web_search" | "openrouter:datetime",
 * parameters}` in a chat request's `tools`, run by the gateway when the model calls them
 * (tools/server-tools.ts). Each is parsed here into the function tool the model is shown, carrying
 * what the gateway needs to run it (`server_tool`, never sent upstream), so every later step sees
 * the `tools` it already knows. Other `openrouter:*` tools are refused, naming the type.
 */

/** A server tool as the gateway runs it. */
export type ServerToolSpec =
  | {
      kind: "web_search";
      /**
       * `native`: the endpoint's own search (tools/native-web-search.ts), only on endpoints that
       * have one; `exa`: the gateway's loop with Exa; `auto`: native where the endpoint has it, else Exa.
       */
      engine: "auto" | "native" | "exa";
      /** Results of one search (Exa's `numResults`). */
      maxResults: number;
      /** Searches the model may run in the request; further calls get an error result. */
      maxUses: number;
      /** Results across the request's searches; past them a search gets an error result. */
      maxTotalResults: number;
      /** Each result's text, at most (`max_characters`, else `search_context_size`'s). */
      maxCharacters: number;
      /** `user_location`'s fields given: Exa biases results by its country, a native search takes them all. */
      userLocation?: ApproximateLocation;
      includeDomains?: string[];
      excludeDomains?: string[];
    }
  | { kind: "datetime"; timezone: string }
  /** Models of the catalog found a search, at most. */
  | { kind: "search_models"; maxResults: number }
  | {
      kind: "web_fetch";
      /** `auto` (Exa where the gateway has it, else direct), `exa`, or `openrouter` (direct). */
      engine: "auto" | "exa" | "openrouter";
      /** Fetches the model may run in the request; further calls get an error result. */
      maxUses: number;
      /** A page's text, at most, in tokens (of CHARACTERS_PER_TOKEN characters). */
      maxContentTokens: number;
      allowedDomains?: string[];
      blockedDomains?: string[];
    };

/** A user's approximate location (OpenRouter's and Anthropic's `user_location`, less its `type`), country upper case. */
export interface ApproximateLocation {
  city?: string;
  region?: string;
  country?: string;
  timezone?: string;
}

/** The function tool a server tool is shown to the model as, with its spec. */
export type ExposedServerTool = FunctionTool & { server_tool: ServerToolSpec };

/**
 * Defaults and bounds (OpenRouter's defaults: 5 results a search, 50 results a request), the `web`
 * plugin's too where it has the same setting (search/web.ts).
 */
export const SERVER_SEARCH_LIMITS = {
  defaultResults: 5,
  maxResults: 10,
  defaultUses: 5,
  maxUses: 10,
  defaultTotalResults: 50,
  /** A result's text, in characters: the gateway's default (the `web` plugin's), and the most asked. */
  defaultCharacters: 1000,
  maxCharacters: 100_000,
};

/** `search_context_size`'s fixed cap on a result's text with Exa, as OpenRouter documents it. */
const CONTEXT_SIZE_CHARACTERS = { low: 5_000, medium: 15_000, high: 30_000 } as const;

/** Whether `zone` is an IANA time zone the runtime knows. */
function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const Domains = items(z.string().check(z.regex(/^\S{1,253}$/, "a domain (no spaces)")), (array) =>
  array.check(z.maxLength(100, "at most 100 domains")),
);

/** OpenRouter's `user_location` (Anthropic's too): an approximate one. */
const UserLocation = z.looseObject({
  type: z.nullish(z.literal("approximate")),
  country: z.nullish(z.string().check(z.regex(/^[A-Za-z]{2}$/, "a two-letter ISO 3166-1 country code"))),
  city: z.nullish(z.string()),
  region: z.nullish(z.string()),
  timezone: z.nullish(z.string()),
});

const WebSearchParameters = z
  .looseObject({
    engine: z.nullish(
      z.enum(["auto", "native", "exa"], {
        error:
          'this gateway searches natively or with Exa: "auto", "native" or "exa" (firecrawl, parallel, perplexity are not run here)',
      }),
    ),
    max_results: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(SERVER_SEARCH_LIMITS.maxResults))),
    max_uses: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(SERVER_SEARCH_LIMITS.maxUses))),
    max_total_results: z.nullish(z.number().check(z.int(), z.gte(1))),
    max_characters: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(SERVER_SEARCH_LIMITS.maxCharacters))),
    search_context_size: z.nullish(z.enum(["low", "medium", "high"])),
    // OpenRouter's approximate location; Exa biases results by its country alone, a native search takes it all.
    user_location: z.nullish(UserLocation),
    allowed_domains: z.nullish(Domains),
    excluded_domains: z.nullish(Domains),
  })
  .check(
    z.refine((p) => !(p.allowed_domains?.length && p.excluded_domains?.length), {
      message: "allowed_domains and excluded_domains cannot be used together",
      path: ["excluded_domains"],
    }),
  );

/**
 * Web fetch's bounds: OpenRouter caps its own fetcher at 50 a request; the defaults are the
 * gateway's (OpenRouter documents none), kept small because the request holds for every page its
 * loop may read, in every later turn's prompt.
 */
export const SERVER_FETCH_LIMITS = {
  defaultUses: 5,
  maxUses: 50,
  defaultContentTokens: 10_000,
  maxContentTokens: 200_000,
};

const WebFetchParameters = z.looseObject({
  engine: z.nullish(
    z.enum(["auto", "exa", "openrouter"], {
      error:
        'this gateway fetches with Exa or directly: "auto", "exa" or "openrouter" (native, firecrawl, parallel are not run here)',
    }),
  ),
  max_uses: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(SERVER_FETCH_LIMITS.maxUses))),
  max_content_tokens: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(SERVER_FETCH_LIMITS.maxContentTokens))),
  allowed_domains: z.nullish(Domains),
  blocked_domains: z.nullish(Domains),
});

const SearchModelsParameters = z.looseObject({
  // OpenRouter's bounds: 5 by default, at most 20.
  max_results: z.nullish(z.number().check(z.int(), z.gte(1), z.lte(20))),
});

const DatetimeParameters = z.looseObject({
  timezone: z.nullish(z.string().check(z.refine(knownZone, 'an IANA time zone name (e.g. "America/New_York")'))),
});

/** Each server tool's `type`, by its kind (the model search is OpenRouter's experiment, and says so). */
const SERVER_TOOL_TYPE: Record<ServerToolSpec["kind"], string> = {
  web_search: "openrouter:web_search",
  web_fetch: "openrouter:web_fetch",
  datetime: "openrouter:datetime",
  search_models: "openrouter:experimental__search_models",
};
const KIND_OF_TYPE = new Map(
  Object.entries(SERVER_TOOL_TYPE).map(([kind, type]) => [type, kind as ServerToolSpec["kind"]]),
);

export const serverToolType = (kind: ServerToolSpec["kind"]) => SERVER_TOOL_TYPE[kind];

/** The server tools this gateway runs, as a 400 lists them. */
export const SERVER_TOOL_TYPES = Object.values(SERVER_TOOL_TYPE)
  .map((type) => JSON.stringify(type))
  .join(", ");

/** The function name the model is shown `openrouter:web_search` by. */
export const WEB_SEARCH_FUNCTION_NAME = "web_search";

/**
 * For a request whose web search tool is written its API's way (the settings on the tool itself:
 * Responses' `web_search_preview`, Anthropic's `web_search_20250305`) and sent on as
 * `openrouter:web_search`: puts a 400's paths of that tool's parameters back where the request had
 * them. `pathOf(parameter, index)` names a parameter of the tool at `index` (among `tools`, those
 * `isWritten` picks) as the request did; other tools' paths stay as they are.
 */
export function serverToolPathsRenamer<T>(
  tools: readonly T[],
  isWritten: (tool: T) => boolean,
  pathOf: (parameter: string, index: number) => string,
): (text: string) => string {
  const written = new Set(tools.flatMap((tool, index) => (isWritten(tool) ? [index] : [])));
  return (text) =>
    text.replace(/\btools\.(\d+)\.parameters\.(\w+)/g, (whole, at: string, parameter: string) =>
      written.has(Number(at)) ? `tools.${at}.${pathOf(parameter, Number(at))}` : whole,
    );
}

/** `user_location`'s non-empty fields, as the spec keeps them (none: nothing). */
function locationOf(location: z.infer<typeof UserLocation> | null | undefined): { userLocation?: ApproximateLocation } {
  const kept: ApproximateLocation = {};
  for (const field of ["city", "region", "timezone"] as const) {
    const value = location?.[field]?.trim();
    if (value) kept[field] = value;
  }
  if (location?.country) kept.country = location.country.toUpperCase();
  return Object.keys(kept).length > 0 ? { userLocation: kept } : {};
}

/** A function the model is shown with one required string argument. */
const oneArgument = (name: string, description: string, argument: string, about: string) => ({
  name,
  description,
  parameters: {
    type: "object",
    properties: { [argument]: { type: "string", description: about } },
    required: [argument],
  },
});

/** What the model is shown of each tool: its name, what it does, and its arguments. */
const WEB_SEARCH_FUNCTION = oneArgument(
  WEB_SEARCH_FUNCTION_NAME,
  "Search the web for current information. Returns the most relevant pages with their URL and text.",
  "query",
  "What to search for",
);
const WEB_FETCH_FUNCTION = oneArgument(
  "web_fetch",
  "Fetch a web page or document by its URL. Returns its URL, title and readable text, or an error saying why it could not be read.",
  "url",
  "The page's absolute http(s) URL",
);
const SEARCH_MODELS_FUNCTION = oneArgument(
  "search_models",
  "Search the AI models this gateway can route to, by name, maker or capability. Returns each match's id, name, description, context length, input and output modalities, and price per token in USD.",
  "query",
  "Words to look for (e.g. a model's name or maker)",
);
const DATETIME_FUNCTION = {
  name: "datetime",
  description: "Get the current date and time (ISO 8601).",
  parameters: { type: "object", properties: {} },
};

/** The function a server tool is shown to the model as. */
type ShownFunction = ExposedServerTool["function"];

/** One server tool: the function the model is shown, and its spec read from the tool's `parameters` (or their issues). */
interface ServerToolKind {
  shown: ShownFunction;
  read: (parameters: unknown) => ServerToolSpec | z.core.$ZodIssue[];
}

function serverToolKind<S extends z.ZodMiniType>(
  shown: ShownFunction,
  parameters: S,
  spec: (p: z.output<S>) => ServerToolSpec,
): ServerToolKind {
  return {
    shown,
    read: (value) => {
      const parsed = parameters.safeParse(value ?? {});
      return parsed.success ? spec(parsed.data) : parsed.error.issues;
    },
  };
}

const SERVER_TOOL_KINDS: Record<ServerToolSpec["kind"], ServerToolKind> = {
  web_search: serverToolKind(WEB_SEARCH_FUNCTION, WebSearchParameters, (p) => ({
    kind: "web_search",
    engine: p.engine ?? "auto",
    maxResults: p.max_results ?? SERVER_SEARCH_LIMITS.defaultResults,
    maxUses: p.max_uses ?? SERVER_SEARCH_LIMITS.defaultUses,
    maxTotalResults: p.max_total_results ?? SERVER_SEARCH_LIMITS.defaultTotalResults,
    // max_characters wins over search_context_size, as on OpenRouter.
    maxCharacters:
      p.max_characters ??
      (p.search_context_size ? CONTEXT_SIZE_CHARACTERS[p.search_context_size] : SERVER_SEARCH_LIMITS.defaultCharacters),
    ...locationOf(p.user_location),
    ...(p.allowed_domains?.length ? { includeDomains: p.allowed_domains } : {}),
    ...(p.excluded_domains?.length ? { excludeDomains: p.excluded_domains } : {}),
  })),
  web_fetch: serverToolKind(WEB_FETCH_FUNCTION, WebFetchParameters, (p) => ({
    kind: "web_fetch",
    engine: p.engine ?? "auto",
    maxUses: p.max_uses ?? SERVER_FETCH_LIMITS.defaultUses,
    maxContentTokens: p.max_content_tokens ?? SERVER_FETCH_LIMITS.defaultContentTokens,
    ...(p.allowed_domains?.length ? { allowedDomains: p.allowed_domains } : {}),
    ...(p.blocked_domains?.length ? { blockedDomains: p.blocked_domains } : {}),
  })),
  datetime: serverToolKind(DATETIME_FUNCTION, DatetimeParameters, (p) => ({
    kind: "datetime",
    timezone: p.timezone ?? "UTC",
  })),
  search_models: serverToolKind(SEARCH_MODELS_FUNCTION, SearchModelsParameters, (p) => ({
    kind: "search_models",
    maxResults: p.max_results ?? 5,
  })),
};

/**
 * A `tools` entry whose type starts with `openrouter:`: a supported one becomes its function tool;
 * any other type is refused here (a bad `parameters` field, by its path).
 */
export const ServerTool = z.pipe(
  z.looseObject({ type: z.string() }),
  z.transform((tool, ctx): ExposedServerTool => {
    const fail = (path: PropertyKey[], message: string) => {
      ctx.issues.push({ code: "custom", message, input: tool, path });
      return z.NEVER;
    };
    const known = KIND_OF_TYPE.get(tool.type);
    if (known) {
      const kind = SERVER_TOOL_KINDS[known];
      const spec = kind.read(tool.parameters);
      if (Array.isArray(spec)) {
        const issue = spec[0];
        return fail(["parameters", ...(issue?.path ?? [])], issue?.message ?? "invalid");
      }
      return { type: "function", function: kind.shown, server_tool: spec };
    }
    return fail(
      ["type"],
      `${JSON.stringify(tool.type)} is not supported by this gateway (its server tools: ${SERVER_TOOL_TYPES})`,
    );
  }),
);

/**
 * `stop_server_tools_when` (OpenRouter's): conditions that end the server-tool loop, any one
 * firing. One fires after a turn that calls server tools: those calls still run, and one last turn
 * is asked for the answer with tools off, so a stop on cost or tokens is a threshold, not a
 * ceiling. `step_count_is` also sets how many turns may call tools (the gateway's default is 4;
 * at most MAX_TOOL_STEPS), and the request's hold covers that many.
 */
export const MAX_TOOL_STEPS = 30;
export const StopServerToolsWhen = items(
  z.discriminatedUnion("type", [
    z.object({
      type: z.literal("step_count_is"),
      step_count: z.number().check(z.int(), z.gte(1), z.lte(MAX_TOOL_STEPS)),
    }),
    z.object({ type: z.literal("has_tool_call"), tool_name: z.string().check(z.minLength(1)) }),
    z.object({ type: z.literal("max_cost"), max_cost_in_dollars: z.number().check(z.nonnegative()) }),
    z.object({ type: z.literal("max_tokens_used"), max_tokens: z.number().check(z.int(), z.nonnegative()) }),
    z.object({ type: z.literal("finish_reason_is"), reason: z.string().check(z.minLength(1)) }),
  ]),
  (array) => array.check(z.maxLength(16, "at most 16 conditions")),
);
export type StopCondition = z.infer<typeof StopServerToolsWhen>[number];

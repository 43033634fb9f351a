import type { RouterRoute } from "hono/types";
import { GatewayError } from "./schema/errors";

/**
 * The methods each route of the app answers, to tell a wrong method on a known path (405, with
 * `Allow`) from an unknown path (404). Built from the app's routes on first use, once they are
 * all mounted; middleware (method ALL) names no route.
 */
export function methodNotAllowed(routes: () => RouterRoute[]): (method: string, path: string) => GatewayError | null {
  let table: Array<{ pattern: RegExp; methods: Set<string> }> | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const route of routes()) {
      if (route.method === "ALL") continue;
      const methods = byPath.get(route.path) ?? new Set<string>();
      methods.add(route.method);
      // hono answers HEAD with a GET route.
      if (route.method === "GET") methods.add("HEAD");
      byPath.set(route.path, methods);
    }
    return [...byPath].map(([path, methods]) => ({ pattern: patternOf(path), methods }));
  };
  return (method, path) => {
    table ??= build();
    const allowed = new Set<string>();
    for (const route of table) if (route.pattern.test(path)) for (const m of route.methods) allowed.add(m);
    if (allowed.size === 0 || allowed.has(method)) return null;
    const allow = [...allowed].sort().join(", ");
    return new GatewayError(405, `Method ${method} is not allowed on ${path} (allowed: ${allow})`, undefined, {
      allow,
    });
  };
}

/** A hono route path (`/models/:author/:slug/endpoints`, `/x/*`) as a regular expression. */
function patternOf(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => {
      if (segment === "*") return ".*";
      if (segment.startsWith(":")) return "[^/]+";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}/?$`);
}

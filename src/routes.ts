import { HonoBase } from "hono/hono-base";
import { TrieRouter } from "hono/router/trie-router";
import type { AppEnv } from "./context";

/** The app, and each group of its routes (src/api). */
export type Routes = HonoBase<AppEnv>;

/**
 * A new app or group of routes: hono's, with its trie router alone. Hono's default app tries its
 * RegExpRouter first and falls back to the trie for routes beyond it, which this API's are (a
 * static segment beside a parameter: `/models/count` and `/models/:author/:slug/endpoints`), so
 * the RegExpRouter only added to the bundle and to each isolate's start.
 */
export const routes = (): Routes => new HonoBase<AppEnv>({ router: new TrieRouter() });

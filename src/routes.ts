import { HonoBase } from "hono/hono-base";
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
import type { AppEnv } from "./context";
import { cachedIn } from "./refreshing";

/** The app, and each group of its routes (src/api). */
export type Routes = HonoBase<AppEnv>;

/** Distinct method-and-path pairs whose match is remembered (more start the memory over). */
const REMEMBERED_MATCHES = 256;

/**
 * Hono's trie router, with each method and path's match remembered: a match is the same every
 * time for the same path (its parameters are in the path), and walking the trie splits the path
 * and sorts the handlers of every middleware it passes, ~8 µs of each request under load, where a
 * remembered one is a map lookup. Adding a route forgets them all.
 */
class RememberingRouter<T> implements Router<T> {
  readonly name = "RememberingRouter";
  readonly #trie = new TrieRouter<T>();
  readonly #matches = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.#matches.clear();
    this.#trie.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    return cachedIn(this.#matches, `${method} ${path}`, REMEMBERED_MATCHES, () => this.#trie.match(method, path));
  }
}

/**
 * A new app or group of routes: hono's, with its trie router alone (each match remembered). Hono's
 * default app tries its RegExpRouter first and falls back to the trie for routes beyond it, which
 * this API's are (a static segment beside a parameter: `/models/count` and
 * `/models/:author/:slug/endpoints`), so the RegExpRouter only added to the bundle and to each
 * isolate's start.
 */
export const routes = (): Routes => new HonoBase<AppEnv>({ router: new RememberingRouter() });

import type { AccountDurableObject } from "./billing/account-do";

/** Bindings, vars and secrets of the Tollgate Worker (see wrangler.toml). */
export interface Env {
  /** SHA-256(key) -> KeyRecord. */
  KEYS: KVNamespace;
  /** Operator catalog override under the key "catalog". */
  CATALOG: KVNamespace;
  /** One Account Durable Object per account: keys state, credits, reservations, generations. */
  ACCOUNTS: DurableObjectNamespace<AccountDurableObject>;
  /** Region new Account objects start in (`wnam`, `enam`, `weur`, `apac`…); see billing/client. */
  ACCOUNT_LOCATION_HINT?: string;
  /**
   * "off": every upstream call waits for its request's reservation. By default a key's request
   * whose worst case fits in the room the key's last reservation left starts its first upstream
   * call while its reservation is in flight (see billing/head-start.ts).
   */
  UPSTREAM_HEAD_START?: string;
  /**
   * "off": a chat generation that ended in an error finish, or produced nothing and never
   * finished, is charged for what the provider counted. By default it is not charged at all
   * (OpenRouter's zero completion insurance: generation/insurance.ts).
   */
  ZERO_COMPLETION_INSURANCE?: string;
  /**
   * Milliseconds a busy key's lease may be used for in an isolate (default 1000; "0": no
   * leases, every request reserves with the Account object). See billing/leases.ts.
   */
  KEY_LEASE_MS?: string;
  /** Seconds the catalog is cached in the isolate and the Cache API. */
  CATALOG_TTL_SECONDS?: string;
  /** Bearer token of the operator admin API (`/api/v1/admin/*`); the API is off when unset. */
  ADMIN_TOKEN?: string;
  /**
   * Base URL of the bundled provider emulators (set by `npm start` and the tests). Providers
   * with no API key configured are sent to `${EMULATOR_URL}/${provider slug}/…` instead.
   */
  EMULATOR_URL?: string;
  /**
   * "allow": image URLs on loopback and private addresses are fetched too (the emulator's, for
   * `npm start` and the tests). By default they are refused; see providers/private-address.ts.
   */
  IMAGE_FETCH_PRIVATE?: string;
  /** Where tiktoken vocabularies are fetched from (`<url>/<encoding>.json`); see transforms/tokenizer. */
  TOKENIZER_URL?: string;
  /**
   * Workers AI (`[ai] binding = "AI"` in wrangler.toml, off by default): PDFs read for models that
   * cannot read them, free, with its document conversion (files/workers-ai.ts).
   */
  AI?: Pick<Ai, "toMarkdown">;
}

/**
 * Provider secrets (e.g. `OPENAI_API_KEY`) and base URL overrides (e.g. `OPENAI_BASE_URL`) are
 * named by the catalog, so they are read by name rather than declared one by one.
 */
export function readEnvString(env: Env, name: string): string | undefined {
  const value = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

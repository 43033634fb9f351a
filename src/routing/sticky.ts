import type { Endpoint } from "../catalog/types";
import { cachedIn } from "../refreshing";
import type { ChatRequest, Message } from "../schema/chat";
import { type Attempt, endpointKey } from "./plan";

/**
 * Provider sticky routing, as OpenRouter routes: a conversation's next request goes first to the
 * endpoint that served it last, so that the prompt cache it warmed there is read instead of
 * written again at another provider. Per account, per model and per conversation, where a
 * conversation is what the client names (`session_id` in the body, else the `x-session-id`
 * header, else OpenAI's `prompt_cache_key`), or else its opening (the first system or developer
 * message and the first other one, hashed). A named conversation is pinned by any answer; an
 * unnamed one only once its provider reports a cache read. Only endpoints whose cache reads cost
 * less than their prompt are pinned (nothing is saved elsewhere), a request with
 * `provider.order` routes as it says, and a pin lapses after 10 minutes without an answer.
 *
 * A request for `openrouter/auto` is pinned by the router's name, to the model and endpoint that
 * answered it: while that model is still among the router's, the conversation goes back to it.
 *
 * A pin only reorders the plan: its endpoint goes first, the others keep their order behind it,
 * so an endpoint that fails (or whose breaker is open) falls back as any would, and its failure
 * leaves the pin as it was. Kept in the isolate's memory, as provider health is: requests of a
 * conversation usually land on the same location, and a pin missed costs a cache write, not an
 * error.
 */

const AUTO_ROUTER = "openrouter/auto";

/** A pin lapses after this long without a request its endpoint answered. */
export const STICKY_IDLE_MS = 10 * 60_000;
/** Account and model pairs kept per isolate, and conversations per pair: past either, they start over. */
const MAX_PAIRS = 4096;
const MAX_CONVERSATIONS = 1024;

interface Pin {
  endpoint: string;
  at: number;
}

/** Pins by account and model, then by conversation: a pair with none skips hashing the opening. */
const pins = new Map<string, Map<string, Pin>>();

const pairOf = (accountId: string, modelId: string) => `${accountId}\n${modelId}`;

/** Whether pinning `endpoint` can save anything: its cache reads are cheaper than its prompt. */
export const cachesCheaper = (endpoint: Endpoint): boolean => {
  const read = endpoint.pricing.input_cache_read;
  return read !== undefined && Number(read) < Number(endpoint.pricing.prompt);
};

/**
 * One request's conversation and what routing does with it: `order` puts its pinned endpoint
 * first, `served` pins the endpoint that answered it.
 */
export class StickyRoute {
  private constructor(
    private readonly accountId: string,
    /** The name the client gave the conversation, or undefined: its opening is hashed when needed. */
    private readonly named: string | undefined,
    private readonly messages: readonly Message[] | undefined,
    /** `openrouter/auto` when the request asks the router: pinned by its name, to any of its models. */
    private readonly router: string | undefined,
  ) {}

  /**
   * The request's sticky routing, or null when it has none: an explicit `provider.order` routes
   * as it says. `sessionId` is the session the request names (schema/chat.ts sessionIdOf).
   */
  static of(accountId: string, request: ChatRequest, sessionId: string | null): StickyRoute | null {
    if (request.provider?.order?.length) return null;
    const named = sessionId ?? (request.prompt_cache_key ? `cache-key:${request.prompt_cache_key}` : undefined);
    return new StickyRoute(
      accountId,
      named === undefined ? undefined : `named:${named}`,
      request.messages,
      request.model === AUTO_ROUTER ? AUTO_ROUTER : undefined,
    );
  }

  private hashed: string | undefined;

  /** The conversation's key: its name, or its opening's hash (computed once, on first need). */
  private get key(): string {
    if (this.named !== undefined) return this.named;
    this.hashed ??= `opening:${openingHash(this.messages ?? [])}`;
    return this.hashed;
  }

  /** The plan with the conversation's pinned endpoint first (of the first attempt's model), if it has one. */
  order(attempts: Attempt[], now = Date.now()): Attempt[] {
    const first = attempts[0];
    if (!first || attempts.length < 2) return attempts;
    const pair = pins.get(pairOf(this.accountId, this.router ?? first.model.id));
    if (!pair) return attempts;
    const pin = pair.get(this.key);
    if (!pin) return attempts;
    if (now - pin.at > STICKY_IDLE_MS) {
      pair.delete(this.key);
      return attempts;
    }
    // The model's own endpoints only (a `models` list's fallbacks stay behind it), or the router's any.
    const at = attempts.findIndex(
      (a) => (this.router || a.model.id === first.model.id) && endpointKey(a.model, a.endpoint) === pin.endpoint,
    );
    if (at <= 0 || !cachesCheaper((attempts[at] as Attempt).endpoint)) return attempts;
    return [attempts[at] as Attempt, ...attempts.slice(0, at), ...attempts.slice(at + 1)];
  }

  /**
   * `attempt` answered the conversation, `cachedTokens` of its prompt read from the provider's
   * cache: a named conversation is pinned to it (its pin's time renewed), an unnamed one once the
   * provider reports a cache read.
   */
  served(attempt: Attempt, cachedTokens: number, now = Date.now()): void {
    if (this.named === undefined && !(cachedTokens > 0)) return;
    if (!cachesCheaper(attempt.endpoint)) return;
    const pair = cachedIn(
      pins,
      pairOf(this.accountId, this.router ?? attempt.model.id),
      MAX_PAIRS,
      () => new Map<string, Pin>(),
    );
    if (pair.size >= MAX_CONVERSATIONS && !pair.has(this.key)) pair.clear();
    pair.set(this.key, { endpoint: endpointKey(attempt.model, attempt.endpoint), at: now });
  }
}

/**
 * A conversation's opening, hashed: its first system (or developer) message and its first other
 * message, as OpenRouter identifies a conversation no name is given for. Not a secret: two
 * 32-bit FNV-1a hashes of the openings' JSON, kept only beside the account's own pins.
 */
export function openingHash(messages: readonly Message[]): string {
  const system = messages.find((m) => m.role === "system" || m.role === "developer");
  const other = messages.find((m) => m.role !== "system" && m.role !== "developer");
  const text = JSON.stringify([system?.content ?? null, other?.role ?? null, other?.content ?? null]);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
  }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

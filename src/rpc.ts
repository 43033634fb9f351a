import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "./env";
import type { ErrorBody } from "./schema/errors";

/**
 * Tollgate for other Workers, over a service binding (RPC), without leaving Cloudflare:
 *
 *   [[services]]
 *   binding = "TOLLGATE"
 *   service = "tollgate"
 *   entrypoint = "TollgateRpc"
 *
 * Every method takes the caller's Tollgate API key and runs the same request path as HTTP
 * (auth, validation, routing, reservation, settlement), so keys, limits and credits apply alike.
 * `fetch` through the binding works too and is the HTTP API itself.
 */

/** A failed call: OpenRouter's error body with its HTTP status, as a thrown Error over RPC. */
export class TollgateRpcError extends Error {
  constructor(readonly body: ErrorBody) {
    // RPC carries an Error's message (not custom fields), so the message holds the whole body.
    super(JSON.stringify(body));
    this.name = "TollgateRpcError";
  }
}

/** The subset of a chat request a binding caller sends; any OpenRouter/OpenAI field is accepted. */
export type RpcChatRequest = Record<string, unknown> & { messages: unknown[]; model?: string };

const ORIGIN = "https://tollgate.rpc";

export class TollgateRpc extends WorkerEntrypoint<Env> {
  /** The HTTP API, for callers that prefer `env.TOLLGATE.fetch(...)`. */
  override async fetch(request: Request): Promise<Response> {
    const { default: worker } = await import("./index");
    return worker.fetch(request, this.env, this.ctx);
  }

  /** A non-streaming chat completion: the same JSON as `POST /api/v1/chat/completions`. */
  async chatCompletion(apiKey: string, request: RpcChatRequest): Promise<Record<string, unknown>> {
    const response = await this.call(apiKey, "POST", "/api/v1/chat/completions", { ...request, stream: false });
    return (await response.json()) as Record<string, unknown>;
  }

  /** A streaming chat completion: the SSE bytes, as a ReadableStream over RPC. */
  async chatCompletionStream(apiKey: string, request: RpcChatRequest): Promise<ReadableStream<Uint8Array>> {
    const response = await this.call(apiKey, "POST", "/api/v1/chat/completions", { ...request, stream: true });
    return response.body as ReadableStream<Uint8Array>;
  }

  /** `GET /api/v1/models` (no key needed). */
  async listModels(): Promise<{ data: Array<Record<string, unknown>> }> {
    const response = await this.call(undefined, "GET", "/api/v1/models");
    return (await response.json()) as { data: Array<Record<string, unknown>> };
  }

  /** `GET /api/v1/key` for the given key. */
  async keyInfo(apiKey: string): Promise<Record<string, unknown>> {
    const response = await this.call(apiKey, "GET", "/api/v1/key");
    return ((await response.json()) as { data: Record<string, unknown> }).data;
  }

  private async call(apiKey: string | undefined, method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const response = await this.fetch(
      new Request(`${ORIGIN}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    if (!response.ok) throw new TollgateRpcError((await response.json()) as ErrorBody);
    return response;
  }
}

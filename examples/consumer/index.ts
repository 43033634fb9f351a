// A Worker that uses Tollgate through a service binding (RPC), never leaving Cloudflare.
// wrangler.toml binds `TOLLGATE` to the `TollgateRpc` entrypoint of the deployed `tollgate` Worker,
// and TOLLGATE_KEY is a Tollgate API key set with `wrangler secret put TOLLGATE_KEY`.
// The binding is typed from Tollgate's own source (a type-only import: nothing of it is bundled
// here), so requests and replies are checked by the compiler.
import type {
  RpcChatRequest,
  RpcCompletionRequest,
  RpcEmbeddingsRequest,
  RpcErrorBody,
  RpcResponsesRequest,
  TollgateRpc,
} from "../../src/rpc";

interface Env {
  TOLLGATE: Service<TollgateRpc>;
  TOLLGATE_KEY: string;
  MODEL?: string;
  EMBEDDING_MODEL?: string;
}

/** A refused call's error as RPC delivers it: an Error whose message ends in Tollgate's error body. */
function refusal(error: unknown): Response {
  const message = error instanceof Error ? error.message : String(error);
  try {
    const body = JSON.parse(message.slice(message.indexOf("{"))) as RpcErrorBody;
    return Response.json(body, { status: body.error.code });
  } catch {
    return Response.json({ error: { code: 500, message } }, { status: 500 });
  }
}

const sse = (stream: ReadableStream<Uint8Array>) =>
  new Response(stream, { headers: { "content-type": "text/event-stream" } });

export default {
  /**
   * GET /ask?q=…                 — a chat completion over RPC (`&stream=1`: the SSE stream, passed through)
   * GET /complete?q=…[&stream=1] — a legacy text completion over RPC
   * GET /respond?q=…[&stream=1]  — OpenAI's Responses API over RPC (`&stream=1`: its SSE events)
   * GET /embed?q=…               — embeddings of the text over RPC
   * GET /models                  — the catalog over RPC
   * GET /key, /credits           — the key's and the account's figures over RPC
   * GET /generation?id=…         — one generation's stats over RPC
   * GET /http/…                  — Tollgate's HTTP API through the binding's fetch
   */
  async fetch(request: Request, env: Env): Promise<Response> {
    // Tests pass a key per request; a deployment uses the TOLLGATE_KEY secret.
    const key = request.headers.get("x-tollgate-key") ?? env.TOLLGATE_KEY;
    const url = new URL(request.url);
    const q = url.searchParams.get("q");
    const streamed = url.searchParams.has("stream");
    try {
      switch (url.pathname) {
        case "/ask": {
          const body: RpcChatRequest = {
            model: env.MODEL ?? "openai/gpt-6-luna",
            messages: [{ role: "user", content: q ?? "Hello" }],
          };
          if (streamed) return sse(await env.TOLLGATE.chatCompletionStream(key, body));
          // Typed: completion.choices[0]?.message.content is a string or null, usage.cost a number.
          return Response.json(await env.TOLLGATE.chatCompletion(key, body));
        }
        case "/complete": {
          const body: RpcCompletionRequest = { model: env.MODEL ?? "openai/gpt-6-luna", prompt: q ?? "Hello" };
          if (streamed) return sse(await env.TOLLGATE.completionStream(key, body));
          return Response.json(await env.TOLLGATE.completion(key, body));
        }
        case "/respond": {
          const body: RpcResponsesRequest = { model: env.MODEL ?? "openai/gpt-6-luna", input: q ?? "Hello" };
          if (streamed) return sse(await env.TOLLGATE.responsesStream(key, body));
          // Typed: response.output[0] is a message, reasoning or function_call item; usage?.cost a number.
          return Response.json(await env.TOLLGATE.responses(key, body));
        }
        case "/embed": {
          // No text sends an empty one, which Tollgate refuses with OpenRouter's 400.
          const body: RpcEmbeddingsRequest = {
            model: env.EMBEDDING_MODEL ?? "openai/text-embedding-3-small",
            input: q ?? "",
          };
          return Response.json(await env.TOLLGATE.embeddings(key, body));
        }
        case "/models":
          return Response.json(await env.TOLLGATE.listModels());
        case "/key":
          return Response.json(await env.TOLLGATE.keyInfo(key));
        case "/credits":
          return Response.json(await env.TOLLGATE.credits(key));
        case "/generation":
          return Response.json(await env.TOLLGATE.generation(key, url.searchParams.get("id") ?? ""));
      }
      if (url.pathname.startsWith("/http/")) {
        const headers = new Headers(request.headers);
        headers.set("authorization", `Bearer ${key}`);
        const path = url.pathname.slice("/http".length) + url.search;
        return env.TOLLGATE.fetch(
          new Request(`https://tollgate${path}`, { method: request.method, headers, body: request.body }),
        );
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      return refusal(error);
    }
  },
} satisfies ExportedHandler<Env>;

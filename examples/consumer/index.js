// A Worker that uses Tollgate through a service binding (RPC), never leaving Cloudflare.
// wrangler.toml binds `TOLLGATE` to the `TollgateRpc` entrypoint of the deployed `tollgate` Worker,
// and TOLLGATE_KEY is a Tollgate API key set with `wrangler secret put TOLLGATE_KEY`.

export default {
  /**
   * GET /ask?q=…               — a chat completion over RPC
   * GET /ask?q=…&stream=1      — the SSE stream over RPC, passed through
   * GET /complete?q=…[&stream=1] — a legacy text completion over RPC
   * GET /embed?q=…             — embeddings of the text over RPC
   * GET /models                — the catalog over RPC
   * GET /key, /credits         — the key's and the account's figures over RPC
   * GET /generation?id=…       — one generation's stats over RPC
   * GET /http/…                — Tollgate's HTTP API through the binding's fetch
   * @param {Request} request
   * @param {{ TOLLGATE: any, TOLLGATE_KEY: string, MODEL?: string, EMBEDDING_MODEL?: string }} env
   */
  async fetch(request, env) {
    // Tests pass a key per request; a deployment uses the TOLLGATE_KEY secret.
    env = { ...env, TOLLGATE_KEY: request.headers.get("x-tollgate-key") ?? env.TOLLGATE_KEY };
    const url = new URL(request.url);
    try {
      if (url.pathname === "/ask") {
        const body = {
          model: env.MODEL ?? "openai/gpt-4o-mini",
          messages: [{ role: "user", content: url.searchParams.get("q") ?? "Hello" }],
        };
        if (url.searchParams.get("stream")) {
          const stream = await env.TOLLGATE.chatCompletionStream(env.TOLLGATE_KEY, body);
          return new Response(stream, { headers: { "content-type": "text/event-stream" } });
        }
        return Response.json(await env.TOLLGATE.chatCompletion(env.TOLLGATE_KEY, body));
      }
      if (url.pathname === "/complete") {
        const body = { model: env.MODEL ?? "openai/gpt-4o-mini", prompt: url.searchParams.get("q") ?? "Hello" };
        if (url.searchParams.get("stream")) {
          const stream = await env.TOLLGATE.completionStream(env.TOLLGATE_KEY, body);
          return new Response(stream, { headers: { "content-type": "text/event-stream" } });
        }
        return Response.json(await env.TOLLGATE.completion(env.TOLLGATE_KEY, body));
      }
      if (url.pathname === "/embed") {
        const body = {
          model: env.EMBEDDING_MODEL ?? "openai/text-embedding-3-small",
          input: url.searchParams.get("q"),
        };
        return Response.json(await env.TOLLGATE.embeddings(env.TOLLGATE_KEY, body));
      }
      if (url.pathname === "/models") return Response.json(await env.TOLLGATE.listModels());
      if (url.pathname === "/key") return Response.json(await env.TOLLGATE.keyInfo(env.TOLLGATE_KEY));
      if (url.pathname === "/credits") return Response.json(await env.TOLLGATE.credits(env.TOLLGATE_KEY));
      if (url.pathname === "/generation") {
        return Response.json(await env.TOLLGATE.generation(env.TOLLGATE_KEY, url.searchParams.get("id") ?? ""));
      }
      if (url.pathname.startsWith("/http/")) {
        const path = url.pathname.slice("/http".length) + url.search;
        const headers = new Headers(request.headers);
        headers.set("authorization", `Bearer ${env.TOLLGATE_KEY}`);
        return env.TOLLGATE.fetch(
          new Request(`https://tollgate${path}`, { method: request.method, headers, body: request.body }),
        );
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      // TollgateRpcError's message is Tollgate's OpenRouter-shaped error body.
      const message = error instanceof Error ? error.message : String(error);
      try {
        const body = JSON.parse(message.slice(message.indexOf("{")));
        return Response.json(body, { status: body.error?.code ?? 500 });
      } catch {
        return Response.json({ error: { code: 500, message } }, { status: 500 });
      }
    }
  },
};

// A reference Worker for `BENCH_BUFFERED=1`: what any gateway must do that the passthrough does
// not, and nothing else. It reads the request body and parses it, sends it re-serialised, and
// parses and re-serialises a JSON reply; a stream goes through a JavaScript transform, chunk by
// chunk. No auth, routing, accounting or logging: the runtime's floor for a Worker that handles
// bodies in JavaScript rather than piping them, between the passthrough and Tollgate.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const body = JSON.parse(await request.text());
    const upstream = await fetch(`${env.UPSTREAM_URL}${url.pathname}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: request.headers.get("authorization") ?? "" },
      body: JSON.stringify(body),
    });
    if (body.stream) {
      const relay = new TransformStream({
        transform(chunk, controller) {
          controller.enqueue(chunk);
        },
      });
      return new Response(upstream.body.pipeThrough(relay), {
        status: upstream.status,
        headers: { "content-type": "text/event-stream" },
      });
    }
    return Response.json(JSON.parse(await upstream.text()), { status: upstream.status });
  },
};

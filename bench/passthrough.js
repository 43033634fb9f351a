// The bare passthrough Worker: the runtime's own limit for "a Worker that proxies to an upstream".
// No auth, no parsing, no accounting: the request goes to UPSTREAM_URL with the same path and
// body, and the upstream's response (stream or not) comes back untouched.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(`${env.UPSTREAM_URL}${url.pathname}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
};

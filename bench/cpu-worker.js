// `npm run bench:cpu`'s Worker: Tollgate's bundle (bench/.build) with a probe in front that runs
// operations inside the isolate, many at a time, so that the workerd process's CPU over a batch
// is the CPU of those operations alone: no HTTP server, no load generator, no proxy in between.
// Anything else is handed to Tollgate itself (the admin API that seeds the account).
import * as tollgate from "./.build/index.js";

/** Tollgate's Account object, plus an empty method: what a call to the object costs by itself. */
export class AccountDurableObject extends tollgate.AccountDurableObject {
  ping() {
    return null;
  }
}

const MESSAGES = [{ role: "user", content: "Say hello" }];
const RPC_REQUEST = { model: "openai/gpt-4o-mini", messages: MESSAGES };
const CHAT_BODY = JSON.stringify(RPC_REQUEST);
/** The same request as the provider receives it (its own model name), as bench/run.ts sends it. */
const UPSTREAM_BODY = JSON.stringify({ model: "gpt-4o-mini", messages: MESSAGES });

let sequence = 0;
const newGenerationId = () => `gen-cpu-${Date.now()}-${++sequence}`;

/** One operation of each kind; each throws on a reply that is not what a client would accept. */
function operations(env, ctx, params) {
  // `record` is a settled generation's record as the gateway sends it (test/support/records.ts).
  const { key, accountId, keyHash, record } = params;
  const stub = () => env.ACCOUNTS.get(env.ACCOUNTS.idFromName(accountId));
  /** A request's reservation of a $0.001 worst case, as the gateway sends it. */
  const reservation = (generationId) => ({
    keyHash,
    generationId,
    worstCaseNanos: 1_000_000,
    promptCostNanos: 1_000,
    completionPriceAtto: "600000000000",
    maxOutputTokens: 1_000,
    maxTokensRequested: false,
  });
  // The reservation each cycle settles, as the next request's reservation carries it under load.
  let previous = null;
  // The lease object-settle-16's generations run under (granted by its first call).
  let lease = null;
  const expectOk = async (response) => {
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${response.status}: ${text.slice(0, 300)}`);
  };
  return {
    upstream: async () =>
      expectOk(
        await fetch(`${env.EMULATOR_URL}/openai/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: "Bearer bench", "content-type": "application/json" },
          body: UPSTREAM_BODY,
        }),
      ),
    chat: async () =>
      expectOk(
        await tollgate.default.fetch(
          new Request("https://tollgate.bench/api/v1/chat/completions", {
            method: "POST",
            headers: {
              authorization: `Bearer ${key}`,
              "content-type": "application/json",
              "content-length": String(CHAT_BODY.length),
            },
            body: CHAT_BODY,
          }),
          env,
          ctx,
        ),
      ),
    // A service-binding caller's chat completion, minus the transport between the two Workers.
    "rpc-chat": async () => {
      const completion = await new tollgate.TollgateRpc(ctx, env).chatCompletion(key, RPC_REQUEST);
      if (!completion.choices?.length) throw new Error(`rpc-chat: ${JSON.stringify(completion).slice(0, 300)}`);
    },
    // A busy key's gathered settlements: under its lease, 16 in one call.
    "object-settle-16": async () => {
      if (!lease) {
        lease = `lease-${newGenerationId()}`;
        const reply = await stub().reserve({
          ...reservation(newGenerationId()),
          lease: { id: lease, nanos: 1_000_000_000_000, ms: 10_000 },
        });
        if (!reply.ok || !reply.lease) throw new Error(`no lease: ${JSON.stringify(reply)}`);
      }
      const settles = Array.from({ length: 16 }, () => {
        const id = newGenerationId();
        return { keyHash, generationId: id, record: { ...record, id }, leaseId: lease };
      });
      const reply = await stub().settleMany(settles);
      const failed = reply.find((outcome) => "failed" in outcome || outcome.duplicate);
      if (failed) throw new Error(`settle failed: ${JSON.stringify(failed)}`);
    },
    "object-call": async () => {
      await stub().ping();
    },
    "object-cycle": async () => {
      const generationId = newGenerationId();
      const settles = previous ? [{ keyHash, generationId: previous, record: { ...record, id: previous } }] : [];
      previous = generationId;
      const reply = await stub().reserveAfter(settles, reservation(generationId));
      if (!reply.reserve.ok) throw new Error(`reserve refused: ${reply.reserve.message}`);
      const failed = reply.settled.find((outcome) => "failed" in outcome);
      if (failed) throw new Error(`settle failed: ${failed.failed}`);
    },
  };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== "/__cpu") return tollgate.default.fetch(request, env, ctx);
    const params = await request.json();
    const operation = operations(env, ctx, params)[params.op];
    if (!operation) return new Response(`unknown op ${params.op}`, { status: 400 });
    // `concurrency` lanes, each running operations back to back until `count` have run.
    let started = 0;
    const lane = async () => {
      while (started < params.count) {
        started++;
        await operation();
      }
    };
    try {
      await Promise.all(Array.from({ length: params.concurrency }, lane));
    } catch (error) {
      return new Response(String(error), { status: 500 });
    }
    return new Response("done");
  },
};

/**
 * Setup file (vitest.config.ts `setupFiles`): the gateway's per-request JSON log lines
 * (observability.ts logLine, `{"time":…}` on stdout) stop here, in the test Worker, instead of
 * going to the runner as console output that nobody would see.
 *
 * Besides being most of a run's output, they could keep the runner from ever exiting. In the pool,
 * console output is a call to the runner, sent over the runner's WebSocket; written from within a
 * request to the gateway (SELF.fetch), the call is made from that request's context, and the pool
 * then sends it through a subrequest that it keeps alive with the request's waitUntil. That needs
 * the request's handler context, which code run by the runtime from an event has not: a client
 * that leaves a stream aborts the request's signal, and the gateway ends the stream, settles it and
 * writes its log line from that abort listener (streaming/chat-stream.ts clientGone). Such a line's
 * subrequest is cancelled when the request's last waitUntil (its settlement) ends; the call is
 * never answered, the test Worker waits for it before it stops, and the runner waits for the
 * Worker: provider-chaos.test.ts, with clients leaving on shared keys, hung most runs that way
 * after its test passed.
 *
 * Tests that check the log lines spy on console.log, which sees them before this does.
 */
const REQUEST_LOG_LINE = '{"time":';
const QUIETED = Symbol.for("tollgate.test.quietRequestLogs");

type QuietConsole = Console & { [QUIETED]?: true };

const target = console as QuietConsole;
if (!target[QUIETED]) {
  const log = target.log;
  target.log = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith(REQUEST_LOG_LINE)) return;
    log.apply(target, args);
  };
  target[QUIETED] = true;
}

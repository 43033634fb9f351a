import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fault } from "./directives";
import type { LoggedRequest, Outcome } from "./log";

/**
 * What a wire-format module wants sent, independent of faults; `play` sends it with the fault's
 * delays, cuts, stalls and resets applied, at the socket level, like a real failing upstream.
 */
export interface Script {
  status: number;
  headers: Record<string, string>;
  /** A complete body (non-streaming replies and errors). */
  body?: string | Uint8Array;
  /** Stream frames, already framed for the wire (SSE text or binary event-stream messages). */
  frames?: Array<string | Uint8Array>;
  /** Frames that end the stream normally (`data: [DONE]`); dropped by `no_done`. */
  terminator?: Array<string | Uint8Array>;
  /** A broken frame of this format, sent instead of the 2nd frame by `malformed`. */
  malformedFrame?: string | Uint8Array;
}

const STALL_MAX_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function play(
  script: Script,
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  entry: LoggedRequest,
): Promise<void> {
  let clientGone = false;
  res.on("close", () => {
    entry.closedAt = Date.now();
    if (!res.writableFinished) {
      clientGone = true;
      if (entry.outcome === "pending") finish(entry, "client_closed");
    }
  });
  const finishWith = (outcome: Outcome) => {
    if (entry.outcome === "pending") finish(entry, outcome);
  };
  /** Goes quiet until the client leaves (or STALL_MAX_MS), then drops the connection. */
  const stall = async () => {
    finishWith("stalled");
    const deadline = Date.now() + STALL_MAX_MS;
    while (!clientGone && Date.now() < deadline) await sleep(50);
    req.socket.destroy();
  };

  if (fault.reset) {
    finishWith("reset");
    req.socket.destroy();
    return;
  }
  if (fault.delay_ms) await sleep(fault.delay_ms);
  if (clientGone) return;
  entry.status = script.status;

  if (!script.frames) {
    if (fault.ttft_ms) await sleep(fault.ttft_ms);
    if (clientGone) return;
    const body = fault.malformed && script.status < 400 ? '{"id": "broken' : (script.body ?? "");
    res.writeHead(script.status, { ...script.headers, "content-length": String(Buffer.byteLength(body)) });
    entry.firstByteAt = Date.now();
    if (fault.stall_after !== undefined && script.status < 400) {
      // A whole answer stalls after its headers and the first half of its body (an error reply,
      // which a streaming request may get too, is sent whole: stall_after counts stream frames).
      res.write(typeof body === "string" ? body.slice(0, body.length >> 1) : body.subarray(0, body.length >> 1));
      await stall();
      return;
    }
    res.end(body);
    finishWith(script.status >= 400 ? "error" : "completed");
    return;
  }

  res.writeHead(script.status, script.headers);
  res.flushHeaders();
  entry.firstByteAt = Date.now();
  if (fault.ttft_ms) await sleep(fault.ttft_ms);
  const frames = [...script.frames, ...(fault.no_done ? [] : (script.terminator ?? []))];
  for (let i = 0; i < frames.length; i++) {
    if (clientGone) return;
    if (fault.cut_after !== undefined && i >= fault.cut_after) {
      finishWith("cut");
      // What was written reaches the client, then the connection drops mid-body.
      while (req.socket.writableLength > 0 && !req.socket.destroyed) await sleep(2);
      await sleep(10);
      req.socket.destroy();
      return;
    }
    if (fault.stall_after !== undefined && i >= fault.stall_after) {
      await stall();
      return;
    }
    if (i > 0 && fault.chunk_delay_ms) await sleep(fault.chunk_delay_ms);
    if (i > 0 && i === fault.pause_after && fault.pause_ms) await sleep(fault.pause_ms);
    if (clientGone) return;
    const frame = fault.malformed && i === 1 && script.malformedFrame !== undefined ? script.malformedFrame : frames[i];
    const ok = res.write(frame as string | Uint8Array);
    if (!ok) await new Promise<void>((resolve) => res.once("drain", () => resolve()));
  }
  if (clientGone) return;
  res.end();
  finishWith("completed");
}

function finish(entry: LoggedRequest, outcome: Outcome): void {
  entry.outcome = outcome;
  entry.endedAt = Date.now();
}

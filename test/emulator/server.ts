import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { anthropicFormat } from "./anthropic";
import { uploadOf } from "./audio";
import { azureFormat } from "./azure";
import { bedrockFormat } from "./bedrock";
import { cohereFormat } from "./cohere";
import { faultFor, parseDirectives } from "./directives";
import { exaFormat } from "./exa";
import type { WireFormat } from "./format";
import { googleFormat } from "./google";
import { serveImage } from "./images";
import { RequestLog } from "./log";
import { mistralOcrFormat } from "./mistral-ocr";
import { openaiError, openaiRoute } from "./openai";
import { play } from "./script";
import { serveWeb, WEB_PATH } from "./web";
import { workersAiFormat } from "./workers-ai";

/**
 * The bundled provider emulators: one loopback HTTP server, `/{provider slug}/{provider path}`.
 * The path after the slug picks the wire format; faults come from `[[emulate …]]` directives in
 * the prompt. Used by the tests, `npm start` and the benchmark.
 */

const openaiFormat: WireFormat = {
  name: "openai",
  matches: (rest, method) =>
    (method === "POST" &&
      /\/(chat\/completions|completions|responses|embeddings|audio\/transcriptions|audio\/speech)$/.test(rest)) ||
    (method === "GET" && rest.endsWith("/models")),
  authorized: (headers) => /^Bearer\s+\S+/i.test(headers.authorization ?? ""),
  error: (status, code, retryAfter) => openaiError(status, code, retryAfter),
  handle: ({ rest, method, body, provider, fault }) =>
    openaiRoute(rest, method, body, provider, fault) ?? openaiError(404, "not_found"),
};

/** Formats are tried in order; more specific paths (e.g. Anthropic's /v1/messages) come first. */
export const formats: WireFormat[] = [
  exaFormat,
  anthropicFormat,
  azureFormat,
  bedrockFormat,
  cohereFormat,
  googleFormat,
  mistralOcrFormat,
  workersAiFormat,
  openaiFormat,
];

export function registerFormat(format: WireFormat): void {
  if (!formats.some((f) => f.name === format.name)) formats.unshift(format);
}

/** Strings of the body that carry a directive: the `times` counter key, the same at every provider. */
function directiveTexts(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.includes("[[emulate")) out.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) directiveTexts(item, out);
  } else if (value && typeof value === "object") {
    for (const item of Object.values(value)) directiveTexts(item, out);
  }
  return out;
}

/**
 * The tiktoken vocabularies (js-tiktoken's JSON), served where the gateway's TOKENIZER_URL points
 * in tests and `npm start`: the network is loopback-only, as in CI.
 */
async function tokenizerRanks(encoding: string): Promise<unknown> {
  const module = (await import(`js-tiktoken/ranks/${encoding}`)) as { default: unknown };
  return module.default;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A multipart upload (OpenAI's audio API) as a body like a JSON one: each field's text (a repeated
 * field, `timestamp_granularities[]`, as a list), each file as an Upload (audio.ts).
 */
async function multipartBody(bytes: Buffer, contentType: string): Promise<Record<string, unknown>> {
  const form = await new Response(new Uint8Array(bytes), { headers: { "content-type": contentType } }).formData();
  const body: Record<string, unknown> = {};
  const fields: Array<[string, string | File]> = [];
  form.forEach((value, name) => {
    fields.push([name, value]);
  });
  for (const [name, value] of fields) {
    const item = typeof value === "string" ? value : await uploadOf(value);
    const before = body[name];
    body[name] = before === undefined ? item : Array.isArray(before) ? [...before, item] : [before, item];
  }
  return body;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, log: RequestLog): Promise<void> {
  const url = new URL(req.url ?? "/", "http://emulator.local");
  const method = req.method ?? "GET";
  if (url.pathname === "/__emulator/requests") {
    if (method === "DELETE") {
      log.clear();
      return sendJson(res, 200, { cleared: true });
    }
    return sendJson(res, 200, { requests: log.find(url.searchParams.get("contains")) });
  }
  if (url.pathname === "/" || url.pathname === "/__emulator/health") return sendJson(res, 200, { ok: true });
  if (url.pathname.startsWith("/__emulator/images/")) return serveImage(req, res, url);
  if (url.pathname.startsWith(WEB_PATH)) return serveWeb(req, res, url);
  // `/__tokenizer/delay-<ms>/…` serves a vocabulary that slow, for tests of a slow download.
  const vocabulary = /^\/__tokenizer(?:\/delay-(\d+))?\/(o200k_base|cl100k_base)\.json$/.exec(url.pathname);
  if (vocabulary?.[2]) {
    const ranks = await tokenizerRanks(vocabulary[2]);
    await new Promise((resolve) => setTimeout(resolve, Number(vocabulary[1] ?? 0)));
    return sendJson(res, 200, ranks);
  }

  const [, provider = "", ...restParts] = url.pathname.split("/");
  const rest = `/${restParts.join("/")}`;
  const bytes = method === "GET" ? Buffer.alloc(0) : await readBody(req);
  const contentType = req.headers["content-type"] ?? "";
  const multipart = /^multipart\/form-data/i.test(contentType);
  let body: Record<string, any> = {};
  if (multipart) {
    try {
      body = await multipartBody(bytes, contentType);
    } catch {
      return sendJson(res, 400, {
        error: { message: "We could not parse the multipart body of your request.", type: "invalid_request_error" },
      });
    }
  }
  // An upload is logged as its parsed fields (its audio as the text in it), not as its bytes.
  const rawBody = multipart ? JSON.stringify(body) : bytes.toString("utf8");
  if (rawBody && !multipart) {
    try {
      body = JSON.parse(rawBody) as Record<string, any>;
    } catch {
      return sendJson(res, 400, {
        error: { message: "We could not parse the JSON body of your request.", type: "invalid_request_error" },
      });
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(", ") : (value ?? "");
  const entry = log.add({ provider, method, path: url.pathname, headers, body, rawBody, startedAt: Date.now() });

  const format = formats.find((f) => f.matches(rest, method));
  if (!format) {
    entry.outcome = "error";
    entry.status = 404;
    return sendJson(res, 404, { error: { message: `Unknown emulated path ${url.pathname}`, type: "not_found_error" } });
  }
  const texts = directiveTexts(body);
  const fault = faultFor(parseDirectives(texts.join("\n")), provider, texts.join("\n"));
  let script = format.authorized(req.headers, url) ? undefined : format.error(401, "invalid_api_key", undefined);
  if (!script && fault.status !== undefined && fault.status >= 400) {
    script = format.error(fault.status, fault.code, fault.retry_after);
  }
  script ??= format.handle({ rest, method, body, provider, fault, url, headers: req.headers });
  await play(script, fault, req, res, entry);
}

export interface RunningEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmulator(opts: { port?: number; host?: string } = {}): Promise<RunningEmulator> {
  const log = new RequestLog();
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    handle(req, res, log).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `emulator failure: ${String(error)}` } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

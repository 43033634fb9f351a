import type { Env } from "../env";
import { fetchGuarded, GuardedFetchError, refusedTarget } from "../providers/guarded-fetch";
import { parseDataUrl } from "../providers/inline-image";
import { base64Bytes } from "../schema/base64";
import { readBodyBytes } from "../schema/body";
import { GatewayError } from "../schema/errors";

/**
 * Workers AI's document conversion (`env.AI.toMarkdown`, the Worker's `AI` binding): a PDF in, its
 * Markdown out, free. What the `file-parser` plugin's `cloudflare-ai` engine (and its old name
 * `pdf-text`) reads a PDF with (files/request-files.ts). A PDF by URL is fetched by the gateway
 * first, with the guarded GET image inlining and web fetch use (no private address unless
 * IMAGE_FETCH_PRIVATE allows it), and at most MAX_PDF_BYTES of it.
 */
export type MarkdownConverter = Pick<Ai, "toMarkdown">;

/** A PDF read from a URL, at most (Workers AI's own limit on a document is larger). */
const MAX_PDF_BYTES = 20 * 1024 * 1024;

/** The gateway's Workers AI binding, if the operator bound one (`[ai] binding = "AI"`). */
export const workersAi = (env: Env): MarkdownConverter | undefined => env.AI;

/** One document converted: its Markdown, or what went wrong. A call the client's leaving aborted throws. */
export async function convertDocument(
  ai: MarkdownConverter,
  env: Env,
  file: { data: string; name: string },
  signal: AbortSignal,
): Promise<{ markdown: string; pages: number } | { failed: string }> {
  const bytes = await bytesOf(env, file.data, signal);
  if ("failed" in bytes) return bytes;
  let converted: ConversionResponse;
  try {
    converted = await ai.toMarkdown({ name: file.name, blob: new Blob([bytes.body], { type: bytes.type }) });
  } catch (error) {
    if (signal.aborted) throw error;
    return { failed: "an error" };
  }
  if (converted.format !== "markdown") return { failed: `"${converted.error}"` };
  // Workers AI does not count pages, and charges none: nothing to bill.
  return { markdown: converted.data, pages: 0 };
}

/** A file's bytes: a base64 `data:` URL's, or a URL's, fetched (at most MAX_PDF_BYTES of them). */
async function bytesOf(
  env: Env,
  data: string,
  signal: AbortSignal,
): Promise<{ body: Uint8Array; type: string } | { failed: string }> {
  const inline = parseDataUrl(data);
  if (inline) return { body: base64Bytes(inline.data), type: inline.media_type };
  const url = new URL(data);
  const allowPrivate = env.IMAGE_FETCH_PRIVATE === "allow";
  if (refusedTarget(url, allowPrivate)) return { failed: "a URL the gateway may not fetch" };
  let response: Response;
  try {
    response = await fetchGuarded(url, { allowPrivate, headers: { "user-agent": "Tollgate-FileParser" } }, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    return { failed: error instanceof GuardedFetchError ? `a fetch that failed (${error.reason})` : "no answer" };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { failed: `status ${response.status} from the file's URL` };
  }
  try {
    // Refused past the limit as it arrives, as request bodies are (schema/body.ts).
    const body = await readBodyBytes(response, MAX_PDF_BYTES);
    return { body, type: response.headers.get("content-type")?.split(";")[0] || "application/pdf" };
  } catch (error) {
    if (error instanceof GatewayError && error.status === 413) return { failed: "a file over 20 MiB" };
    if (signal.aborted) throw error;
    return { failed: "a download that broke off" };
  }
}

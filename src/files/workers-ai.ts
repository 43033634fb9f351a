import type { Env } from "../env";
import { fetchGuarded, GuardedFetchError, refusedTarget } from "../providers/guarded-fetch";

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

/** A file's bytes: a base64 `data:` URL's, or a URL's, fetched. */
async function bytesOf(
  env: Env,
  data: string,
  signal: AbortSignal,
): Promise<{ body: Uint8Array; type: string } | { failed: string }> {
  const inline = /^data:([^;,]*)[^,]*;base64,/i.exec(data);
  if (inline) {
    const binary = atob(data.slice(inline[0].length));
    return { body: Uint8Array.from(binary, (c) => c.charCodeAt(0)), type: inline[1] || "application/pdf" };
  }
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
  const length = Number(response.headers.get("content-length") ?? 0);
  if (!response.ok || length > MAX_PDF_BYTES) {
    await response.body?.cancel();
    return { failed: response.ok ? "a file over 20 MiB" : `status ${response.status} from the file's URL` };
  }
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > MAX_PDF_BYTES) return { failed: `a file over ${MAX_PDF_BYTES / 1024 / 1024} MiB` };
  return { body, type: response.headers.get("content-type")?.split(";")[0] ?? "application/pdf" };
}

import type { CatalogIndex } from "../catalog/store";
import type { Env } from "../env";
import { postJson } from "../post-json";
import { resolveUpstream, type UpstreamAccess } from "../routing/upstream";

/**
 * Mistral's OCR API (`POST {base}/ocr`, the catalog's `mistral` provider's base URL and key): a
 * document by URL or `data:` URL in, its pages as Markdown out, with the pages it billed
 * (`usage_info.pages_processed`). What the `file-parser` plugin's `mistral-ocr` engine reads a
 * PDF with, for a model that cannot read the PDF itself (files/request-files.ts).
 */
export const OCR_MODEL = "mistral-ocr-latest";

/** How long an OCR call may take before it counts as failed (a model call has its own timeouts). */
const OCR_TIMEOUT_MS = 60_000;

export interface OcrDocument {
  /** The pages' Markdown, in order, a blank line between pages. */
  markdown: string;
  /** The pages Mistral billed. */
  pages: number;
}

/** Where the gateway reaches Mistral's OCR: the `mistral` provider's access, or undefined when it is not configured. */
export function ocrAccess(env: Env, catalog: CatalogIndex): UpstreamAccess | undefined {
  const mistral = catalog.providers.get("mistral");
  return mistral ? resolveUpstream(env, mistral) : undefined;
}

/**
 * One document read: its Markdown and pages, or what went wrong (no answer in time, an error
 * status, a reply with no pages). A call the client's leaving aborted throws.
 */
export async function readDocument(
  access: UpstreamAccess,
  documentUrl: string,
  signal: AbortSignal,
): Promise<OcrDocument | { failed: string }> {
  const answer = await postJson(
    `${access.baseUrl}/ocr`,
    { authorization: `Bearer ${access.apiKey}` },
    { model: OCR_MODEL, document: { type: "document_url", document_url: documentUrl }, include_image_base64: false },
    signal,
    OCR_TIMEOUT_MS,
  );
  if ("failed" in answer) return answer;
  const reply = answer.reply as {
    pages?: Array<{ markdown?: unknown }>;
    usage_info?: { pages_processed?: unknown };
  } | null;
  if (!Array.isArray(reply?.pages)) return { failed: "a reply with no pages" };
  const markdown = reply.pages.map((page) => (typeof page.markdown === "string" ? page.markdown : "")).join("\n\n");
  const billed = reply.usage_info?.pages_processed;
  return { markdown, pages: typeof billed === "number" && billed >= 0 ? billed : reply.pages.length };
}

import type { WireFormat } from "./format";
import type { Script } from "./script";

/**
 * Mistral's OCR API (`POST /v1/ocr`, a Bearer key), what the gateway reads PDFs with for models that
 * cannot (the `file-parser` plugin): `{model, document: {type: "document_url", document_url},
 * include_image_base64}` answered with `{pages: [{index, markdown, images, dimensions}], model,
 * document_annotation, usage_info: {pages_processed, doc_size_bytes}}`, and Mistral's error body
 * (`{object: "error", message, type, param, code}`). A `data:` URL's document is read as a PDF: it
 * has as many pages as page objects (`/Type /Page`), page i's Markdown being the i-th text the file
 * shows (`(…) Tj`), so a test knows what the model should be sent; bytes that are no PDF are a
 * 422, as Mistral refuses an unreadable document. A document by URL is one page quoting the URL.
 */
type Json = Record<string, any>;
const JSON_HEADERS = { "content-type": "application/json" };

function errorScript(status: number, code: string | undefined, retryAfter: number | undefined): Script {
  return {
    status,
    headers: { ...JSON_HEADERS, ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}) },
    body: JSON.stringify({
      object: "error",
      message: `Emulated Mistral error ${status}`,
      type: code ?? (status === 401 ? "unauthorized" : status === 422 ? "invalid_request_file" : "api_error"),
      param: null,
      code: null,
    }),
  };
}

/** The pages' Markdown of a PDF's bytes (latin1), as described above; undefined when they are no PDF. */
export function pdfPages(bytes: string): string[] | undefined {
  if (!bytes.startsWith("%PDF-")) return undefined;
  const count = Math.max(1, bytes.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0);
  const shown = [...bytes.matchAll(/\(((?:[^()\\]|\\.)*)\)\s*Tj/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1"));
  return Array.from({ length: count }, (_, i) => shown[i] ?? "");
}

function ocr(body: Json): Script {
  const url = body.document?.type === "document_url" ? body.document.document_url : undefined;
  if (typeof body.model !== "string" || typeof url !== "string") return errorScript(422, "invalid_request", undefined);
  const data = /^data:[^,]*;base64,/i.exec(url);
  const bytes = data ? Buffer.from(url.slice(data[0].length), "base64").toString("latin1") : "";
  const pages = data ? pdfPages(bytes) : [`Emulated OCR of ${url}`];
  if (!pages) return errorScript(422, undefined, undefined);
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      pages: pages.map((markdown, index) => ({
        index,
        markdown,
        images: [],
        dimensions: { dpi: 200, height: 2200, width: 1700 },
      })),
      model: "mistral-ocr-2505-completion",
      document_annotation: null,
      usage_info: { pages_processed: pages.length, doc_size_bytes: data ? bytes.length : null },
    }),
  };
}

export const mistralOcrFormat: WireFormat = {
  name: "mistral-ocr",
  matches: (rest, method) => method === "POST" && rest === "/v1/ocr",
  authorized: (headers) => /^Bearer\s+\S+/i.test(headers.authorization ?? ""),
  error: errorScript,
  handle: ({ body }) => ocr(body),
};

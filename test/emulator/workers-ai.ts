import type { Upload } from "./audio";
import type { WireFormat } from "./format";
import { pdfPages } from "./mistral-ocr";
import type { Script } from "./script";

type Json = Record<string, any>;
const JSON_HEADERS = { "content-type": "application/json" };

/**
 * Cloudflare's REST document conversion (`POST /client/v4/accounts/{id}/ai/tomarkdown`, the files
 * as multipart `files`), what Workers AI's binding calls: `{success, result: [{id, name, mimeType,
 * format: "markdown", tokens, data}], errors, messages}`, a file it cannot convert
 * `{format: "error", error}`. A PDF's Markdown is its pages' (read as mistral-ocr.ts reads them), a blank line
 * between them.
 */
function toMarkdown(body: Json): Script {
  const files = (Array.isArray(body.files) ? body.files : body.files ? [body.files] : []) as Upload[];
  const result = files.map((file, i) => {
    const pages = pdfPages(file.text);
    const base = { id: `doc-${i}`, name: file.name, mimeType: file.type || "application/pdf" };
    return pages
      ? { ...base, format: "markdown", tokens: 0, data: pages.join("\n\n") }
      : { ...base, format: "error", error: "Unsupported file type" };
  });
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({ success: true, result, errors: [], messages: [] }),
  };
}

export const workersAiFormat: WireFormat = {
  name: "workers-ai",
  matches: (rest, method) => method === "POST" && /^\/client\/v4\/accounts\/[^/]+\/ai\/tomarkdown$/.test(rest),
  authorized: (headers) => /^Bearer\s+\S+/i.test(headers.authorization ?? ""),
  error: (status) => ({
    status,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      success: false,
      result: null,
      errors: [{ code: status, message: `Emulated error ${status}` }],
    }),
  }),
  handle: ({ body }) => toMarkdown(body),
};

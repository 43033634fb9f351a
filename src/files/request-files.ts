import type { CatalogIndex } from "../catalog/store";
import { sha256Hex } from "../digest";
import type { Env } from "../env";
import { parseDataUrl } from "../providers/inline-image";
import { adapterFor } from "../providers/registry";
import type { FileAnnotation } from "../providers/types";
import type { Attempt } from "../routing/plan";
import { base64Bytes } from "../schema/base64";
import type { ChatRequest, ContentPart, Message } from "../schema/chat";
import { GatewayError } from "../schema/errors";
import { estimateTextTokens } from "../transforms/tokens";
import { ocrAccess, readDocument } from "./mistral-ocr";
import { convertDocument, workersAi } from "./workers-ai";

/**
 * PDFs for models that cannot read them: OpenRouter's `file-parser` plugin. A request's `file`
 * parts go as they are to an endpoint that reads PDFs itself (its model's inputs include "file" and
 * its format takes them: ChatAdapter.readsFiles); for any other, each PDF is read once with Mistral
 * OCR, after the request's hold and before the first call that needs it, and sent as its Markdown
 * in a text part. The reading is charged as OpenRouter charges it, $2 per 1000 pages (the pages
 * Mistral billed), to the generation whose answer was given the text, and the answer is annotated
 * with each PDF's text (`{type: "file", file: {hash, name, content}}`): sent back on the assistant
 * turn, the same PDF (by its hash) is not read, nor charged, again.
 * A text file (`text/*`, JSON) is decoded here instead, for every endpoint: its text sent, nothing
 * read or charged.
 * `pdf.engine`: none chooses as above, reading with Mistral where the gateway has it, else with
 * Workers AI where it is bound; `mistral-ocr` and `cloudflare-ai` (Workers AI's free document
 * conversion; `pdf-text` is its old name, as on OpenRouter) read every PDF with that reader,
 * whatever the endpoint; `native` never reads one, and leaves out the endpoints that cannot.
 */

/** OpenRouter's price of Mistral OCR: $2 per 1000 pages, in nano-dollars a page. */
export const OCR_PAGE_NANOS = 2_000_000;
/** Mistral OCR's most pages a document: the hold for a PDF whose pages its bytes do not show. */
const MAX_PAGES = 1000;
/** Prompt tokens a read page may add, for the hold (a dense page of prose is ~1,000). */
const PAGE_TOKENS = 1500;

/** The `file-parser` plugin's `pdf.engine` values (routing/variants.ts refuses any other); `pdf-text` is `cloudflare-ai`. */
export const PDF_ENGINES = ["mistral-ocr", "cloudflare-ai", "pdf-text", "native"] as const;
type Engine = Exclude<(typeof PDF_ENGINES)[number], "pdf-text">;

/** What reads a request's PDFs: Mistral's OCR (priced per page) or Workers AI's conversion (free). */
interface Reader {
  name: string;
  pageNanos: number;
  read(file: RequestFile, signal: AbortSignal): Promise<{ markdown: string; pages: number } | { failed: string }>;
}

interface RequestFile {
  /** The part's `file_data`: a `data:` URL, or a URL Mistral fetches itself. */
  data: string;
  name: string;
  hash: string;
  /** Pages held for before it is read: counted in its bytes, else MAX_PAGES. */
  heldPages: number;
  /** Its Markdown, once read (or as an earlier answer's annotation gave it). */
  text?: string;
  /** The pages Mistral billed for reading it in this request (0: not read here). */
  billedPages: number;
  /** A text file (`text/*`, JSON), its text decoded here: nothing to read, charge or annotate. */
  local: boolean;
}

export class RequestFiles {
  /** Each file's reading, once started (an attempt may need some of the files, a later one others). */
  private readonly pending = new Map<RequestFile, Promise<void>>();

  private constructor(
    readonly engine: Engine | undefined,
    private readonly files: RequestFile[],
    private readonly reader: Reader | undefined,
  ) {}

  /**
   * The PDFs of a request (whose messages carry some: carriesFiles), or undefined when none has data.
   * Reading asked of a gateway with no Mistral access is a 503, before any hold or call, where
   * some endpoint of the plan would need it.
   */
  static async of(
    env: Env,
    request: ChatRequest,
    catalog: CatalogIndex,
    attempts: Attempt[],
  ): Promise<RequestFiles | undefined> {
    const parts = fileParts(request.messages);
    if (parts.length === 0) return undefined;
    const known = annotatedTexts(request.messages);
    const files = await Promise.all(
      [...new Set(parts.map((part) => part.file.file_data as string))].map(async (data): Promise<RequestFile> => {
        const hash = await sha256Hex(data);
        const part = parts.find((p) => p.file.file_data === data);
        const name = part?.file.filename ?? "document.pdf";
        const decoded = textOf(data);
        if (decoded !== undefined)
          return { data, name, hash, heldPages: 0, text: decoded, billedPages: 0, local: true };
        const text = known.get(hash);
        return {
          data,
          name,
          hash,
          heldPages: pagesIn(data),
          ...(text !== undefined ? { text } : {}),
          billedPages: 0,
          local: false,
        };
      }),
    );
    const engine = engineOf(request);
    const reading = new RequestFiles(engine, files, readerFor(env, catalog, engine));
    if (!reading.reader && attempts.some((a) => reading.readFor(a).some((file) => file.text === undefined))) {
      const configure =
        engine === "mistral-ocr"
          ? "sets MISTRAL_API_KEY for Mistral OCR"
          : engine === "cloudflare-ai"
            ? "binds Workers AI as AI"
            : "sets MISTRAL_API_KEY for Mistral OCR, or binds Workers AI as AI";
      throw new GatewayError(
        503,
        `PDF reading is not configured on this gateway (the operator ${configure}): the request was not answered`,
        { plugin: "file-parser" },
      );
    }
    return reading;
  }

  /** With `pdf.engine: "native"`, the plan's endpoints that read PDFs themselves; a 404 when there is none. */
  nativeOnly(attempts: Attempt[]): Attempt[] {
    if (this.engine !== "native") return attempts;
    const native = attempts.filter((attempt) => this.files.every((file) => file.local || readsItself(attempt, file)));
    if (native.length > 0) return native;
    throw new GatewayError(
      404,
      'No endpoints found that support file input (the file-parser plugin\'s pdf.engine is "native")',
      { plugin: "file-parser" },
    );
  }

  /**
   * The files `attempt` is sent as text: every text file, whatever the endpoint (any model reads
   * text, where a provider's file input may refuse one: Anthropic's base64 document takes PDFs
   * alone), and the PDFs it does not read itself (none with engine "native"; all with a reader named).
   */
  readFor(attempt: Attempt): RequestFile[] {
    return this.files.filter((file) => {
      if (file.local) return true;
      if (this.engine === "native") return false;
      return this.engine !== undefined || !readsItself(attempt, file);
    });
  }

  /** Before `attempt` is called: the PDFs it needs as text read, each once (after `admitted`, the hold). */
  before(attempt: Attempt, signal: AbortSignal, admitted?: Promise<unknown>): Promise<void> | undefined {
    const unread = this.readFor(attempt).filter((file) => file.text === undefined);
    if (unread.length === 0) return undefined;
    return (async () => {
      await admitted;
      await Promise.all(unread.map((file) => this.readOnce(file, signal)));
    })();
  }

  private readOnce(file: RequestFile, signal: AbortSignal): Promise<void> {
    let reading = this.pending.get(file);
    if (!reading) {
      const reader = this.reader as Reader;
      reading = reader.read(file, signal).then((read) => {
        if ("failed" in read) {
          const message = `PDF reading failed: ${reader.name} answered with ${read.failed} for ${file.name}`;
          throw new GatewayError(502, message, { provider_name: reader.name, plugin: "file-parser" });
        }
        file.text = read.markdown;
        file.billedPages = read.pages;
      });
      this.pending.set(file, reading);
    }
    return reading;
  }

  /** The request as `attempt` is sent it: each PDF it cannot read itself as text, its Markdown in a text part. */
  requestFor<R extends ChatRequest>(request: R, attempt: Attempt): R {
    const read = this.readFor(attempt);
    if (read.length === 0) return request;
    const texts = new Map(read.map((file) => [file.data, file]));
    const messages = request.messages.map((message): Message => {
      if (typeof message.content === "string" || !message.content?.some((part) => part.type === "file")) {
        return message;
      }
      const content = message.content.map((part): ContentPart => {
        const file = part.type === "file" && part.file.file_data ? texts.get(part.file.file_data) : undefined;
        return file?.text === undefined
          ? part
          : { type: "text", text: `<file name="${file.name}">\n${file.text}\n</file>` };
      });
      return { ...message, content } as Message;
    });
    return { ...request, messages };
  }

  /** Prompt tokens the PDFs' text may add at an endpoint that reads them, for the hold. */
  heldPromptTokens(attempts: Attempt[]): number {
    const read = new Set(attempts.flatMap((attempt) => this.readFor(attempt)));
    if (read.size === 0) return 0;
    const tokens = [...read].reduce(
      (sum, file) => sum + (file.text !== undefined ? estimateTextTokens(file.text) : file.heldPages * PAGE_TOKENS),
      0,
    );
    // No endpoint is sent more than its context holds (a longer prompt is refused or compressed):
    // a PDF of unknown length is not held for 1000 pages of tokens.
    return Math.min(tokens, Math.max(...attempts.map((attempt) => attempt.endpoint.context_length)));
  }

  /** The most the reading may cost at `attempt`, for the hold. */
  worstNanosFor(attempt: Attempt): number {
    const pageNanos = this.reader?.pageNanos ?? 0;
    return this.readFor(attempt).reduce(
      (sum, file) => sum + (file.text === undefined ? file.heldPages * pageNanos : 0),
      0,
    );
  }

  /** What reading the PDFs `attempt` was given cost: the pages Mistral billed, at OpenRouter's price. */
  costFor(attempt: Attempt): number {
    const pageNanos = this.reader?.pageNanos ?? 0;
    return this.readFor(attempt).reduce((sum, file) => sum + file.billedPages * pageNanos, 0);
  }

  /** The PDFs' text given to `attempt`, as the answer's annotations (undefined: it read the PDFs itself). */
  annotationsFor(attempt: Attempt): FileAnnotation[] | undefined {
    const read = this.readFor(attempt);
    if (read.length === 0) return undefined;
    return read.flatMap((file) =>
      file.text === undefined || file.local
        ? []
        : [{ type: "file", file: { hash: file.hash, name: file.name, content: [{ type: "text", text: file.text }] } }],
    );
  }
}

type FilePart = Extract<ContentPart, { type: "file" }>;

/**
 * A file part with data to read: a `data:` URL or a URL (a part naming an uploaded file by id alone
 * has none, and other data is passed on as it came, for the provider to judge).
 */
const readable = (part: ContentPart): part is FilePart =>
  part.type === "file" && /^(data:|https?:\/\/)/i.test(part.file.file_data ?? "");

/** Whether the messages carry a file to read or pass on (for a plain request, a type check a message). */
export function carriesFiles(messages: readonly Message[]): boolean {
  return messages.some((message) => typeof message.content !== "string" && message.content?.some(readable));
}

function fileParts(messages: readonly Message[]): FilePart[] {
  return messages.flatMap((message) =>
    typeof message.content === "string" || !message.content ? [] : message.content.filter(readable),
  );
}

/** A text file's text (a base64 `data:` URL of `text/*` or JSON), or undefined for any other file. */
function textOf(data: string): string | undefined {
  const inline = parseDataUrl(data);
  if (!inline || !/^(text\/|application\/([\w.+-]+\+)?json$)/.test(inline.media_type)) return undefined;
  return new TextDecoder().decode(base64Bytes(inline.data));
}

/**
 * The endpoint reads the file itself: its model takes files, in a format that carries them (a file
 * by URL only where the format takes URLs: Anthropic's; OpenAI's chat file part takes data alone).
 */
function readsItself(attempt: Attempt, file: RequestFile): boolean {
  const carries = adapterFor(attempt.provider.adapter)?.readsFiles;
  return (
    carries !== undefined &&
    attempt.model.architecture.input_modalities.includes("file") &&
    (carries.urls || parseDataUrl(file.data) !== undefined)
  );
}

/** The `file-parser` plugin's `pdf.engine`, as routing/variants.ts let it through (`pdf-text` is `cloudflare-ai`). */
function engineOf(request: ChatRequest): Engine | undefined {
  const plugin = request.plugins?.find((p) => p.id === "file-parser" && p.enabled !== false);
  const engine = (plugin?.pdf as { engine?: (typeof PDF_ENGINES)[number] } | undefined)?.engine;
  return engine === "pdf-text" ? "cloudflare-ai" : engine;
}

/** The reader the engine asks for, where the gateway has it: by default Mistral's, else Workers AI's. */
function readerFor(env: Env, catalog: CatalogIndex, engine: Engine | undefined): Reader | undefined {
  const access = engine === "cloudflare-ai" || engine === "native" ? undefined : ocrAccess(env, catalog);
  if (access) {
    return {
      name: "Mistral OCR",
      pageNanos: OCR_PAGE_NANOS,
      read: (file, signal) => readDocument(access, file.data, signal),
    };
  }
  const ai = engine === "mistral-ocr" || engine === "native" ? undefined : workersAi(env);
  if (!ai) return undefined;
  return { name: "Workers AI", pageNanos: 0, read: (file, signal) => convertDocument(ai, env, file, signal) };
}

/**
 * The PDFs' text earlier answers gave, by hash: what the client sent back of their `file`
 * annotations on its assistant turns (anything else there is not read).
 */
function annotatedTexts(messages: readonly Message[]): Map<string, string> {
  const texts = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== "assistant") continue;
    const annotations = (message as { annotations?: unknown }).annotations;
    if (!Array.isArray(annotations)) continue;
    for (const annotation of annotations as Array<Partial<FileAnnotation>>) {
      const file = annotation?.type === "file" ? annotation.file : undefined;
      if (typeof file?.hash !== "string" || !Array.isArray(file.content)) continue;
      const text = file.content
        .flatMap((part) => (part?.type === "text" && typeof part.text === "string" ? [part.text] : []))
        .join("\n\n");
      texts.set(file.hash, text);
    }
  }
  return texts;
}

/**
 * The pages a PDF's bytes show (its page objects, `/Type /Page`), for the hold; MAX_PAGES for a
 * PDF by URL, or one whose page objects are compressed out of sight (in object streams).
 */
function pagesIn(data: string): number {
  const inline = parseDataUrl(data);
  if (!inline) return MAX_PAGES;
  // The bytes as Latin-1 text (one character a byte): the schema checked the data is base64.
  const bytes = atob(inline.data);
  const pages = bytes.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  return pages > 0 ? Math.min(pages, MAX_PAGES) : MAX_PAGES;
}

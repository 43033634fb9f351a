import { beforeAll, describe, expect, inject, it } from "vitest";
import { anthropicClient } from "./support/anthropic-client";
import {
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  readSse,
  recordedGeneration,
} from "./support/gateway";

/**
 * PDFs for models that cannot read them (OpenRouter's `file-parser` plugin): a model whose inputs
 * include "file", at an endpoint whose format carries PDFs, is sent the PDF as it is; any other is
 * sent its text, read once with Mistral OCR after the hold and charged $2 per 1000 pages, and the
 * answer is annotated with that text so a client sending it back is not charged for it again.
 */
const TEXT_ONLY = "deepseek/deepseek-chat-v3-0324";
const READS_PDFS = "openai/gpt-4o-mini";
/** One provider, so that two requests with the same messages cost the same tokens. */
const ONE_PROVIDER = { only: ["deepinfra"] };
const OCR_PAGE_USD = 0.002;

/** A small PDF whose page i shows `pages[i]` (what the emulator's OCR reads back); `tail` makes its bytes unique. */
function pdf(pages: string[], tail: string): string {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${3 + i * 2} 0 R`).join(" ")}] /Count ${pages.length} >>`,
  ];
  pages.forEach((text, i) => {
    const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${4 + i * 2} 0 R >>`);
    objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  });
  const body = objects.map((object, i) => `${i + 1} 0 obj\n${object}\nendobj\n`).join("");
  return `data:application/pdf;base64,${btoa(`%PDF-1.4\n${body}%${tail}\n%%EOF\n`)}`;
}

const asking = (question: string, data: string, filename = "report.pdf") => ({
  role: "user",
  content: [
    { type: "text", text: question },
    { type: "file", file: { filename, file_data: data } },
  ],
});

/** The emulator's OCR calls for a PDF (found by the end of its data URL, unique to it). */
async function ocrCalls(data: string) {
  const calls = await emulatorRequests(data.slice(-24));
  return calls.filter((call) => call.provider === "mistral" && call.path.endsWith("/ocr"));
}

interface Reply {
  id: string;
  model: string;
  choices: Array<{ message: { content: string; annotations?: Array<Record<string, any>> } }>;
  usage: { cost: number };
}

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

describe("PDFs for a model that cannot read them (Mistral OCR)", () => {
  it("sends the model the PDF's text, charges its pages at $2 per 1000, and annotates the answer with the text", async () => {
    const marker = nonce();
    const data = pdf([`First page ${marker}`, `Second page ${marker}`], marker);
    const response = await chat(key, {
      model: TEXT_ONLY,
      provider: ONE_PROVIDER,
      messages: [asking(`Summarise ${marker}`, data)],
    });
    expect(response.status).toBe(200);
    const reply = (await response.json()) as Reply;

    // Read once, as a data URL, with Mistral's OCR model.
    const [ocr, ...more] = await ocrCalls(data);
    expect(more).toEqual([]);
    expect(ocr?.body).toMatchObject({
      model: "mistral-ocr-latest",
      document: { type: "document_url", document_url: data },
    });
    // The model was sent the pages' text in place of the file part.
    const [call] = (await emulatorRequests(`Summarise ${marker}`)).filter((c) => c.provider === "deepinfra");
    if (!call) throw new Error("the model was not called");
    const sent = (call.body as { messages: Array<{ content: Array<{ type: string; text?: string }> }> }).messages;
    expect(sent[0]?.content.map((part) => part.type)).toEqual(["text", "text"]);
    expect(sent[0]?.content[1]?.text).toBe(
      `<file name="report.pdf">\nFirst page ${marker}\n\nSecond page ${marker}\n</file>`,
    );
    expect(JSON.stringify(call.body)).not.toContain(data);

    // OpenRouter's file annotation, with the text the model was given.
    const annotation = reply.choices[0]?.message.annotations?.find((a) => a.type === "file");
    expect(annotation).toEqual({
      type: "file",
      file: {
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        name: "report.pdf",
        content: [{ type: "text", text: `First page ${marker}\n\nSecond page ${marker}` }],
      },
    });

    // The same messages as the model got them, sent as text: the same tokens, without the pages.
    const plain = await chat(key, { model: TEXT_ONLY, provider: ONE_PROVIDER, messages: sent });
    const plainCost = ((await plain.json()) as Reply).usage.cost;
    expect(reply.usage.cost - plainCost).toBeCloseTo(2 * OCR_PAGE_USD, 9);
    const record = await recordedGeneration(key, reply.id);
    expect(record.total_cost).toBeCloseTo(reply.usage.cost, 9);
  });

  it("a PDF sent back with its annotation is not read, nor charged, again", async () => {
    const marker = nonce();
    const data = pdf([`Only page ${marker}`], marker);
    const first = (await (
      await chat(key, { model: TEXT_ONLY, provider: ONE_PROVIDER, messages: [asking(`Read ${marker}`, data)] })
    ).json()) as Reply;
    const message = first.choices[0]?.message;
    expect(message?.annotations?.some((a) => a.type === "file")).toBe(true);
    expect(await ocrCalls(data)).toHaveLength(1);

    const followUp = await chat(key, {
      model: TEXT_ONLY,
      provider: ONE_PROVIDER,
      messages: [
        asking(`Read ${marker}`, data),
        { role: "assistant", content: message?.content, annotations: message?.annotations },
        { role: "user", content: `And again ${marker}` },
      ],
    });
    expect(followUp.status).toBe(200);
    expect(await ocrCalls(data)).toHaveLength(1);
    const [call] = (await emulatorRequests(`And again ${marker}`)).filter((c) => c.provider === "deepinfra");
    expect(JSON.stringify(call?.body)).toContain(`Only page ${marker}`);
  });

  it("streams the file annotation in the annotations delta before the finish", async () => {
    const marker = nonce();
    const data = pdf([`Streamed page ${marker}`], marker);
    const response = await chat(key, {
      model: TEXT_ONLY,
      provider: ONE_PROVIDER,
      stream: true,
      messages: [asking(`Stream ${marker}`, data)],
    });
    expect(response.status).toBe(200);
    const { data: events } = await readSse(response);
    const annotated = events.flatMap((event: any) =>
      event === "[DONE]" ? [] : (event.choices ?? []).flatMap((c: any) => c.delta?.annotations ?? []),
    );
    expect(annotated).toEqual([
      {
        type: "file",
        file: expect.objectContaining({
          name: "report.pdf",
          content: [{ type: "text", text: `Streamed page ${marker}` }],
        }),
      },
    ]);
  });

  it("a text file is sent as its text, decoded by the gateway: no OCR, no charge, no annotation", async () => {
    const marker = nonce();
    const data = `data:text/plain;base64,${btoa(`Plain notes ${marker}`)}`;
    const response = await chat(key, {
      model: TEXT_ONLY,
      provider: ONE_PROVIDER,
      messages: [asking(`Notes ${marker}`, data, "notes.txt")],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Reply).choices[0]?.message.annotations).toBeUndefined();
    expect(await ocrCalls(data)).toEqual([]);
    const [call] = (await emulatorRequests(`Notes ${marker}`)).filter((c) => c.provider === "deepinfra");
    expect(JSON.stringify(call?.body)).toContain(`<file name=\\"notes.txt\\">\\nPlain notes ${marker}\\n</file>`);
  });

  it("a text file goes as its text to models that read PDFs too (Claude's document takes PDFs alone), pdf.engine native or not", async () => {
    const marker = nonce();
    const data = `data:text/markdown;base64,${btoa(`# Minutes ${marker}`)}`;
    const claude = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      max_tokens: 20,
      messages: [asking(`Claude notes ${marker}`, data, "minutes.md")],
    });
    expect(claude.status).toBe(200);
    const [toClaude] = await emulatorRequests(`Claude notes ${marker}`);
    if (!toClaude) throw new Error("Claude was not called");
    const sent = toClaude.body as { messages: Array<{ content: Array<Record<string, unknown>> }> };
    expect(sent.messages[0]?.content?.[1]).toEqual({
      type: "text",
      text: `<file name="minutes.md">\n# Minutes ${marker}\n</file>`,
    });

    const gpt = await chat(key, {
      model: READS_PDFS,
      plugins: [{ id: "file-parser", pdf: { engine: "native" } }],
      messages: [asking(`GPT notes ${marker}`, data, "minutes.md")],
    });
    expect(gpt.status).toBe(200);
    const [toGpt] = (await emulatorRequests(`GPT notes ${marker}`)).filter((call) => call.provider === "openai");
    expect(JSON.stringify(toGpt?.body)).toContain(`<file name=\\"minutes.md\\">\\n# Minutes ${marker}\\n</file>`);
    expect(JSON.stringify(toGpt?.body)).not.toContain(data);
    expect(await ocrCalls(data)).toEqual([]);
  });

  it("an OCR failure is a 502 naming the file: no model call, nothing charged", async () => {
    // Enough for the hold: bytes with no page objects are held for 1000 pages ($2).
    const { key: own } = await fundedAccount("5");
    const marker = nonce();
    // Bytes that are no PDF: Mistral refuses them (422).
    const data = `data:application/pdf;base64,${btoa(`not a pdf ${marker}`)}`;
    const response = await chat(own, { model: TEXT_ONLY, messages: [asking(`Broken ${marker}`, data, "broken.pdf")] });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toBe("PDF reading failed: Mistral OCR answered with status 422 for broken.pdf");
    expect((await emulatorRequests(`Broken ${marker}`)).filter((c) => c.provider !== "mistral")).toEqual([]);
    const credits = await gatewayFetch(`${BASE}/credits`, { headers: { authorization: `Bearer ${own}` } });
    expect(((await credits.json()) as { data: { total_usage: number } }).data.total_usage).toBe(0);
  });

  it("the hold covers the pages before they are read: a PDF by URL holds Mistral's 1000-page limit", async () => {
    // $2 of pages (and their prompt) held, on an account with $1: refused before any call.
    const { key: small } = await fundedAccount("1");
    const marker = nonce();
    const url = `https://docs.example.com/${marker}.pdf`;
    const response = await chat(small, { model: TEXT_ONLY, messages: [asking(`Big ${marker}`, url)] });
    expect(response.status).toBe(402);
    expect(await emulatorRequests(marker)).toEqual([]);
  });
});

describe("PDFs for a model that reads them", () => {
  it("a model whose inputs include file is sent the PDF as it is: no OCR, no annotation", async () => {
    const marker = nonce();
    const data = pdf([`Native page ${marker}`], marker);
    const response = await chat(key, { model: READS_PDFS, messages: [asking(`Native ${marker}`, data)] });
    expect(response.status).toBe(200);
    const reply = (await response.json()) as Reply;
    expect(reply.choices[0]?.message.annotations).toBeUndefined();
    expect(await ocrCalls(data)).toEqual([]);
    const [call] = await emulatorRequests(`Native ${marker}`);
    expect(JSON.stringify(call?.body)).toContain(data);
  });

  it("a PDF by URL: Claude is sent the URL as its URL document source; GPT, whose chat file part takes data alone, the text", async () => {
    const marker = nonce();
    const url = `https://docs.example.com/${marker}.pdf`;
    const claude = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      max_tokens: 20,
      messages: [asking(`Claude reads ${marker}`, url)],
    });
    expect(claude.status).toBe(200);
    const [toClaude] = await emulatorRequests(`Claude reads ${marker}`);
    if (!toClaude) throw new Error("Claude was not called");
    const sent = toClaude.body as { messages: Array<{ content: Array<Record<string, unknown>> }> };
    const blocks = sent.messages[0]?.content;
    expect(blocks?.[1]).toEqual({ type: "document", source: { type: "url", url } });

    const gpt = await chat(key, { model: READS_PDFS, messages: [asking(`GPT reads ${marker}`, url)] });
    expect(gpt.status).toBe(200);
    const ocr = (await emulatorRequests(url)).filter((call) => call.provider === "mistral");
    expect(ocr).toHaveLength(1);
    const [toGpt] = (await emulatorRequests(`GPT reads ${marker}`)).filter((call) => call.provider === "openai");
    expect(JSON.stringify(toGpt?.body)).toContain(`Emulated OCR of ${url}`);
  });

  it('pdf.engine "mistral-ocr" reads the PDF for such a model too', async () => {
    const marker = nonce();
    const data = pdf([`Asked page ${marker}`], marker);
    const response = await chat(key, {
      model: READS_PDFS,
      plugins: [{ id: "file-parser", pdf: { engine: "mistral-ocr" } }],
      messages: [asking(`Asked ${marker}`, data)],
    });
    expect(response.status).toBe(200);
    expect(await ocrCalls(data)).toHaveLength(1);
    const [call] = await emulatorRequests(`Asked ${marker}`);
    expect(JSON.stringify(call?.body)).toContain(`Asked page ${marker}`);
    expect(JSON.stringify(call?.body)).not.toContain(data);
  });

  it('pdf.engine "native" goes only to models that read PDFs: a 404 when none does, the next of models otherwise', async () => {
    const marker = nonce();
    const data = pdf([`Native only ${marker}`], marker);
    const plugins = [{ id: "file-parser", pdf: { engine: "native" } }];
    const refused = await chat(key, { model: TEXT_ONLY, plugins, messages: [asking(`Refused ${marker}`, data)] });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /^No endpoints found that support file input/,
    );
    const served = await chat(key, {
      model: TEXT_ONLY,
      models: [READS_PDFS],
      plugins,
      messages: [asking(`Served ${marker}`, data)],
    });
    expect(served.status).toBe(200);
    expect(((await served.json()) as Reply).model).toBe(READS_PDFS);
    expect(await ocrCalls(data)).toEqual([]);
  });

  it("an unknown pdf.engine is a 400 naming it", async () => {
    const response = await chat(key, {
      model: TEXT_ONLY,
      plugins: [{ id: "file-parser", pdf: { engine: "tesseract" } }],
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'pdf.engine "tesseract" is unknown',
    );
  });
});

describe("PDFs read with Workers AI (pdf.engine cloudflare-ai, and its old name pdf-text)", () => {
  /** The emulator's calls to Cloudflare's conversion, which the test pool's AI binding makes, for a PDF's name. */
  const conversions = async (name: string) =>
    (await emulatorRequests(name)).filter(
      (call) => call.provider === "cloudflare" && call.path.endsWith("/tomarkdown"),
    );

  for (const engine of ["cloudflare-ai", "pdf-text"]) {
    it(`${engine}: the PDF is converted by the AI binding, free: no Mistral call, no charge beyond the tokens`, async () => {
      const marker = nonce();
      const data = pdf([`Converted page ${marker}`, `Second ${marker}`], marker);
      const name = `${marker}.pdf`;
      const response = await chat(key, {
        model: TEXT_ONLY,
        provider: ONE_PROVIDER,
        plugins: [{ id: "file-parser", pdf: { engine } }],
        messages: [asking(`Convert ${marker}`, data, name)],
      });
      expect(response.status).toBe(200);
      const reply = (await response.json()) as Reply;
      expect(await conversions(name)).toHaveLength(1);
      expect(await ocrCalls(data)).toEqual([]);
      const [call] = (await emulatorRequests(`Convert ${marker}`)).filter((c) => c.provider === "deepinfra");
      if (!call) throw new Error("the model was not called");
      const sent = (call.body as { messages: Array<{ content: Array<{ type: string; text?: string }> }> }).messages;
      expect(sent[0]?.content[1]?.text).toBe(
        `<file name="${name}">\nConverted page ${marker}\n\nSecond ${marker}\n</file>`,
      );
      expect(reply.choices[0]?.message.annotations?.find((a) => a.type === "file")?.file.content).toEqual([
        { type: "text", text: `Converted page ${marker}\n\nSecond ${marker}` },
      ]);
      // Free: the same messages as text cost the same.
      const plain = await chat(key, { model: TEXT_ONLY, provider: ONE_PROVIDER, messages: sent });
      expect(reply.usage.cost).toBeCloseTo(((await plain.json()) as Reply).usage.cost, 12);
    });
  }

  it("a PDF by URL is fetched by the gateway and its bytes converted", async () => {
    const marker = nonce();
    const url = `${inject("emulatorUrl")}/__emulator/web/doc.pdf`;
    const served = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const response = await chat(key, {
      model: TEXT_ONLY,
      provider: ONE_PROVIDER,
      plugins: [{ id: "file-parser", pdf: { engine: "cloudflare-ai" } }],
      messages: [asking(`Fetched ${marker}`, url, `${marker}.pdf`)],
    });
    expect(response.status).toBe(200);
    const [conversion, ...more] = await conversions(`${marker}.pdf`);
    expect(more).toEqual([]);
    if (!conversion) throw new Error("the PDF was not converted");
    // The emulator logs an upload as its name, type and size: the bytes the URL served.
    expect((conversion.body as { files: Record<string, unknown> }).files).toMatchObject({
      name: `${marker}.pdf`,
      type: "application/pdf",
      size: served.byteLength,
    });
    const [call] = (await emulatorRequests(`Fetched ${marker}`)).filter((c) => c.provider === "deepinfra");
    expect(JSON.stringify(call?.body)).toContain(`<file name=\\"${marker}.pdf\\">`);
  });

  it("a file Workers AI cannot convert is a 502 naming it, nothing charged", async () => {
    const { key: own } = await fundedAccount("1");
    const marker = nonce();
    const data = `data:application/pdf;base64,${btoa(`no pdf here ${marker}`)}`;
    const response = await chat(own, {
      model: TEXT_ONLY,
      plugins: [{ id: "file-parser", pdf: { engine: "cloudflare-ai" } }],
      messages: [asking(`Unconvertible ${marker}`, data, "odd.pdf")],
    });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'PDF reading failed: Workers AI answered with "Unsupported file type" for odd.pdf',
    );
    const credits = await gatewayFetch(`${BASE}/credits`, { headers: { authorization: `Bearer ${own}` } });
    expect(((await credits.json()) as { data: { total_usage: number } }).data.total_usage).toBe(0);
  });
});

describe("PDFs through the other APIs", () => {
  it("/messages: a PDF document block for a text-only model is read for it", async () => {
    const marker = nonce();
    const data = pdf([`Anthropic page ${marker}`], marker);
    const client = anthropicClient(key);
    const message = await client.messages.create({
      model: TEXT_ONLY,
      max_tokens: 50,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `What does it say? ${marker}` },
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: data.split(",")[1] as string },
            },
          ],
        },
      ],
    });
    expect(message.type).toBe("message");
    expect(await ocrCalls(data)).toHaveLength(1);
    const [call] = (await emulatorRequests(`What does it say? ${marker}`)).filter((c) => c.provider !== "mistral");
    expect(JSON.stringify(call?.body)).toContain(`Anthropic page ${marker}`);
  });
});

import { describe, expect, it } from "vitest";
import { base64Problem, withoutWhitespace } from "../src/schema/base64";
import { chat, emulatorRequests, fundedAccount, nonce } from "./support/gateway";

/**
 * The data of a `data:…;base64,` image or file is checked before any provider call: data that is
 * not base64 is the client's 400 in OpenRouter's error shape, naming the field, where providers
 * answered a 400 of their own naming no part of the request.
 */

const PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

describe("base64Problem", () => {
  it("takes standard base64, padded or not", () => {
    for (const data of [PIXEL, "QQ==", "QQ", "QUI=", "QUI", "QUJD", "+/+/"])
      expect(base64Problem(data), data).toBeUndefined();
  });

  it("names what is wrong: other characters, padding before the end, a length base64 never has, nothing", () => {
    for (const data of ["QU!D", "-_-_", "QQ==QUJD", "QUJDQ", "Q===", "%2F%2F"]) {
      expect(base64Problem(data), data).toMatch(/is not base64/);
    }
    expect(base64Problem("")).toMatch(/empty/);
  });

  it("takes line-wrapped base64 out of its lines, copying only what has whitespace", () => {
    expect(withoutWhitespace(`${PIXEL.slice(0, 40)}\r\n${PIXEL.slice(40, 76)}\n ${PIXEL.slice(76)}\n`)).toBe(PIXEL);
    expect(withoutWhitespace(PIXEL)).toBe(PIXEL);
  });

  it("reads big data in slices, catching a fault in any of them and padding before the last", () => {
    const big = "QUJD".repeat(3 * 262_144 + 5); // past three 1 MiB-character slices
    expect(base64Problem(big)).toBeUndefined();
    for (const at of [0, 1 << 20, (1 << 20) - 1, 2 * (1 << 20) + 7, big.length - 1]) {
      expect(base64Problem(`${big.slice(0, at)}*${big.slice(at + 1)}`), String(at)).toMatch(/is not base64/);
    }
    // "=" closing the first slice, with data after it.
    expect(base64Problem(`${big.slice(0, (1 << 20) - 2)}==${big.slice(1 << 20)}`)).toMatch(/is not base64/);
  });
});

describe("a data: URL whose data is not base64, through the gateway", () => {
  it("is a 400 naming the field, with no provider called, for every provider", async () => {
    const { key } = await fundedAccount("1");
    for (const model of ["google/gemini-2.5-flash-lite", "anthropic/claude-haiku-4.5", "openai/gpt-4o-mini"]) {
      for (const [path, part] of [
        [
          "messages.0.content.1.image_url.url",
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR!!w0KG" } },
        ],
        ["messages.0.content.1.image_url", { type: "image_url", image_url: "data:image/png;base64,not base64" }],
        [
          "messages.0.content.1.file.file_data",
          { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=x" } },
        ],
      ] as const) {
        const marker = nonce();
        const response = await chat(key, {
          model,
          messages: [{ role: "user", content: [{ type: "text", text: `what is this? ${marker}` }, part] }],
        });
        const body = (await response.json()) as { error?: { code?: number; message?: string } };
        expect(response.status, `${model} ${path}`).toBe(400);
        expect(body.error?.code).toBe(400);
        expect(body.error?.message).toContain(`${path}: `);
        expect(body.error?.message).toContain("a data: URL must be base64: its data");
        expect(await emulatorRequests(marker)).toEqual([]);
      }
    }
  });
});

describe("a data: URL with line-wrapped base64, through the gateway", () => {
  it("is taken, and each provider is sent the data in one piece", async () => {
    const { key } = await fundedAccount("1");
    // As the `base64` tool writes it: 76-character lines.
    const wrapped = PIXEL.replace(/.{1,76}/g, "$&\n");
    expect(wrapped).toContain("\n");
    for (const model of ["google/gemini-2.5-flash-lite", "anthropic/claude-haiku-4.5", "openai/gpt-4o-mini"]) {
      const marker = nonce();
      const response = await chat(key, {
        model,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `what is this? ${marker}` },
              { type: "image_url", image_url: { url: `data:image/png;base64,${wrapped}` } },
            ],
          },
        ],
      });
      expect(response.status, model).toBe(200);
      await response.text();
      const sent = JSON.stringify((await emulatorRequests(marker))[0]?.body);
      expect(sent, model).toContain(PIXEL);
      expect(sent, model).not.toContain(PIXEL.slice(0, 76) + "\\n");
    }
  });
});

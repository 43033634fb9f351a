import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import worker from "../src/index";
import { inlineRemoteImages } from "../src/providers/inline-image";
import { isPrivateHost } from "../src/providers/private-address";
import type { ChatRequest } from "../src/schema/chat";
import { PIXEL_PNG_BASE64 } from "./emulator/images";
import { BASE, chat, emulatorRequests, fundedAccount, nonce } from "./support/gateway";

const emulator = () => inject("emulatorUrl");
const image = (path: string) => `${emulator()}/__emulator/images/${path}`;
const hostOf = (url: string) => new URL(url).hostname;

describe("private addresses (of URL hostnames, as the WHATWG parser leaves them)", () => {
  it("refuses localhost, loopback, private, link-local, CGNAT, multicast, reserved and broadcast IPv4", () => {
    for (const url of [
      "http://localhost/",
      "http://LOCALHOST./",
      "http://images.localhost/",
      "http://127.0.0.1/",
      "http://127.255.255.254/",
      "http://0.0.0.0/",
      "http://10.1.2.3/",
      "http://172.16.0.1/",
      "http://172.31.255.255/",
      "http://192.168.1.1/",
      "http://169.254.169.254/latest/meta-data/",
      "http://100.64.0.1/",
      "http://100.127.255.255/",
      "http://224.0.0.1/",
      "http://239.255.255.250/",
      "http://240.0.0.1/",
      "http://255.255.255.255/",
    ]) {
      expect(isPrivateHost(hostOf(url)), url).toBe(true);
    }
  });

  it("refuses odd spellings of loopback, which the URL parser turns into dotted decimal", () => {
    for (const url of [
      "http://2130706433/",
      "http://0x7f.1/",
      "http://127.1/",
      "http://0177.0.0.1/",
      "http://127.0.0.1./",
    ]) {
      expect(hostOf(url), url).toBe("127.0.0.1");
      expect(isPrivateHost(hostOf(url)), url).toBe(true);
    }
  });

  it("refuses IPv6 loopback, unspecified, unique local, link-local, multicast and IPv4 forms of refused IPv4", () => {
    for (const url of [
      "http://[::1]/",
      "http://[::]/",
      "http://[0:0:0:0:0:0:0:1]/",
      "http://[fc00::1]/",
      "http://[fd12:3456:789a::1]/",
      "http://[fe80::1]/",
      "http://[febf::1]/",
      "http://[ff02::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://[::ffff:169.254.169.254]/",
      "http://[::ffff:10.0.0.1]/",
      "http://[::127.0.0.1]/",
      "http://[64:ff9b::7f00:1]/",
      "http://[2002:7f00:1::]/",
    ]) {
      expect(isPrivateHost(hostOf(url)), url).toBe(true);
    }
  });

  it("lets public addresses and names through (names are not resolved)", () => {
    for (const url of [
      "https://example.com/cat.png",
      "https://localhost.example.com/",
      "http://8.8.8.8/",
      "http://172.32.0.1/",
      "http://172.15.255.255/",
      "http://100.128.0.1/",
      "http://192.169.0.1/",
      "http://169.255.0.1/",
      "http://223.255.255.255/",
      "http://[2606:4700:4700::1111]/",
      "http://[::ffff:8.8.8.8]/",
      "http://[2002:808:808::]/",
      "http://[fec0::1]/",
    ]) {
      expect(isPrivateHost(hostOf(url)), url).toBe(false);
    }
  });
});

/** Where the gateway's own fetches went, the test's calls to the gateway left out. */
function spyOnFetches(redirectFrom?: { host: string; to: string }) {
  const original = globalThis.fetch;
  const urls: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    urls.push(url);
    // A public host (as DNS would make it) whose server answers with the emulator's redirect.
    if (redirectFrom && hostOf(url) === redirectFrom.host) {
      return original(`${image("redirect")}?to=${encodeURIComponent(redirectFrom.to)}`, init);
    }
    return original(input, init);
  });
  return urls;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const MODELS = [
  { name: "Gemini", model: "google/gemini-2.5-flash-lite" },
  { name: "Bedrock", model: "anthropic/claude-haiku-4.5", provider: { only: ["amazon-bedrock"] } },
];

/** A chat request asking about the image at `url`, through the Worker with `vars` over its env. */
async function askThroughWorker(
  key: string,
  which: (typeof MODELS)[number],
  url: string,
  vars: Record<string, string | undefined>,
) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: which.model,
        ...(which.provider ? { provider: which.provider } : {}),
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `what is this? ${nonce()}` },
              { type: "image_url", image_url: { url } },
            ],
          },
        ],
      }),
    }),
    { ...env, ...vars },
    ctx,
  );
  const body = (await response.json()) as { error?: { message: string } };
  await waitOnExecutionContext(ctx);
  return { status: response.status, message: body.error?.message ?? "" };
}

/** The gateway as deployed by default: IMAGE_FETCH_PRIVATE unset. */
const REFUSING = { IMAGE_FETCH_PRIVATE: undefined };

describe.each(MODELS)("image URLs sent to $name with IMAGE_FETCH_PRIVATE unset", (which) => {
  it("refuses, without fetching, image URLs on loopback, private, metadata and IPv6/mapped addresses", async () => {
    const { key } = await fundedAccount("1");
    const port = new URL(emulator()).port;
    for (const url of [
      image("pixel.png"),
      `http://localhost:${port}/__emulator/images/pixel.png`,
      `http://2130706433:${port}/__emulator/images/pixel.png`,
      "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
      "http://10.0.0.1/cat.png",
      "http://192.168.0.10/cat.png",
      `http://[::1]:${port}/__emulator/images/pixel.png`,
      `http://[::ffff:127.0.0.1]:${port}/__emulator/images/pixel.png`,
      "http://[fd00::1]/cat.png",
    ]) {
      const fetches = spyOnFetches();
      const { status, message } = await askThroughWorker(key, which, url, REFUSING);
      expect(status, url).toBe(400);
      expect(message, url).toContain("Invalid request: messages.0.content.1.image_url: ");
      expect(message, url).toContain("points at a private or loopback address, which is not fetched");
      expect(
        fetches.filter((f) => hostOf(f) === hostOf(url)),
        url,
      ).toEqual([]);
      vi.restoreAllMocks();
    }
  });

  it("refuses a public URL that redirects to a loopback address, and does not follow it", async () => {
    const { key } = await fundedAccount("1");
    const loopback = image("pixel.png");
    const fetches = spyOnFetches({ host: "images.example.com", to: loopback });
    const { status, message } = await askThroughWorker(key, which, "https://images.example.com/cat.png", REFUSING);
    expect(status).toBe(400);
    expect(message).toContain(
      `messages.0.content.1.image_url: image https://images.example.com/cat.png redirects to ${loopback}, a private or loopback address, which is not fetched`,
    );
    expect(fetches).not.toContain(loopback);
  });
});

describe("image URLs with IMAGE_FETCH_PRIVATE=allow (as the tests run)", () => {
  it("fetches loopback images, following redirects (relative ones too), up to 5", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await chat(key, {
      model: "google/gemini-2.5-flash-lite",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `what is this? ${marker}` },
            { type: "image_url", image_url: { url: image("redirect?hops=5") } },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    const sent = upstream?.body as { contents: Array<{ parts: unknown[] }> } | undefined;
    expect(sent?.contents[0]?.parts[1]).toEqual({
      inlineData: { mimeType: "image/png", data: PIXEL_PNG_BASE64 },
    });
  });

  it("refuses a sixth redirect, and a redirect to a URL that is not http(s)", async () => {
    const { key } = await fundedAccount("1");
    const gemini = MODELS[0] as (typeof MODELS)[number];
    const tooMany = await askThroughWorker(key, gemini, image("redirect?hops=6"), {});
    expect(tooMany.status).toBe(400);
    expect(tooMany.message).toContain(
      `messages.0.content.1.image_url: image ${image("redirect?hops=6")} redirects more than 5 times, the most followed`,
    );
    const ftp = await askThroughWorker(key, gemini, `${image("redirect")}?to=ftp://example.com/cat.png`, {});
    expect(ftp.status).toBe(400);
    expect(ftp.message).toContain("redirects to ftp://example.com/cat.png: ftp: URLs are not fetched");
  });

  it("gives the whole chain of redirects one timeout", async () => {
    const request = {
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: image("redirect?hops=3") } }] }],
    } as ChatRequest;
    const slow = `${image("redirect")}?to=${encodeURIComponent(image("slow.png?ms=3000"))}`;
    const viaSlow = {
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: slow } }] }],
    } as ChatRequest;
    await expect(inlineRemoteImages(request, { timeoutMs: 2000, allowPrivate: true })).resolves.toBeDefined();
    await expect(inlineRemoteImages(viaSlow, { timeoutMs: 200, allowPrivate: true })).rejects.toThrow(
      /messages\.0\.content\.0\.image_url: image .* did not arrive within 0.2 s/,
    );
    await expect(inlineRemoteImages(request, { allowPrivate: false })).rejects.toThrow(/private or loopback address/);
  });
});

describe("an image URL the gateway cannot fetch", () => {
  /** A chat request with the image at `url`, through the Worker (so that its fetches can be seen). */
  async function ask(
    key: string,
    url: string,
    extra: Record<string, unknown>,
    vars: Record<string, string | undefined>,
  ) {
    const marker = nonce();
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          ...extra,
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: `what is this? ${marker}` },
                { type: "image_url", image_url: { url } },
              ],
            },
          ],
        }),
      }),
      { ...env, ...vars },
      ctx,
    );
    const body = (await response.json()) as { error?: { message: string; metadata?: { attempts?: unknown[] } } };
    await waitOnExecutionContext(ctx);
    return { response, body, calls: await emulatorRequests(marker) };
  }

  it("skips the endpoints that need its bytes, fetching it once, and one that takes URLs answers", async () => {
    const { key } = await fundedAccount("1");
    const missing = image(`missing-${nonce()}.png`);
    const fetches = spyOnFetches();
    const { response, calls } = await ask(
      key,
      missing,
      {
        model: "google/gemini-2.5-flash-lite",
        models: ["google/gemini-2.5-flash-lite", "anthropic/claude-haiku-4.5", "openai/gpt-4o-mini"],
        provider: { only: ["google-ai-studio", "amazon-bedrock", "openai"] },
      },
      {},
    );
    expect(response.status).toBe(200);
    // Gemini and Bedrock were skipped with no call (no health verdict), listed as skips.
    expect(response.headers.get("x-tollgate-attempts")).toBe(
      "Google AI Studio;status=400, Amazon Bedrock;status=400, OpenAI;status=200",
    );
    expect(calls.map((call) => call.provider)).toEqual(["openai"]);
    // OpenAI was sent the URL as the client gave it; the gateway asked for it only once.
    expect(JSON.stringify(calls[0]?.body)).toContain(missing);
    expect(fetches.filter((url) => url === missing)).toHaveLength(1);
  });

  it("is the answer, a 400 naming the part, only when no endpoint took the request", async () => {
    const { key } = await fundedAccount("1");
    const missing = image(`missing-${nonce()}.png`);
    const { response, body, calls } = await ask(key, missing, { model: "google/gemini-2.5-flash-lite" }, {});
    expect(response.status).toBe(400);
    expect(body.error?.message).toBe(
      `Invalid request: messages.0.content.1.image_url: image ${missing} could not be fetched: HTTP 404`,
    );
    expect(body.error?.metadata?.attempts).toHaveLength(1);
    expect(calls).toEqual([]);
  });

  it("on a private address, is still refused for the endpoints that would fetch it, and a URL-taking one answers", async () => {
    const { key } = await fundedAccount("1");
    const url = "http://169.254.169.254/latest/meta-data/";
    const fetches = spyOnFetches();
    const { response, calls } = await ask(
      key,
      url,
      { model: "google/gemini-2.5-flash-lite", models: ["google/gemini-2.5-flash-lite", "openai/gpt-4o-mini"] },
      REFUSING,
    );
    expect(response.status).toBe(200);
    expect(calls.map((call) => call.provider)).toEqual(["openai"]);
    expect(fetches.filter((f) => hostOf(f) === hostOf(url))).toEqual([]);
  });
});

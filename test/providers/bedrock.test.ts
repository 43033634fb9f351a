import { describe, expect, it } from "vitest";
import { crc32, createEventStreamDecoder, encodeEventMessage } from "../../src/providers/bedrock/event-stream";
import { canonicalUri, sha256Hex, signature } from "../../src/providers/bedrock/sigv4";
import type { UpstreamEvent } from "../../src/providers/types";

const toHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

async function decode(chunks: Uint8Array[]): Promise<UpstreamEvent[]> {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  }).pipeThrough(createEventStreamDecoder());
  const events: UpstreamEvent[] = [];
  for await (const event of stream as unknown as AsyncIterable<UpstreamEvent>) events.push(event);
  return events;
}

describe("AWS event-stream framing", () => {
  const HEADERS = { ":event-type": "messageStart", ":content-type": "application/json", ":message-type": "event" };
  const PAYLOAD = '{"p":"abcd","role":"assistant"}';

  it("encodes the reference message byte for byte (CRC-32 IEEE)", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(toHex(encodeEventMessage(HEADERS, PAYLOAD))).toBe(
      "00000081000000526cc176930b3a6576656e742d7479706507000c6d65737361676553746172740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2270223a2261626364222c22726f6c65223a22617373697374616e74227df512a005",
    );
  });

  it("decodes messages split anywhere across reads, exceptions included", async () => {
    const one = encodeEventMessage(HEADERS, PAYLOAD);
    const two = encodeEventMessage(
      { ":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception" },
      '{"message":"Too many requests"}',
    );
    const all = new Uint8Array([...one, ...two]);
    const pieces = [all.slice(0, 5), all.slice(5, 100), all.slice(100, 140), all.slice(140)];
    expect(await decode(pieces)).toEqual([
      { event: "messageStart", data: PAYLOAD },
      { event: "exception:throttlingException", data: '{"message":"Too many requests"}' },
    ]);
  });

  it("rejects a corrupted message and a stream cut inside a message", async () => {
    const bad = encodeEventMessage(HEADERS, PAYLOAD);
    bad[bad.length - 10] = (bad[bad.length - 10] as number) ^ 0xff;
    await expect(decode([bad])).rejects.toThrow(/CRC/);
    const good = encodeEventMessage(HEADERS, PAYLOAD);
    await expect(decode([good.slice(0, 40)])).rejects.toThrow(/ended inside a message/);
  });
});

describe("SigV4", () => {
  it("matches the reference signature (double-encoded path, payload hash, signing key)", async () => {
    const url =
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    const body = '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}';
    expect(canonicalUri(new URL(url).pathname)).toBe("/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse");
    const payloadHash = await sha256Hex(body);
    expect(payloadHash).toBe("c3335e07d6e89650bf94cb98664be69f8774dbc3198df221f113db0a59ea14f0");
    const signed = await signature({
      url,
      payloadHash,
      headers: { host: "bedrock-runtime.us-east-1.amazonaws.com", "x-amz-date": "20250101T000000Z" },
      region: "us-east-1",
      service: "bedrock",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    });
    expect(signed.canonicalRequestHash).toBe("5339ebc1e12a1212e82f1e67db62fb24b82f65fb13e828142337ee8e7e1c95cc");
    expect(signed.signature).toBe("6439c1fd5984973c586965e89bf8472454cbdb51a8ee924761e87234c07104ef");
    expect(signed.signedHeaders).toBe("host;x-amz-date");
  });
});

/**
 * AWS Signature Version 4 with WebCrypto, for one service's POST requests (Bedrock: "bedrock").
 * The derived signing key depends only on (secret, date, region, service), so it is cached in the
 * isolate for the day instead of four HMACs per request.
 */

import { sha256Hex, toHex } from "../../digest";
import { cachedIn } from "../../refreshing";
import type { AwsCredentials } from "./credentials";

const encoder = new TextEncoder();

async function hmac(key: ArrayBuffer | Uint8Array, message: string): Promise<ArrayBuffer> {
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", imported, encoder.encode(message));
}

const signingKeys = new Map<string, Promise<ArrayBuffer>>();

function signingKey(secret: string, date: string, region: string, service: string): Promise<ArrayBuffer> {
  const id = `${date}/${region}/${service}/${secret}`;
  // Yesterday's keys (another day, a rotated secret) are dropped rather than kept forever.
  return cachedIn(signingKeys, id, 16, async () => {
    const kDate = await hmac(encoder.encode(`AWS4${secret}`), date);
    const kRegion = await hmac(kDate, region);
    const kService = await hmac(kRegion, service);
    return hmac(kService, "aws4_request");
  });
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEncode(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI: the path as sent (already encoded once) with every segment encoded again,
 * as non-S3 services expect (`v1%3A0` is signed as `v1%253A0`).
 */
export function canonicalUri(pathname: string): string {
  return pathname
    .replace(/\/+/g, "/")
    .split("/")
    .map((segment) => uriEncode(segment))
    .join("/");
}

/** `YYYYMMDDTHHMMSSZ` for a time. */
export function amzDate(time: Date): string {
  return time.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/**
 * SigV4's core: the canonical request over the given (lowercase) headers, the string to sign and
 * its signature. `headers` must include `host` and `x-amz-date`.
 */
export async function signature(input: {
  url: string;
  payloadHash: string;
  headers: Record<string, string>;
  region: string;
  service: string;
  secretAccessKey: string;
}): Promise<{ signature: string; signedHeaders: string; scope: string; canonicalRequestHash: string }> {
  const url = new URL(input.url);
  const date = input.headers["x-amz-date"] ?? "";
  const names = Object.keys(input.headers).sort();
  const canonicalHeaders = names
    .map((name) => `${name}:${String(input.headers[name]).trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const signedHeaders = names.join(";");
  const query = [...url.searchParams]
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .sort()
    .join("&");
  const canonicalRequest = [
    "POST",
    canonicalUri(url.pathname),
    query,
    canonicalHeaders,
    signedHeaders,
    input.payloadHash,
  ].join("\n");
  const canonicalRequestHash = await sha256Hex(canonicalRequest);
  const scope = `${date.slice(0, 8)}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", date, scope, canonicalRequestHash].join("\n");
  const key = await signingKey(input.secretAccessKey, date.slice(0, 8), input.region, input.service);
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signed = toHex(await crypto.subtle.sign("HMAC", imported, encoder.encode(stringToSign)));
  return { signature: signed, signedHeaders, scope, canonicalRequestHash };
}

/**
 * The headers that sign a request: `authorization`, `x-amz-date`, `x-amz-content-sha256` and,
 * with temporary credentials, `x-amz-security-token` (all signed, with host).
 */
export async function signRequest(input: {
  url: string;
  body: string;
  region: string;
  service: string;
  credentials: AwsCredentials;
  now?: Date;
}): Promise<Record<string, string>> {
  const payloadHash = await sha256Hex(input.body);
  const headers: Record<string, string> = {
    "x-amz-content-sha256": payloadHash,
    "x-amz-date": amzDate(input.now ?? new Date()),
    ...(input.credentials.sessionToken ? { "x-amz-security-token": input.credentials.sessionToken } : {}),
  };
  const signed = await signature({
    url: input.url,
    payloadHash,
    headers: { host: new URL(input.url).host, ...headers },
    region: input.region,
    service: input.service,
    secretAccessKey: input.credentials.secretAccessKey,
  });
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${signed.scope}, SignedHeaders=${signed.signedHeaders}, Signature=${signed.signature}`,
  };
}

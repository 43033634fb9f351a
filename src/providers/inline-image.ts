/**
 * Images sent to a provider as bytes: `data:` URLs read, with their media type in the spelling
 * providers accept.
 */

/**
 * A media type as providers accept it: lower case, and `image/jpg` (not a registered type, but
 * common in data URLs) as `image/jpeg` — Anthropic takes only jpeg|png|gif|webp, Bedrock's format
 * is the subtype (`jpeg`).
 */
export function normaliseMediaType(mediaType: string): string {
  const type = mediaType.trim().toLowerCase();
  return type === "image/jpg" ? "image/jpeg" : type;
}

/** The media type and base64 data of a `data:…;base64,…` URL (undefined for any other URL). */
export function parseDataUrl(url: string): { media_type: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { media_type: normaliseMediaType(match[1] as string), data: match[2] as string } : undefined;
}

/**
 * Nearly every chunk an OpenAI-format stream carries is one token of content for choice 0 and
 * nothing else. Such a chunk is recognised by its exact layout, without parsing it, and its content
 * is relayed as the JSON string literal it arrived as: parsing and re-serialising every token was
 * a quarter of a relayed stream's CPU. Anything else (the role chunk, reasoning, tool calls, a
 * finish reason, usage, another provider's field order, any doubt) does not match and takes the
 * full parse. What the layout admits is exactly valid JSON, so nothing malformed is passed on.
 */

/**
 * Any valid JSON string: characters other than a quote, a backslash or a control character, or
 * a valid escape. The fields the relay drops (id, model…) may hold any; the content is kept whole.
 */
const JSON_STRING = String.raw`"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;

const PLAIN_CONTENT_CHUNK = new RegExp(
  [
    String.raw`^\{"id":${JSON_STRING},"object":"chat\.completion\.chunk","created":\d+,"model":${JSON_STRING}`,
    `(?:,"service_tier":${JSON_STRING})?(?:,"system_fingerprint":(?:${JSON_STRING}|null))?`,
    String.raw`,"choices":\[\{"index":0,"delta":\{"content":(${JSON_STRING})\},"logprobs":null,"finish_reason":null\}\]`,
    String.raw`(?:,"usage":null)?(?:,"obfuscation":${JSON_STRING})?\}$`,
  ].join(""),
);

export interface PlainContentChunk {
  /** The token, decoded. */
  content: string;
  /** The chunk's choices as the relay would serialise them, with the literal spliced in. */
  serializedChoices: string;
}

export function plainContentChunk(data: string): PlainContentChunk | null {
  const literal = PLAIN_CONTENT_CHUNK.exec(data)?.[1];
  if (literal === undefined) return null;
  return {
    content: literal.includes("\\") ? (JSON.parse(literal) as string) : literal.slice(1, -1),
    serializedChoices: `[{"index":0,"delta":{"content":${literal}},"finish_reason":null}]`,
  };
}

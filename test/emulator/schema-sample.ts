/** A JSON value that satisfies a (reasonable subset of) JSON Schema, for tool args and json_schema. */
type Schema = Record<string, unknown>;

const SAMPLE_STRINGS: Record<string, string> = {
  city: "Paris",
  location: "Paris, France",
  name: "Ada",
  unit: "celsius",
  query: "weather",
  date: "2025-01-01",
};

/**
 * `strings` overrides the sampled value of a string property by its name (the emulated model's
 * `url` taken from the prompt, say), at any depth.
 */
export function sampleFromSchema(
  schema: unknown,
  key = "value",
  depth = 0,
  strings: Readonly<Record<string, string>> = {},
): unknown {
  if (!schema || typeof schema !== "object" || depth > 6) return null;
  const s = schema as Schema;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const union of ["anyOf", "oneOf", "allOf"]) {
    const options = s[union];
    if (Array.isArray(options) && options.length > 0) {
      const nonNull = options.find((o) => (o as Schema)?.type !== "null") ?? options[0];
      return sampleFromSchema(nonNull, key, depth + 1, strings);
    }
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") as string) : (s.type as string | undefined);
  switch (type ?? (s.properties ? "object" : "string")) {
    case "object": {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(properties)) out[name] = sampleFromSchema(sub, name, depth + 1, strings);
      return out;
    }
    case "array": {
      const min = typeof s.minItems === "number" ? s.minItems : 1;
      return Array.from({ length: Math.max(1, min) }, () => sampleFromSchema(s.items, key, depth + 1, strings));
    }
    case "integer":
      return typeof s.minimum === "number" ? Math.ceil(s.minimum) : 7;
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 21.5;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return (Object.hasOwn(strings, key) ? strings[key] : SAMPLE_STRINGS[key.toLowerCase()]) ?? `sample ${key}`;
  }
}

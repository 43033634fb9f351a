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

export function sampleFromSchema(schema: unknown, key = "value", depth = 0): unknown {
  if (!schema || typeof schema !== "object" || depth > 6) return null;
  const s = schema as Schema;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const union of ["anyOf", "oneOf", "allOf"]) {
    const options = s[union];
    if (Array.isArray(options) && options.length > 0) {
      const nonNull = options.find((o) => (o as Schema)?.type !== "null") ?? options[0];
      return sampleFromSchema(nonNull, key, depth + 1);
    }
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") as string) : (s.type as string | undefined);
  switch (type ?? (s.properties ? "object" : "string")) {
    case "object": {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(properties)) out[name] = sampleFromSchema(sub, name, depth + 1);
      return out;
    }
    case "array": {
      const min = typeof s.minItems === "number" ? s.minItems : 1;
      return Array.from({ length: Math.max(1, min) }, () => sampleFromSchema(s.items, key, depth + 1));
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
      return SAMPLE_STRINGS[key.toLowerCase()] ?? `sample ${key}`;
  }
}

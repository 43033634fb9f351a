import type * as z from "zod";

/**
 * Request bodies validated by running only the fields they carry. zod's object parse runs every
 * field's schema, absent ones included, and in Workers it runs without the code it would
 * otherwise generate (eval is forbidden): a plain chat request carries 2 of the chat schema's 39
 * fields, and the 37 absent ones were ~85% of its validation (6.4 vs 1.2 µs a parse in a jitless
 * loop; ~25–40 µs of a request's CPU in workerd, where the knock-out measured it).
 *
 * The result is zod's own on success, key order included (shape order, then unknown keys): a key
 * that is absent and optional in and out contributes nothing there either. Anything else goes to
 * zod: a body that is not an object, a required or defaulted field that is absent, and any field
 * that fails, so every error is zod's own, issues and messages alike. Only for loose objects with
 * no object-level checks, which is what `sparse` is applied to (the request schemas).
 */
type LooseObject = z.ZodObject<z.ZodRawShape, z.core.$loose>;
type SafeParse = (value: unknown) => z.ZodSafeParseResult<unknown>;

const parsers = new WeakMap<z.ZodType, SafeParse>();

/**
 * Marks a request schema to be parsed field by field (parseWith uses it); returns the schema. The
 * parser is built on first use, not while the Worker starts.
 */
export function sparse<S extends LooseObject>(schema: S): S {
  let parser: SafeParse | undefined;
  parsers.set(schema, (value) => {
    parser ??= sparseParser(schema);
    return parser(value);
  });
  return schema;
}

/** The sparse parser of `schema`, if it was marked with `sparse`. */
export const sparseParserOf = (schema: z.ZodType): SafeParse | undefined => parsers.get(schema);

function sparseParser(schema: LooseObject): SafeParse {
  const shape = schema.shape;
  const keys = Object.keys(shape).filter((key) => key !== "__proto__");
  const known = new Set(Object.keys(shape));
  // zod skips such a field when absent (its value is dropped, its issues ignored).
  const skippable = new Set(
    keys.filter((key) => {
      const internals = (shape[key] as z.ZodType)._zod;
      return internals.optin === "optional" && internals.optout === "optional";
    }),
  );
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return schema.safeParse(value);
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (!(key in input)) {
        if (skippable.has(key)) continue;
        return schema.safeParse(value);
      }
      const field = (shape[key] as z.ZodType).safeParse(input[key]);
      if (!field.success) return schema.safeParse(value);
      out[key] = field.data;
    }
    for (const key in input) {
      if (!known.has(key) && key !== "__proto__") out[key] = input[key];
    }
    return { success: true, data: out };
  };
}

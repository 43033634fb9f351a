import type * as z from "zod/mini";
import { $ZodError } from "zod/v4/core";
import "./zod-locale";

/**
 * Request bodies validated by running only the fields they carry. zod's object parse runs every
 * field's schema, absent ones included, and in Workers it runs without the code it would
 * otherwise generate (eval is forbidden): a plain chat request carries 2 of the chat schema's 39
 * fields, and the 37 absent ones were ~85% of its validation (6.4 vs 1.2 µs a parse in a jitless
 * loop; ~25–40 µs of a request's CPU in workerd, where the knock-out measured it).
 *
 * The result is zod's own on success, key order included (shape order, then unknown keys): a key
 * that is absent and optional in and out contributes nothing there either. A required or
 * defaulted field that is absent runs on undefined, as zod's object runs it, and a field that fails
 * gives its own issues under its key, so every error is zod's own, issues (in the same order) and
 * messages alike; a body that is not an object goes to zod whole. Only for loose objects with no
 * object-level checks, which is what `sparse` is applied to (the request schemas).
 */
type LooseObject = z.ZodMiniObject<z.core.$ZodShape, z.core.$loose>;
type SafeParse = (value: unknown) => z.core.util.SafeParseResult<unknown>;

const parsers = new WeakMap<z.ZodMiniType, SafeParse>();

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
export const sparseParserOf = (schema: z.ZodMiniType): SafeParse | undefined => parsers.get(schema);

function sparseParser(schema: LooseObject): SafeParse {
  const shape = schema.shape;
  const keys = Object.keys(shape).filter((key) => key !== "__proto__");
  const known = new Set(Object.keys(shape));
  // zod skips such a field when absent (its value is dropped, its issues ignored).
  const skippable = new Set(
    keys.filter((key) => {
      const internals = (shape[key] as z.ZodMiniType)._zod;
      return internals.optin === "optional" && internals.optout === "optional";
    }),
  );
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return schema.safeParse(value);
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const issues: z.core.$ZodIssue[] = [];
    for (const key of keys) {
      const present = key in input;
      if (!present && skippable.has(key)) continue;
      // An absent field runs as zod's object runs it: on undefined (a default applies, a required
      // field fails), set only when it gives a value.
      const field = (shape[key] as z.ZodMiniType).safeParse(input[key]);
      if (!field.success) {
        // Its issues under its key, as zod's object reports them. Not a second parse of the whole
        // body: that ran every field again, and zod's object adds a field's issues to its own with
        // one spread call, which past ~100k issues (a 10 MB body of bad messages) overflows the
        // stack, a 500 after seconds of CPU.
        for (const issue of field.error.issues) issues.push({ ...issue, path: [key, ...issue.path] });
        continue;
      }
      if (present || field.data !== undefined) out[key] = field.data;
    }
    if (issues.length > 0) return { success: false, error: new $ZodError(issues) };
    for (const key in input) {
      if (!known.has(key) && key !== "__proto__") out[key] = input[key];
    }
    return { success: true, data: out };
  };
}

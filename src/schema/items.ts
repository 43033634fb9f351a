import * as z from "zod/mini";

/**
 * Arrays and records of a request body that stop at their first bad value.
 *
 * zod validates every element of an array (every value of a record) and keeps an issue for each
 * bad one, each issue's path then rebuilt at every level above it: a 2 MB body of a million bad
 * values cost 2–3 s of CPU to refuse (a 20 MB one, past a Worker's CPU limit), from any key, credit
 * or not, on the thread every other request of the isolate shares. A 400 names the first bad
 * value; the rest were never read. These run the element's schema value by value and stop at the
 * first that fails, with zod's own issues for it (path included), so the 400 is the one zod gave;
 * a body that passes comes out as zod's would.
 */

/** `z.array(element)`, refused at its first bad element; `length` adds zod's length checks first. */
export function items<T extends z.ZodMiniType>(
  element: T,
  length: (array: z.ZodMiniArray<z.ZodMiniUnknown>) => z.ZodMiniArray<z.ZodMiniUnknown> = (array) => array,
): z.ZodMiniType<z.output<T>[], z.input<T>[]> {
  return z.pipe(
    length(z.array(z.unknown())),
    z.transform((values, ctx) => {
      const out: z.output<T>[] = new Array(values.length);
      for (let index = 0; index < values.length; index++) {
        const result = element.safeParse(values[index]);
        if (!result.success) return refuse(ctx.issues, index, result.error.issues);
        out[index] = result.data;
      }
      return out;
    }),
  ) as unknown as z.ZodMiniType<z.output<T>[], z.input<T>[]>;
}

const AnyRecord = z.record(z.string(), z.unknown());

/**
 * `z.record(z.string(), value)`, refused at its first bad value. Not built on zod's record, which
 * runs a key schema and a value schema for every key (~2.5 µs a key, seconds for a million).
 */
export function entries<T extends z.ZodMiniType>(
  value: T,
): z.ZodMiniType<Record<string, z.output<T>>, Record<string, z.input<T>>> {
  return z.pipe(
    z.unknown(),
    z.transform((record, ctx) => {
      if (typeof record !== "object" || record === null || Array.isArray(record)) {
        // Not an object at all: zod's own refusal of it.
        const refusal = AnyRecord.safeParse(record);
        for (const issue of refusal.error?.issues ?? []) ctx.issues.push(issue as z.core.$ZodRawIssue);
        return z.NEVER;
      }
      const out: Record<string, z.output<T>> = {};
      // for…in, not Object.entries: a million-key object's entries took ~2 s to list, for…in's keys
      // about what JSON.parse took to build it.
      for (const key in record) {
        if (!Object.hasOwn(record, key)) continue;
        const result = value.safeParse((record as Record<string, unknown>)[key]);
        if (!result.success) return refuse(ctx.issues, key, result.error.issues);
        // Defined, not assigned: a `__proto__` key of the body is a key like any other.
        Object.defineProperty(out, key, { value: result.data, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }),
  ) as unknown as z.ZodMiniType<Record<string, z.output<T>>, Record<string, z.input<T>>>;
}

/** The failing value's issues, under its index or key, as zod's array or record reports them. */
function refuse(into: z.core.$ZodRawIssue[], at: PropertyKey, issues: z.core.$ZodIssue[]): never {
  // Finished issues (their messages set) pushed as raw ones: zod keeps a message it finds.
  for (const issue of issues) into.push({ ...issue, path: [at, ...issue.path] } as z.core.$ZodRawIssue);
  return z.NEVER;
}

import type * as z from "zod/mini";
import "./zod-locale";
import { keepShapes } from "../hot-shapes";
import { readBodyText } from "./body";
import { badRequest, GatewayError } from "./errors";
import { assertNesting } from "./nesting";
import { sparseParserOf } from "./sparse";

/**
 * Reads a JSON body (at most MAX_BODY_BYTES, else a 413) and validates it; a bad body is a 400
 * that names the offending field.
 */
export async function parseJsonBody<S extends z.ZodMiniType>(request: Request, schema: S): Promise<z.infer<S>> {
  const text = await readBodyText(request);
  assertNesting(text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest("Request body must be valid JSON");
  }
  keepShapes("request body", body, text.length);
  const valid = parseWith(schema, body);
  keepShapes("validated request", valid, text.length);
  return valid;
}

export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown): z.infer<S> {
  const sparse = sparseParserOf(schema);
  let result: z.core.util.SafeParseResult<unknown>;
  try {
    result = sparse ? sparse(value) : schema.safeParse(value);
  } catch (error) {
    // zod's object adds a field's issues to its own with one spread call, which overflows the
    // stack past ~100k of them (a message with 800k bad content parts): the body is the client's
    // to fix all the same, and a 500 would say otherwise.
    if (error instanceof RangeError) {
      throw badRequest("Invalid request: too many invalid values to list; check the body's arrays against the schema");
    }
    throw error;
  }
  if (result.success) return result.data as z.infer<S>;
  const issues = result.error.issues.slice(0, 10).map((issue) => describeIssue(issue, [], value));
  const first = issues[0];
  throw badRequest(`Invalid request: ${first?.path || "body"}: ${first?.message ?? "invalid value"}`, {
    issues,
  });
}

/**
 * A 400 from parseWith with its paths renamed (in its message and each issue), for a request that
 * was validated as another API's (a Responses or Messages request as chat's).
 */
export function withPathsRenamed(error: GatewayError, rename: (text: string) => string): GatewayError {
  const issues = error.metadata?.issues as Array<{ path: string; message: string }> | undefined;
  return new GatewayError(error.status, rename(error.message), {
    ...error.metadata,
    ...(issues ? { issues: issues.map((issue) => ({ ...issue, path: rename(issue.path) })) } : {}),
  });
}

type Issue = z.core.$ZodIssue;
type Path = PropertyKey[];

/** zod's own wording for a union that failed; a schema's custom message replaces it (and is kept). */
const ZOD_UNION_MESSAGE = "Invalid input";

/**
 * One issue as the client should read it: its full path and a message that names the problem.
 * zod reports a failed union at the union's path as "Invalid input", with each option's issues
 * nested inside; this descends to the option that got furthest (a content part whose `text` is
 * not a string, rather than "content is not a string"), and where every option failed at the
 * union itself (an enum-like value: tool_choice, provider.sort, stop) lists what is accepted.
 */
export function describeIssue(issue: Issue, base: Path, input: unknown): { path: string; message: string } {
  const path = [...base, ...issue.path];
  const at = (message: string) => ({ path: path.map(String).join("."), message });
  if (issue.code !== "invalid_union") return at(issue.message.replace(/^Invalid input: /, ""));
  if ("options" in issue && issue.options && issue.discriminator !== undefined) {
    // A discriminated union whose discriminator matched no option: say which value came.
    const accepted = issue.options.map((o) => JSON.stringify(o)).join(", ");
    return at(`expected one of ${accepted}, got ${received(valueAt(input, path))}`);
  }
  if (issue.message !== ZOD_UNION_MESSAGE || issue.errors.length === 0) return at(issue.message);
  // The option whose issues lie deepest is the one the client meant.
  let best: Issue | undefined;
  let bestDepth = 0;
  for (const option of issue.errors) {
    for (const inner of option) {
      const d = depth(inner);
      if (d > bestDepth) {
        best = inner;
        bestDepth = d;
      }
    }
  }
  if (best) return describeIssue(best, path, input);
  // Every option failed at the union itself: list what each accepts.
  const alternatives = [...new Set(issue.errors.map((option) => option[0]).flatMap((i) => (i ? [expected(i)] : [])))];
  const value = valueAt(input, path);
  return at(
    value === undefined
      ? `missing (expected ${alternatives.join(" or ")})`
      : `expected ${alternatives.join(" or ")}, got ${received(value)}`,
  );
}

/** How far into the value an issue points, counting into nested unions. */
function depth(issue: Issue): number {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue.path.length;
  let deepest = 0;
  for (const option of issue.errors) for (const inner of option) deepest = Math.max(deepest, depth(inner));
  return issue.path.length + deepest;
}

/** What one option of a union accepts, in a few words. */
function expected(issue: Issue): string {
  if (issue.code === "invalid_value") {
    const values = issue.values.map((v) => JSON.stringify(v));
    return values.length === 1 ? (values[0] as string) : `one of ${values.join(", ")}`;
  }
  if (issue.code === "invalid_type")
    return /^[aeiou]/.test(issue.expected) ? `an ${issue.expected}` : `a ${issue.expected}`;
  return issue.message.replace(/^Invalid input: /, "");
}

function valueAt(input: unknown, path: Path): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function received(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

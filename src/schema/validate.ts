import type * as z from "zod";
import { readBodyText } from "./body";
import { badRequest } from "./errors";
import { sparseParserOf } from "./sparse";

/**
 * Reads a JSON body (at most MAX_BODY_BYTES, else a 413) and validates it; a bad body is a 400
 * that names the offending field.
 */
export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  const text = await readBodyText(request);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest("Request body must be valid JSON");
  }
  return parseWith(schema, body);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const sparse = sparseParserOf(schema);
  const result = sparse ? sparse(value) : schema.safeParse(value);
  if (result.success) return result.data as z.infer<S>;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "body";
  throw badRequest(`Invalid request: ${path}: ${issue?.message ?? "invalid value"}`, {
    issues: result.error.issues.slice(0, 10).map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

/**
 * What the Worker bundle has in place of zod 4's core/json-schema-processors.js (wrangler.toml's
 * `alias`, which points zod's classic API's import of it here). Each classic schema class refers to
 * its JSON Schema processor, so tree-shaking cannot drop them, and the gateway never makes a JSON
 * Schema from a zod schema: this keeps ~5.7 KiB of the gzip bundle out. Schemas parse exactly as
 * before; asking one for its JSON Schema throws. The tests run real zod (vitest does not read the
 * alias), and `npm run check:bundle` fails if src/ starts asking for JSON Schemas.
 */

// The real one: the classic API's derived properties (a string schema's minLength, …) read it.
export { aggregateChecks } from "../../node_modules/zod/v4/core/json-schema-processors.js";

const unbundled = () => {
  throw new Error("zod's JSON Schema output is left out of the Worker bundle (see src/zod-slim/)");
};

export const stringProcessor = unbundled;
export const numberProcessor = unbundled;
export const booleanProcessor = unbundled;
export const bigintProcessor = unbundled;
export const symbolProcessor = unbundled;
export const nullProcessor = unbundled;
export const undefinedProcessor = unbundled;
export const voidProcessor = unbundled;
export const neverProcessor = unbundled;
export const anyProcessor = unbundled;
export const unknownProcessor = unbundled;
export const dateProcessor = unbundled;
export const enumProcessor = unbundled;
export const literalProcessor = unbundled;
export const nanProcessor = unbundled;
export const templateLiteralProcessor = unbundled;
export const fileProcessor = unbundled;
export const successProcessor = unbundled;
export const customProcessor = unbundled;
export const functionProcessor = unbundled;
export const transformProcessor = unbundled;
export const mapProcessor = unbundled;
export const setProcessor = unbundled;
export const arrayProcessor = unbundled;
export const objectProcessor = unbundled;
export const unionProcessor = unbundled;
export const intersectionProcessor = unbundled;
export const tupleProcessor = unbundled;
export const recordProcessor = unbundled;
export const nullableProcessor = unbundled;
export const nonoptionalProcessor = unbundled;
export const defaultProcessor = unbundled;
export const prefaultProcessor = unbundled;
export const catchProcessor = unbundled;
export const pipeProcessor = unbundled;
export const readonlyProcessor = unbundled;
export const promiseProcessor = unbundled;
export const optionalProcessor = unbundled;
export const lazyProcessor = unbundled;
export const allProcessors = {};
export const toJSONSchema = unbundled;

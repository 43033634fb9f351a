/**
 * What the Worker bundle has in place of zod 4's core/to-json-schema.js, for the reason in
 * ./json-schema-processors.js: the classic API makes each schema's toJSONSchema method (and its
 * Standard Schema `jsonSchema` methods) with these, which throw when called.
 */
const unbundled = () => () => {
  throw new Error("zod's JSON Schema output is left out of the Worker bundle (see src/zod-slim/)");
};

export const createToJSONSchemaMethod = unbundled;
export const createStandardJSONSchemaMethod = unbundled;

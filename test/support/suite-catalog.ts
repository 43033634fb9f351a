import { defaultCatalog as shipped } from "../../src/catalog/default-catalog";
import type { Catalog } from "../../src/catalog/types";

/**
 * The bundled catalog as the test suite sees it (vitest.config.ts puts this module in place of
 * src/catalog/default-catalog.ts for every importer but this one): the shipped catalog with no
 * model's expiration date. The suite's workhorse models are ones OpenAI shuts down (GPT-4o mini on
 * 2027-01-14): from that day the shipped catalog refuses them, and a suite that used them as they
 * ship would fail on a date, not on a change. Here they are fixtures whatever the day; what
 * expiration dates do is tested with catalogs that set them (model-expiration.test.ts).
 */
export const shippedCatalog: Catalog = shipped;

export const defaultCatalog: Catalog = {
  ...shipped,
  models: shipped.models.map((model) => (model.expiration_date === null ? model : { ...model, expiration_date: null })),
};

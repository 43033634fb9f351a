import type { Context } from "hono";
import { requireKey } from "../auth/middleware";
import { matchesFilters, parseModelFilters } from "../catalog/filter";
import { presentArchitecture, presentEndpoint, presentModel, presentProvider } from "../catalog/present";
import { type CatalogIndex, getCatalog } from "../catalog/store";
import type { Model, Provider } from "../catalog/types";
import type { AppEnv } from "../context";
import { routes } from "../routes";
import { health } from "../routing/health";
import { endpointKey, parseModelId } from "../routing/plan";
import { notFound } from "../schema/errors";

const THIRTY_MINUTES_MS = 30 * 60_000;

/** The catalog's public face. No key needed, as on OpenRouter (but for `/models/user`). */
export const modelsRoutes = routes();

/** The models a `/models` query selects (the catalog's order). */
async function selectModels(c: Context<AppEnv>) {
  const { catalog } = await getCatalog(c.env, c.executionCtx);
  const url = new URL(c.req.url);
  const filters = parseModelFilters(url.searchParams);
  return { url, matching: catalog.models.filter((m) => matchesFilters(m, filters)) };
}

/**
 * A page of the selected models in OpenRouter's list shape, with the link to the next page: the
 * same path and filters, only `offset` moved on.
 */
async function listModels(c: Context<AppEnv>) {
  const { url, matching } = await selectModels(c);
  const query = url.searchParams;
  const offset = Math.max(0, Number(query.get("offset") ?? 0) || 0);
  const limit = Math.min(1000, Math.max(1, Number(query.get("limit") ?? 500) || 500));
  const page = matching.slice(offset, offset + limit);
  const nextOffset = offset + page.length;
  let next: string | null = null;
  if (nextOffset < matching.length) {
    const nextQuery = new URLSearchParams(query);
    nextQuery.set("offset", String(nextOffset));
    nextQuery.set("limit", String(limit));
    next = `${url.pathname}?${nextQuery}`;
  }
  return c.json({ data: page.map(presentModel), links: { next }, total_count: matching.length });
}

modelsRoutes.get("/models", (c) => listModels(c));

/** How many models `/models` would list for the same filters (the SDK's `models.count()`). */
modelsRoutes.get("/models/count", async (c) => {
  const { matching } = await selectModels(c);
  return c.json({ data: { count: matching.length } });
});

/**
 * OpenRouter's models "for the user", filtered by the account's provider settings. Accounts here
 * have no such settings, so it is `/models` behind a key.
 */
modelsRoutes.get("/models/user", requireKey, (c) => listModels(c));

modelsRoutes.get("/embeddings/models", async (c) => {
  const { catalog } = await getCatalog(c.env, c.executionCtx);
  const data = catalog.models.filter((m) => m.kind === "embedding").map(presentModel);
  return c.json({ data, links: { next: null }, total_count: data.length });
});

/** A model's endpoints as OpenRouter lists them, with this isolate's figures of the last 30 minutes. */
function presentEndpoints(index: CatalogIndex, model: Model, keep: (provider: Provider) => boolean = () => true) {
  return model.endpoints.flatMap((endpoint) => {
    const provider = index.providers.get(endpoint.provider);
    if (!provider || !keep(provider)) return [];
    // Per location, as health is (DESIGN.md).
    const figures = health.recentFigures(endpointKey(model, endpoint), THIRTY_MINUTES_MS);
    return [presentEndpoint(model, endpoint, provider, figures)];
  });
}

/** The catalog's model `author/slug`, a variant suffix (`:floor`, `:free`…) naming the same model; or a 404. */
function modelOf(c: Context<AppEnv>, index: CatalogIndex): Model {
  const requested = `${c.req.param("author")}/${c.req.param("slug")}`;
  const model = index.models.get(parseModelId(requested, index).id);
  if (!model) throw notFound(`Model ${requested} not found`);
  return model;
}

modelsRoutes.get("/models/:author/:slug/endpoints", async (c) => {
  const index = await getCatalog(c.env, c.executionCtx);
  const model = modelOf(c, index);
  return c.json({
    data: {
      id: model.id,
      name: model.name,
      created: model.created,
      description: model.description,
      architecture: presentArchitecture(model),
      endpoints: presentEndpoints(index, model),
    },
  });
});

/** One model as `/models` lists it (the SDK's `models.get`). */
modelsRoutes.get("/model/:author/:slug", async (c) => {
  const index = await getCatalog(c.env, c.executionCtx);
  return c.json({ data: presentModel(modelOf(c, index)) });
});

/**
 * The endpoints a request with `provider.zdr: true` may use: those of providers that offer zero
 * data retention (the SDK's `endpoints.listZdrEndpoints`), embedding models' too.
 */
modelsRoutes.get("/endpoints/zdr", async (c) => {
  const index = await getCatalog(c.env, c.executionCtx);
  const data = index.catalog.models.flatMap((model) =>
    presentEndpoints(index, model, (provider) => provider.data_policy.zdr),
  );
  return c.json({ data });
});

modelsRoutes.get("/providers", async (c) => {
  const { catalog } = await getCatalog(c.env, c.executionCtx);
  return c.json({ data: catalog.providers.map(presentProvider) });
});

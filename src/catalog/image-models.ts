import type { CatalogIndex } from "./store";
import type { Endpoint, Model, Provider } from "./types";

/**
 * The catalog's image models as OpenRouter's image API lists them (its SDK's ImageModelListItem,
 * ImageEndpoint): what `POST /images` takes for them, as capability descriptors, and each
 * endpoint's prices as pricing lines. The models here draw through Gemini, so one set of
 * parameters serves every endpoint: the values `POST /images` passes on (schema/images.ts).
 */

type Capability =
  | { type: "enum"; values: string[] }
  | { type: "range"; min: number; max: number }
  | { type: "boolean" };

/** Gemini's image aspect ratios (its documented set), "auto" the model's choice. */
const ASPECT_RATIOS = ["auto", "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

export const IMAGE_PARAMETERS: Record<string, Capability> = {
  aspect_ratio: { type: "enum", values: ASPECT_RATIOS },
  resolution: { type: "enum", values: ["512", "1K", "2K", "4K"] },
  n: { type: "range", min: 1, max: 1 },
  output_format: { type: "enum", values: ["png"] },
  background: { type: "enum", values: ["auto", "opaque"] },
  input_references: { type: "boolean" },
  seed: { type: "boolean" },
};

/** Whether an endpoint can draw: its provider's wire format returns images (the caller knows the adapters). */
export type DrawsAt = (provider: Provider) => boolean;

/** A model's endpoints that draw, with their providers. */
function drawingEndpoints(index: CatalogIndex, model: Model, drawsAt: DrawsAt) {
  return model.endpoints.flatMap((endpoint) => {
    const provider = index.providers.get(endpoint.provider);
    return provider && drawsAt(provider) ? [{ endpoint, provider }] : [];
  });
}

/** The catalog's models that draw images at one endpoint or more. */
export function imageModels(index: CatalogIndex, drawsAt: DrawsAt): Model[] {
  return index.catalog.models.filter(
    (model) =>
      model.architecture.output_modalities.includes("image") && drawingEndpoints(index, model, drawsAt).length > 0,
  );
}

/** One model of `GET /images/models`; `endpoints` is the path of its endpoints' list. */
export function presentImageModel(model: Model, apiBase: string) {
  return {
    id: model.id,
    name: model.name,
    created: model.created,
    description: model.description,
    architecture: {
      input_modalities: model.architecture.input_modalities,
      output_modalities: model.architecture.output_modalities,
    },
    endpoints: `${apiBase}/images/models/${model.id}/endpoints`,
    supported_parameters: IMAGE_PARAMETERS,
    // `stream: true` is answered with the whole reply (api/images.ts).
    supports_streaming: false,
  };
}

/** An endpoint's token prices as OpenRouter's image pricing lines (USD a token). */
function pricingLines(endpoint: Endpoint) {
  const lines = [{ billable: "input_text", unit: "token", cost_usd: Number(endpoint.pricing.prompt) }];
  const image = endpoint.pricing.image_output;
  if (image !== undefined) lines.push({ billable: "output_image", unit: "token", cost_usd: Number(image) });
  return lines;
}

/** `GET /images/models/{author}/{slug}/endpoints`: the model's endpoints that draw. */
export function presentImageEndpoints(index: CatalogIndex, model: Model, drawsAt: DrawsAt) {
  return {
    id: model.id,
    endpoints: drawingEndpoints(index, model, drawsAt).map(({ endpoint, provider }) => ({
      provider_name: provider.name,
      provider_slug: provider.slug,
      provider_tag: endpoint.tag ? `${provider.slug}/${endpoint.tag}` : provider.slug,
      pricing: pricingLines(endpoint),
      supported_parameters: IMAGE_PARAMETERS,
      // Fields of the request passed to the provider as they are: none.
      allowed_passthrough_parameters: [],
      supports_streaming: false,
    })),
  };
}

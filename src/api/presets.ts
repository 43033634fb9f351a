import type { Context } from "hono";
import * as z from "zod/mini";
import { requireKey } from "../auth/middleware";
import { accountStub, unwrap } from "../billing/client";
import type { AppEnv } from "../context";
import { draftFromChat, draftFromMessages, draftFromResponses } from "../presets/config";
import { presetData, presetVersionData, presetWithVersionData } from "../presets/present";
import { forgetPreset } from "../presets/read";
import { routes } from "../routes";
import { badRequest } from "../schema/errors";
import { PRESET_SLUG, PRESET_SLUG_RULE, type PresetDraft, PresetPageQuerySchema } from "../schema/presets";
import { parseJsonBody, parseWith } from "../schema/validate";

/**
 * OpenRouter's presets API: the account's named, versioned request configurations, in the shapes
 * of its SDK. Called with a provisioning key (the Account object checks it): a preset shapes every
 * request of the account that names it (its system prompt, its model), which is the account's
 * to manage, not any one API key's.
 */
export const presetsRoutes = routes();

/** The slug in the path, or a 400 naming the rule. */
function slugOf(raw: string): string {
  if (!PRESET_SLUG.test(raw)) throw badRequest(`Invalid preset slug ${JSON.stringify(raw)}: ${PRESET_SLUG_RULE}`);
  return raw;
}

presetsRoutes.get("/presets", requireKey, async (c) => {
  const page = parseWith(PresetPageQuerySchema, c.req.query());
  const auth = c.get("auth");
  const { rows, total } = unwrap(await accountStub(c.env, auth.accountId).listPresets(auth.keyHash, page));
  // Without their versions' configs, as OpenRouter's list (`Preset`): a version is one GET away.
  return c.json({ data: rows.map((row) => presetData(row, row.designated_version_id)), total_count: total });
});

presetsRoutes.get("/presets/:slug", requireKey, async (c) => {
  const auth = c.get("auth");
  const slug = slugOf(c.req.param("slug"));
  const { preset, version } = unwrap(await accountStub(c.env, auth.accountId).getPreset(auth.keyHash, slug));
  return c.json({ data: presetWithVersionData(preset, version) });
});

presetsRoutes.get("/presets/:slug/versions", requireKey, async (c) => {
  const page = parseWith(PresetPageQuerySchema, c.req.query());
  const auth = c.get("auth");
  const slug = slugOf(c.req.param("slug"));
  const { preset, rows, total } = unwrap(
    await accountStub(c.env, auth.accountId).listPresetVersions(auth.keyHash, slug, page),
  );
  return c.json({ data: rows.map((row) => presetVersionData(preset, row)), total_count: total });
});

const VersionNumber = z.coerce.number().check(z.int(), z.positive());

presetsRoutes.get("/presets/:slug/versions/:version", requireKey, async (c) => {
  const auth = c.get("auth");
  const slug = slugOf(c.req.param("slug"));
  const version = VersionNumber.safeParse(c.req.param("version"));
  if (!version.success) {
    throw badRequest(`Invalid preset version ${JSON.stringify(c.req.param("version"))}: a version number (1, 2, …)`);
  }
  const found = unwrap(await accountStub(c.env, auth.accountId).getPresetVersion(auth.keyHash, slug, version.data));
  return c.json({ data: presetVersionData(found.preset, found.version) });
});

/** Saves a new version made from the body; 200 with the preset and its new designated version, as OpenRouter answers. */
async function save(c: Context<AppEnv>, slug: string, draftOf: (body: unknown) => PresetDraft) {
  const auth = c.get("auth");
  const draft = draftOf(await parseJsonBody(c.req.raw, z.unknown()));
  const saved = unwrap(await accountStub(c.env, auth.accountId).savePreset(auth.keyHash, slug, draft));
  // This isolate's requests see the new version at once; others within read.ts's TTL.
  forgetPreset(auth.accountId, slug);
  return c.json({ data: presetWithVersionData(saved.preset, saved.version) });
}

presetsRoutes.post("/presets/:slug/chat/completions", requireKey, (c) =>
  save(c, slugOf(c.req.param("slug")), draftFromChat),
);

presetsRoutes.post("/presets/:slug/responses", requireKey, (c) =>
  save(c, slugOf(c.req.param("slug")), draftFromResponses),
);

presetsRoutes.post("/presets/:slug/messages", requireKey, (c) =>
  save(c, slugOf(c.req.param("slug")), draftFromMessages),
);

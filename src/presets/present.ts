import type { PresetRow, PresetVersionRow } from "../billing/preset-store";

/**
 * Presets in OpenRouter's shapes (its SDK's `Preset`, `PresetWithDesignatedVersion` and
 * `PresetDesignatedVersion`). Accounts have no users or workspaces: `creator_user_id` and
 * `workspace_id` are null, a version's `creator_id` is the hash of the key that made it, and the
 * name is the slug (nothing else names a preset made through the API). Presets are never disabled
 * or archived here, so `status` is `active`.
 */

const iso = (ms: number) => new Date(ms).toISOString();

export function presetData(row: PresetRow, versionId: string | null) {
  return {
    id: row.id,
    slug: row.slug,
    name: row.slug,
    description: null,
    status: "active" as const,
    status_updated_at: null,
    designated_version_id: versionId,
    creator_user_id: null,
    workspace_id: null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function presetVersionData(preset: Pick<PresetRow, "id">, row: PresetVersionRow) {
  return {
    id: row.id,
    preset_id: preset.id,
    version: row.version,
    config: JSON.parse(row.config) as Record<string, unknown>,
    system_prompt: row.system_prompt,
    creator_id: row.creator_id,
    created_at: iso(row.created_at),
    // A version is never edited: a change is a new version.
    updated_at: iso(row.created_at),
  };
}

export function presetWithVersionData(preset: PresetRow, version: PresetVersionRow) {
  return { ...presetData(preset, version.id), designated_version: presetVersionData(preset, version) };
}

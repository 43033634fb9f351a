import type { ActivePreset, PresetConfig, PresetDraft, PresetPage } from "../schema/presets";

/**
 * The account's presets in its Durable Object's SQLite (tables `presets` and `preset_versions`,
 * sql-schema.ts step 5). The object is the one writer: a new version's number is read and written
 * in one synchronous transaction, so two creations at once make two versions, never one.
 */

/** A row of `presets`. */
export interface PresetRow extends Record<string, SqlStorageValue> {
  slug: string;
  id: string;
  created_at: number;
  updated_at: number;
  designated_version: number;
}

/** A row of `preset_versions`; `config` is the config's JSON. */
export interface PresetVersionRow extends Record<string, SqlStorageValue> {
  slug: string;
  version: number;
  id: string;
  config: string;
  system_prompt: string | null;
  creator_id: string;
  created_at: number;
}

export function readPreset(sql: SqlStorage, slug: string): PresetRow | null {
  return sql.exec<PresetRow>("SELECT * FROM presets WHERE slug = ?", slug).toArray()[0] ?? null;
}

export function readPresetVersion(sql: SqlStorage, slug: string, version: number): PresetVersionRow | null {
  return (
    sql
      .exec<PresetVersionRow>("SELECT * FROM preset_versions WHERE slug = ? AND version = ?", slug, version)
      .toArray()[0] ?? null
  );
}

/** A preset as its list shows it: with its designated version's id. */
export interface ListedPresetRow extends PresetRow {
  designated_version_id: string;
}

/** A page of the account's presets, most recently updated first, and how many there are in all. */
export function listPresets(sql: SqlStorage, page: PresetPage): { rows: ListedPresetRow[]; total: number } {
  const rows = sql
    .exec<ListedPresetRow>(
      `SELECT p.*, v.id AS designated_version_id FROM presets p
        JOIN preset_versions v ON v.slug = p.slug AND v.version = p.designated_version
        ORDER BY p.updated_at DESC, p.slug LIMIT ? OFFSET ?`,
      page.limit,
      page.offset,
    )
    .toArray();
  const { total } = sql.exec<{ total: number }>("SELECT COUNT(*) AS total FROM presets").one();
  return { rows, total };
}

/** A page of a preset's versions, oldest first, and how many it has in all. */
export function listPresetVersions(
  sql: SqlStorage,
  slug: string,
  page: PresetPage,
): { rows: PresetVersionRow[]; total: number } {
  const rows = sql
    .exec<PresetVersionRow>(
      "SELECT * FROM preset_versions WHERE slug = ? ORDER BY version LIMIT ? OFFSET ?",
      slug,
      page.limit,
      page.offset,
    )
    .toArray();
  const { total } = sql
    .exec<{ total: number }>("SELECT COUNT(*) AS total FROM preset_versions WHERE slug = ?", slug)
    .one();
  return { rows, total };
}

/**
 * Adds a version to the preset (made on its first version), designates it, and returns its
 * number. Run inside the object's transaction: the number is the last one plus one.
 */
export function insertPresetVersion(
  sql: SqlStorage,
  slug: string,
  draft: PresetDraft,
  creatorId: string,
  now: number,
): number {
  const existing = readPreset(sql, slug);
  const version = existing ? lastVersion(sql, slug) + 1 : 1;
  sql.exec(
    `INSERT INTO preset_versions (slug, version, id, config, system_prompt, creator_id, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`,
    slug,
    version,
    crypto.randomUUID(),
    JSON.stringify(draft.config),
    draft.systemPrompt,
    creatorId,
    now,
  );
  if (existing) {
    sql.exec("UPDATE presets SET updated_at = ?, designated_version = ? WHERE slug = ?", now, version, slug);
  } else {
    sql.exec(
      "INSERT INTO presets (slug, id, created_at, updated_at, designated_version) VALUES (?, ?, ?, ?, ?)",
      slug,
      crypto.randomUUID(),
      now,
      now,
      version,
    );
  }
  return version;
}

function lastVersion(sql: SqlStorage, slug: string): number {
  return (
    sql.exec<{ last: number | null }>("SELECT MAX(version) AS last FROM preset_versions WHERE slug = ?", slug).one()
      .last ?? 0
  );
}

/** The preset's designated version as the request path reads it (mirrored to KV). */
export function activePreset(preset: PresetRow, version: PresetVersionRow): ActivePreset {
  return {
    id: preset.id,
    slug: preset.slug,
    version: version.version,
    config: JSON.parse(version.config) as PresetConfig,
    system_prompt: version.system_prompt,
  };
}

/** The KV `KEYS` key of an account's preset: a prefix no key hash (64 hex digits) can start with. */
export const presetKvKey = (accountId: string, slug: string) => `preset:${accountId}:${slug}`;

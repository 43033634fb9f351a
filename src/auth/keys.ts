import * as z from "zod/mini";
import { sha256Hex, toHex } from "../digest";

/** Tollgate API keys look like OpenRouter's: a versioned prefix and 64 hex characters. */
export const KEY_PREFIX = "sk-tg-v1-";

export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return KEY_PREFIX + toHex(bytes);
}

/** The only form in which a key is stored: SHA-256 of the whole key, lowercase hex. */
export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

/** What KV `KEYS` holds under a key's hash. The Account DO stays the authority on liveness. */
export const KeyRecordSchema = z.object({
  accountId: z.string(),
  /** The key's hash doubles as its public id (`/keys/{hash}`), as on OpenRouter. */
  keyHash: z.string(),
  isProvisioning: z._default(z.boolean(), false),
});
export type KeyRecord = z.infer<typeof KeyRecordSchema>;

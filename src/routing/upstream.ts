import type { Provider } from "../catalog/types";
import { type Env, readEnvString } from "../env";

/** Where to send a provider's requests and with which credential, or undefined if unconfigured. */
export interface UpstreamAccess {
  baseUrl: string;
  apiKey: string;
  emulated: boolean;
  /** Reads a further provider setting by variable name (e.g. AWS_SECRET_ACCESS_KEY, AZURE_API_VERSION). */
  setting: (name: string) => string | undefined;
}

/** `together` ⇒ `TOGETHER`, `amazon-bedrock` ⇒ `AMAZON_BEDROCK`: the prefix of per-provider vars. */
export function envPrefix(slug: string): string {
  return slug.toUpperCase().replace(/-/g, "_");
}

/**
 * Resolution order for one provider:
 * 1. a real key (`<api_key_env>` secret): the catalog's base URL, or `<SLUG>_BASE_URL` if set;
 * 2. no key but `EMULATOR_URL` (npm start, tests): the bundled emulator at `${EMULATOR_URL}/<slug>`
 *    followed by the catalog URL's path, so each wire format keeps its own paths;
 * 3. no key but `<SLUG>_BASE_URL` (a local vLLM/Ollama server needs none): that URL;
 * otherwise the provider is not configured and routing skips it.
 */
export function resolveUpstream(env: Env, provider: Provider): UpstreamAccess | undefined {
  // Once per isolate and provider: the env (its vars and secrets) is fixed for an isolate's life,
  // and a catalog reload brings new provider objects. Planning asks for every candidate provider
  // on every request.
  let byProvider = resolved.get(env);
  if (!byProvider) {
    byProvider = new WeakMap();
    resolved.set(env, byProvider);
  }
  let access = byProvider.get(provider);
  if (access === undefined) {
    access = accessOf(env, provider) ?? null;
    byProvider.set(provider, access);
  }
  return access ?? undefined;
}

const resolved = new WeakMap<Env, WeakMap<Provider, UpstreamAccess | null>>();

function accessOf(env: Env, provider: Provider): UpstreamAccess | undefined {
  const setting = (name: string) => readEnvString(env, name);
  const apiKey = readEnvString(env, provider.api_key_env);
  const override = readEnvString(env, `${envPrefix(provider.slug)}_BASE_URL`)?.replace(/\/+$/, "");
  if (apiKey) return { baseUrl: override ?? provider.base_url.replace(/\/+$/, ""), apiKey, emulated: false, setting };
  if (env.EMULATOR_URL) {
    const path = new URL(provider.base_url).pathname.replace(/\/+$/, "");
    return {
      baseUrl: override ?? `${env.EMULATOR_URL.replace(/\/+$/, "")}/${provider.slug}${path}`,
      apiKey: "emulator-key",
      emulated: true,
      setting,
    };
  }
  if (override) return { baseUrl: override, apiKey: "none", emulated: false, setting };
  return undefined;
}

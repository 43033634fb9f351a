import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import ts from "typescript";
import { defineConfig, type Plugin } from "vitest/config";

/**
 * @openrouter/sdk's published files name source maps (`//# sourceMappingURL=…`) that the package
 * does not ship, and Vite warns once per file it loads: about a thousand lines of noise in every
 * test run, burying real warnings. Loading those files without the dangling comment silences that.
 */
const sdkWithoutMissingSourceMaps: Plugin = {
  name: "openrouter-sdk-without-missing-source-maps",
  enforce: "pre",
  async load(id) {
    if (!id.includes("/node_modules/@openrouter/sdk/") || !id.endsWith(".js")) return null;
    const code = await readFile(id.split("?")[0] as string, "utf8");
    return { code: code.replace(/^\/\/# sourceMappingURL=.*$/m, ""), map: null };
  },
};

/** The module every importer but itself gets for the bundled catalog (see the module). */
const SUITE_CATALOG = resolve("test/support/suite-catalog.ts");

/**
 * The bundled catalog, in the suite, without its shutdown dates (test/support/suite-catalog.ts):
 * the gateway's own import of it and the tests' alike, so that no test starts failing on the day a
 * model it uses is shut down.
 */
const suiteCatalog: Plugin = {
  name: "suite-catalog-without-shutdown-dates",
  enforce: "pre",
  resolveId(source, importer) {
    if (!/(^|\/)default-catalog(\.ts)?$/.test(source) || !importer) return null;
    return resolve(importer.split("?")[0] as string) === SUITE_CATALOG ? null : SUITE_CATALOG;
  },
};

/**
 * The example consumer Worker (TypeScript, as deployed by wrangler) as the module workerd runs: its
 * only import of Tollgate is type-only, so stripping the types is all the build there is.
 */
const CONSUMER_SCRIPT = ts.transpileModule(readFileSync("examples/consumer/index.ts", "utf8"), {
  compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
}).outputText;

/** Tollgate's RPC entrypoint in the test runner Worker (which is Tollgate itself), as a service. */
const TOLLGATE_RPC = { name: "vitest-pool-workers-runner-", entrypoint: "TollgateRpc" };

export default defineConfig({
  plugins: [
    sdkWithoutMissingSourceMaps,
    suiteCatalog,
    cloudflareTest(({ inject }) => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // The example consumer Worker, bound to Tollgate's RPC entrypoint as a real service binding;
        // and the entrypoint itself, for tests of what it exposes.
        serviceBindings: {
          CONSUMER: "consumer",
          TOLLGATE_RPC,
        },
        workers: [
          {
            name: "consumer",
            modules: true,
            script: CONSUMER_SCRIPT,
            compatibilityDate: "2026-04-20",
            bindings: { MODEL: "openai/gpt-4o-mini" },
            serviceBindings: { TOLLGATE: TOLLGATE_RPC },
          },
        ],
        bindings: {
          EMULATOR_URL: inject("emulatorUrl"),
          TOKENIZER_URL: `${inject("emulatorUrl")}/__tokenizer`,
          ADMIN_TOKEN: "test-admin-token",
          // The emulator serves the tests' images on loopback, refused by default.
          IMAGE_FETCH_PRIVATE: "allow",
          CATALOG_TTL_SECONDS: "1",
          STREAM_IDLE_TIMEOUT_MS: "2000",
          KEEPALIVE_INTERVAL_MS: "400",
          BREAKER_COOLDOWN_MS: "1000",
          FIRST_TOKEN_TIMEOUT_MS: "3000",
          // Bedrock is called as with temporary AWS credentials, a session token beside the emulated
          // secret key, so that both are known to be kept out of what clients are told.
          AWS_SESSION_TOKEN: "FwoGZXIvYXdzEmulatedSessionToken/QmVkcm9jaw+0=",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    // The gateway's per-request JSON log lines (stdout) stay in the test Worker: they would be
    // most of a run's output, and sent to the runner they could keep it from exiting (see the
    // file). Tests that check them spy on console.log; anything on stderr is still shown.
    setupFiles: ["./test/support/quiet-request-logs.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import ts from "typescript";
import { defineConfig, type Plugin } from "vitest/config";

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
        // Workers AI (PDFs read with its document conversion), standing in as a wrapped binding
        // that asks the emulator's copy of Cloudflare's REST conversion.
        wrappedBindings: { AI: { scriptName: "workers-ai", bindings: { EMULATOR_URL: inject("emulatorUrl") } } },
        workers: [
          {
            name: "consumer",
            modules: true,
            script: CONSUMER_SCRIPT,
            compatibilityDate: "2026-04-20",
            bindings: { MODEL: "openai/gpt-4o-mini" },
            serviceBindings: { TOLLGATE: TOLLGATE_RPC },
          },
          { name: "workers-ai", modules: true, scriptPath: "test/emulator/workers-ai-binding.js" },
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
    // Each test file runs in a fresh module graph, and workerd fetches every module of it from
    // Vite one at a time: @openrouter/sdk/models alone is ~700 modules (~3.5 s a file), zod and
    // hono dozens more. Pre-bundled, each package is one module (the suite ran in half the time).
    deps: {
      optimizer: {
        ssr: {
          enabled: true,
          include: [
            "zod",
            "zod/mini",
            "zod/v4/core",
            "zod/v4/locales/en.js",
            "hono",
            "hono/factory",
            "hono/hono-base",
            "hono/router/trie-router",
            "@openrouter/sdk",
            "@openrouter/sdk/models",
            "@openrouter/sdk/models/operations",
            "@openrouter/sdk/models/errors",
            "@openrouter/sdk/lib/http.js",
            "openai",
            "@anthropic-ai/sdk",
            "@google/genai",
            "@aws-sdk/client-bedrock-runtime",
            "@langchain/openai",
            "@openrouter/ai-sdk-provider",
            "ai",
            "cohere-ai",
          ],
        },
      },
    },
    // Vitest's default is one worker fewer than the cores: one on a 2-core CI machine, which then
    // sits half idle while a file waits on module fetches and on the emulator. Two use both.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

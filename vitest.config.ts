import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          EMULATOR_URL: inject("emulatorUrl"),
          ADMIN_TOKEN: "test-admin-token",
          CATALOG_TTL_SECONDS: "1",
          STREAM_IDLE_TIMEOUT_MS: "2000",
          KEEPALIVE_INTERVAL_MS: "400",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

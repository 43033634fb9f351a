import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { startEmulator } from "./emulator/server";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorUrl: string;
    /** FUZZ_SEED and FUZZ_DEBUG from the environment vitest runs in, for test/request-fuzz.test.ts. */
    fuzzEnvironment: { seed?: string; debug?: string };
  }
}

/** Starts the provider emulators on a loopback port for the whole run; workers reach it over HTTP. */
export default async function setup(project: TestProject) {
  const emulator = await startEmulator({ port: 0 });
  project.provide("emulatorUrl", emulator.url);
  project.provide("fuzzEnvironment", { seed: process.env.FUZZ_SEED, debug: process.env.FUZZ_DEBUG });
  return async () => {
    await emulator.close();
  };
}

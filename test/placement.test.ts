import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { accountStub } from "../src/billing/client";
import type { Env } from "../src/env";

/** The real namespace, with the options of each `get` recorded on the way through. */
function recordingEnv(hint: string | undefined) {
  const real = (env as unknown as Env).ACCOUNTS;
  const options: unknown[] = [];
  const ACCOUNTS = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId, opts?: DurableObjectNamespaceGetDurableObjectOptions) => {
      options.push(opts);
      return real.get(id, opts);
    },
  } as unknown as Env["ACCOUNTS"];
  return { env: { ...(env as unknown as Env), ACCOUNTS, ACCOUNT_LOCATION_HINT: hint }, options };
}

describe("ACCOUNT_LOCATION_HINT", () => {
  afterEach(() => vi.restoreAllMocks());

  // First: the setting is read once per value, and this is the isolate's first read.
  it("leaves placement to the runtime when unset", async () => {
    const { env: plain, options } = recordingEnv(undefined);
    const stub = accountStub(plain, `placement-${crypto.randomUUID()}`);
    expect(options).toEqual([undefined]);
    expect(await stub.audit()).toBeNull();
  });

  it("asks the runtime to start account objects in the configured region", async () => {
    const { env: hinted, options } = recordingEnv("weur");
    const stub = accountStub(hinted, `placement-${crypto.randomUUID()}`);
    expect(options).toEqual([{ locationHint: "weur" }]);
    expect(await stub.audit()).toBeNull(); // the runtime took the option: the object answers
  });

  it("ignores a region the runtime does not know, saying so once, and serves the request", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { env: misnamed, options } = recordingEnv("mars");
    const stub = accountStub(misnamed, `placement-${crypto.randomUUID()}`);
    accountStub(misnamed, `placement-${crypto.randomUUID()}`);
    expect(options).toEqual([undefined, undefined]);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]?.[0])).toContain("ACCOUNT_LOCATION_HINT ignored");
    expect(await stub.audit()).toBeNull();
  });
});

import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type AdminClientOptions, adminCall, seedDev } from "../scripts/admin";

/** The operator CLI's calls, made against the app itself rather than over loopback. */
const options: AdminClientOptions = {
  url: "http://gateway.test",
  token: "test-admin-token",
  fetch: (input, init) => SELF.fetch(new Request(input, init)),
};

async function devCredits(): Promise<number> {
  const { json } = await adminCall<{ total_credits: number }>(options, "GET", "/accounts/dev");
  return json.total_credits;
}

describe("npm run admin -- seed-dev", () => {
  it("seeds the dev account once per amount, and keys that work", async () => {
    const stateFile = `/tmp/tollgate-dev-keys-${crypto.randomUUID()}.json`;
    const first = await seedDev({ ...options, stateFile });
    expect(await devCredits()).toBe(100);

    // Run again (as every `npm start` does): the same keys, no second grant.
    const again = await seedDev({ ...options, stateFile });
    expect(again).toEqual(first);
    expect(await devCredits()).toBe(100);

    // Another amount is granted once (it used to be a 409: one idempotency id for every amount).
    await seedDev({ ...options, stateFile, credits: "25" });
    await seedDev({ ...options, stateFile, credits: "25" });
    expect(await devCredits()).toBe(125);

    const key = await SELF.fetch("http://gateway.test/api/v1/key", {
      headers: { authorization: `Bearer ${first.apiKey}` },
    });
    expect(key.status).toBe(200);
  });
});

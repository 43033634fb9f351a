import { SELF } from "cloudflare:test";
import { it } from "vitest";
import { accountStub } from "../src/billing/client";
import { env } from "./billing-support";

const BASE = "http://gateway.test/api/v1";
const ADMIN = { authorization: "Bearer test-admin-token", "content-type": "application/json" };
async function admin(path: string, body?: unknown): Promise<any> {
  const r = await SELF.fetch(new Request(`${BASE}/admin${path}`, { method: "POST", headers: ADMIN, body: JSON.stringify(body) }));
  return r.json();
}
it("debug abort", async () => {
  const { id } = await admin("/accounts", { name: "dbg" });
  await admin(`/accounts/${id}/credits`, { amount: "1", reason: "t", idempotency_id: "t" });
  const { key } = await admin(`/accounts/${id}/keys`, { name: "k" });
  const response = await SELF.fetch(new Request(`${BASE}/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: "story [[emulate tokens=400 chunk_delay_ms=20]]" }] }) }));
  const reader = response.body!.getReader();
  for (let i = 0; i < 6; i++) console.log("chunk", new TextDecoder().decode((await reader.read()).value).slice(0, 80));
  await reader.cancel();
  for (let i = 0; i < 30; i++) {
    const a = await accountStub(env, id).audit();
    console.log(Date.now(), JSON.stringify({ r: a?.reservationCount, u: a?.totals.usageNanos }));
    await new Promise((r) => setTimeout(r, 300));
  }
});

import { env as testEnv } from "cloudflare:test";
import type { KeySpec } from "../src/billing/account-types";
import { accountStub } from "../src/billing/client";
import type { ReserveInput } from "../src/billing/contract";
import type { Env } from "../src/env";

export { generationRecord } from "./support/records";

/** Test helpers for the Account Durable Object, called directly over RPC as the Worker does. */
export const env = testEnv as unknown as Env;

export const USD = 1_000_000_000;

/** The account's books as its object audits them (see AccountDurableObject.audit). */
export async function audit(accountId: string) {
  const result = await accountStub(env, accountId).audit();
  if (!result) throw new Error("no such account");
  return result;
}

/** Waits until every hold of the account is settled or released (settlement runs in waitUntil). */
export async function settled(accountId: string) {
  for (let i = 0; i < 300; i++) {
    const a = await audit(accountId);
    if (a.reservationCount === 0) return a;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("holds were never settled");
}

export function randomHash(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function keySpec(overrides: Partial<KeySpec> = {}): KeySpec {
  return {
    hash: randomHash(),
    name: "test key",
    label: "sk-tg-v1-abc...xyz",
    isProvisioning: false,
    limitNanos: null,
    limitReset: null,
    includeByokInLimit: false,
    rateLimit: null,
    expiresAt: null,
    creatorUserId: null,
    ...overrides,
  };
}

/** A fresh account holding `creditsNanos`, with one inference key (more via `addKey`). */
export async function newAccount(creditsNanos: number, key: Partial<KeySpec> = {}) {
  const accountId = `t-${crypto.randomUUID()}`;
  const stub = accountStub(env, accountId);
  const init = await stub.adminInitAccount(accountId, "test account");
  if (!init.ok) throw new Error(init.message);
  if (creditsNanos !== 0) {
    const grant = await stub.adminGrant({ idempotencyId: "initial", amountNanos: creditsNanos, reason: "test" });
    if (!grant.ok) throw new Error(grant.message);
  }
  const addKey = async (overrides: Partial<KeySpec> = {}) => {
    const spec = keySpec(overrides);
    const created = await stub.adminCreateKey(spec);
    if (!created.ok) throw new Error(created.message);
    return spec.hash;
  };
  const keyHash = await addKey(key);
  return { accountId, stub, keyHash, addKey };
}

let counter = 0;
export const genId = () => `gen-${Date.now()}-t${++counter}${crypto.randomUUID().slice(0, 6)}`;

/**
 * A reservation priced like a model at $1/M prompt tokens and $4/M completion tokens:
 * 1000 prompt tokens (1_000_000 nanos) + `maxOutputTokens` × 4000 nanos.
 */
export function reserveInput(keyHash: string, overrides: Partial<ReserveInput> = {}): ReserveInput {
  const maxOutputTokens = overrides.maxOutputTokens ?? 1000;
  const promptCostNanos = overrides.promptCostNanos ?? 1_000_000;
  return {
    keyHash,
    generationId: genId(),
    promptCostNanos,
    completionPriceAtto: "4000000000000", // $0.000004 per token
    maxOutputTokens,
    maxTokensRequested: true,
    worstCaseNanos: promptCostNanos + maxOutputTokens * 4000,
    ...overrides,
  };
}

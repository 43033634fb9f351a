import { describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env";
import { timeoutsOf } from "../src/generation/timeouts";

const envWith = (vars: Record<string, unknown>) => vars as unknown as Env;

describe("timeout settings", () => {
  it("uses the defaults when nothing is set", () => {
    const settings = timeoutsOf(envWith({}));
    expect(settings.UPSTREAM_HEADERS_TIMEOUT_MS).toBe(120_000);
    expect(settings.STREAM_FLUSH_MS).toBe(20);
    expect(settings.KEY_LEASE_MS).toBe(1000);
  });

  it("reads vars as numbers, and keeps STREAM_FLUSH_MS=0 (batching off) and KEY_LEASE_MS=0 (no leases) rather than the default", () => {
    const settings = timeoutsOf(
      envWith({ UPSTREAM_HEADERS_TIMEOUT_MS: "5000", STREAM_FLUSH_MS: "0", KEY_LEASE_MS: "0" }),
    );
    expect(settings.UPSTREAM_HEADERS_TIMEOUT_MS).toBe(5000);
    expect(settings.STREAM_FLUSH_MS).toBe(0);
    expect(settings.KEY_LEASE_MS).toBe(0);
    expect(timeoutsOf(envWith({ KEY_LEASE_MS: "250" })).KEY_LEASE_MS).toBe(250);
  });

  it("ignores values that cannot be a timeout (empty, negative, zero where zero means nothing), naming each", () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const settings = timeoutsOf(
      envWith({
        UPSTREAM_HEADERS_TIMEOUT_MS: "0",
        STREAM_IDLE_TIMEOUT_MS: "-5",
        FIRST_TOKEN_TIMEOUT_MS: "",
        BREAKER_FAILURES: "x",
        KEY_LEASE_MS: "soon",
      }),
    );
    expect(settings.UPSTREAM_HEADERS_TIMEOUT_MS).toBe(120_000);
    expect(settings.STREAM_IDLE_TIMEOUT_MS).toBe(60_000);
    expect(settings.FIRST_TOKEN_TIMEOUT_MS).toBe(60_000);
    expect(settings.BREAKER_FAILURES).toBe(3);
    expect(settings.KEY_LEASE_MS).toBe(1000);
    // An empty value is unset, not wrong; the other four are each named once.
    const named = errors.mock.calls.map(([line]) => JSON.parse(String(line)).name);
    expect(named).toEqual([
      "UPSTREAM_HEADERS_TIMEOUT_MS",
      "STREAM_IDLE_TIMEOUT_MS",
      "BREAKER_FAILURES",
      "KEY_LEASE_MS",
    ]);
    errors.mockRestore();
  });
});

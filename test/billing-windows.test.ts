import { describe, expect, it } from "vitest";
import { signedUsdToNanos } from "../src/api/admin";
import { dayStart, monthStart, parseInterval, weekStart, windowEnd } from "../src/billing/windows";

const at = (iso: string) => Date.parse(iso);

describe("usage windows (UTC, weeks from Monday)", () => {
  it("starts days at midnight UTC", () => {
    expect(dayStart(at("2026-03-11T23:59:59.999Z"))).toBe(at("2026-03-11T00:00:00Z"));
    expect(windowEnd("daily", at("2026-03-11T05:00:00Z"))).toBe(at("2026-03-12T00:00:00Z"));
  });

  it("starts weeks on Monday", () => {
    // 2026-03-11 is a Wednesday; 2026-03-15 a Sunday; 2026-03-16 a Monday.
    expect(weekStart(at("2026-03-11T12:00:00Z"))).toBe(at("2026-03-09T00:00:00Z"));
    expect(weekStart(at("2026-03-15T23:00:00Z"))).toBe(at("2026-03-09T00:00:00Z"));
    expect(weekStart(at("2026-03-16T00:00:00Z"))).toBe(at("2026-03-16T00:00:00Z"));
    expect(windowEnd("weekly", at("2026-03-15T23:00:00Z"))).toBe(at("2026-03-16T00:00:00Z"));
  });

  it("starts months on the 1st, across years", () => {
    expect(monthStart(at("2026-02-28T10:00:00Z"))).toBe(at("2026-02-01T00:00:00Z"));
    expect(windowEnd("monthly", at("2026-12-31T23:00:00Z"))).toBe(at("2027-01-01T00:00:00Z"));
  });

  it("parses rate-limit intervals", () => {
    expect(parseInterval("10s")).toBe(10_000);
    expect(parseInterval("1m")).toBe(60_000);
    expect(parseInterval("2h")).toBe(7_200_000);
    expect(parseInterval("1d")).toBe(86_400_000);
    expect(parseInterval("0s")).toBeNull();
    expect(parseInterval("soon")).toBeNull();
  });
});

describe("admin amounts", () => {
  it("parses signed USD exactly", () => {
    expect(signedUsdToNanos("12.5")).toBe(12_500_000_000);
    expect(signedUsdToNanos("-2.000000001")).toBe(-2_000_000_001);
    expect(signedUsdToNanos(0.1)).toBe(100_000_000);
    expect(signedUsdToNanos(-3)).toBe(-3_000_000_000);
    expect(() => signedUsdToNanos("0.0000000001")).toThrow();
  });
});

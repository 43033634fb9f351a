/**
 * Provider health, per endpoint, in isolate memory: cheap and good enough per location (see
 * DESIGN.md, Storage). Each endpoint keeps a short window of outcomes (errors, latency to first
 * byte, throughput) and a circuit breaker:
 *   closed ─(failuresToOpen consecutive failures)─► open ─(cooldown)─► one probe (half-open)
 *   probe succeeds ─► closed;  probe fails ─► open again, for another cooldown.
 * While open the endpoint is skipped (it is tried only when nothing else is left).
 */

export interface HealthOptions {
  failuresToOpen: number;
  cooldownMs: number;
  windowSize: number;
}

const DEFAULTS: HealthOptions = { failuresToOpen: 3, cooldownMs: 30_000, windowSize: 50 };

interface EndpointHealth {
  outcomes: Array<{ ok: boolean; at: number; ttfbMs?: number; tps?: number }>;
  consecutiveFailures: number;
  state: "closed" | "open";
  /** A single probe is in flight to an open endpoint whose cooldown has passed (half-open). */
  probing: boolean;
  /** When the probe started: one that reports nothing for a whole cooldown is presumed lost. */
  probingSince: number;
  openedAt: number;
  /** Not before this time (a provider's `retry-after`). */
  blockedUntil: number;
}

/** Percentiles of an endpoint's times to first byte (ms) and throughputs (tokens/s); each undefined without any. */
export interface EndpointFigures {
  ttfbMs: PercentileStats | undefined;
  tps: PercentileStats | undefined;
}

export interface HealthSnapshot extends EndpointFigures {
  state: EndpointHealth["state"];
  errorRate: number;
  samples: number;
}

/** p50/p75/p90/p99 of some figures, as OpenRouter reports an endpoint's latency and throughput. */
export interface PercentileStats {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
}

/** Nearest-rank percentiles; undefined without figures. */
export function percentiles(values: number[]): PercentileStats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return { p50: at(50), p75: at(75), p90: at(90), p99: at(99) };
}

/** The figures of some outcomes. */
function figuresOf(outcomes: EndpointHealth["outcomes"]): EndpointFigures {
  return {
    ttfbMs: percentiles(outcomes.flatMap((o) => (o.ttfbMs === undefined ? [] : [o.ttfbMs]))),
    tps: percentiles(outcomes.flatMap((o) => (o.tps === undefined ? [] : [o.tps]))),
  };
}

export class HealthTracker {
  private readonly endpoints = new Map<string, EndpointHealth>();
  constructor(
    private options: HealthOptions = DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Applies operator settings (read from env vars per request; cheap when unchanged). */
  configure(options: Partial<HealthOptions>): void {
    const next = { ...this.options, ...options };
    if (next.failuresToOpen !== this.options.failuresToOpen || next.cooldownMs !== this.options.cooldownMs) {
      this.options = next;
    }
  }

  private entry(key: string): EndpointHealth {
    let entry = this.endpoints.get(key);
    if (!entry) {
      entry = {
        outcomes: [],
        consecutiveFailures: 0,
        state: "closed",
        probing: false,
        probingSince: 0,
        openedAt: 0,
        blockedUntil: 0,
      };
      this.endpoints.set(key, entry);
    }
    return entry;
  }

  /**
   * Whether a request may go to this endpoint now: closed, or open with the cooldown passed and
   * no probe in flight (then the caller's attempt is the probe; see startAttempt). A probe that
   * has reported nothing for a whole cooldown no longer counts as in flight: a request cancelled
   * by the runtime when its client left may never run the code that would report it (abandonAttempt),
   * and the endpoint would otherwise stay last in every plan for the isolate's life. At most one
   * probe a cooldown, still.
   */
  allow(key: string): boolean {
    const entry = this.endpoints.get(key);
    if (!entry) return true;
    const now = this.now();
    if (entry.blockedUntil > now) return false;
    if (entry.state === "closed") return true;
    if (entry.probing && now - entry.probingSince < this.options.cooldownMs) return false;
    return now - entry.openedAt >= this.options.cooldownMs;
  }

  /** Marks an attempt as started: on an open breaker it is the one half-open probe. */
  startAttempt(key: string): void {
    const entry = this.endpoints.get(key);
    if (entry?.state !== "open") return;
    entry.probing = true;
    entry.probingSince = this.now();
  }

  /** An attempt ended without an outcome (the client left): a probe it was is not in flight any more. */
  abandonAttempt(key: string): void {
    const entry = this.endpoints.get(key);
    if (entry) entry.probing = false;
  }

  /**
   * True while the endpoint may not be called (planning puts it last): its breaker open within the
   * cooldown or with its one probe in flight, or the provider asked us to wait. Once the cooldown
   * has passed it takes its usual place again, so the next request that draws it is the probe: an
   * outage is remembered for the cooldown, not until every other endpoint has failed too.
   */
  isDown(key: string): boolean {
    return !this.allow(key);
  }

  recordSuccess(key: string, figures: { ttfbMs?: number; tps?: number } = {}): void {
    const entry = this.entry(key);
    // Every field named (undefined where not measured), not spread: one hidden class for every
    // outcome, which recordThroughput fills in later (see hot-shapes.ts).
    this.push(entry, { ok: true, at: this.now(), ttfbMs: figures.ttfbMs, tps: figures.tps });
    entry.consecutiveFailures = 0;
    entry.state = "closed";
    entry.probing = false;
  }

  /** Adds a finished stream's tokens per second to its endpoint's latest outcome. */
  recordThroughput(key: string, tps: number): void {
    const last = this.endpoints.get(key)?.outcomes.at(-1);
    if (last?.ok && Number.isFinite(tps) && tps > 0) last.tps = tps;
  }

  recordFailure(key: string, retryAfterSeconds?: number): void {
    const entry = this.entry(key);
    const now = this.now();
    this.push(entry, { ok: false, at: now, ttfbMs: undefined, tps: undefined });
    entry.consecutiveFailures++;
    if (retryAfterSeconds !== undefined)
      entry.blockedUntil = Math.max(entry.blockedUntil, now + retryAfterSeconds * 1000);
    if (entry.probing || entry.consecutiveFailures >= this.options.failuresToOpen) {
      entry.state = "open";
      entry.openedAt = now;
      entry.probing = false;
    }
  }

  snapshot(key: string): HealthSnapshot | undefined {
    const entry = this.endpoints.get(key);
    if (!entry || entry.outcomes.length === 0) return undefined;
    const failures = entry.outcomes.filter((o) => !o.ok).length;
    return {
      state: entry.state,
      errorRate: failures / entry.outcomes.length,
      ...figuresOf(entry.outcomes),
      samples: entry.outcomes.length,
    };
  }

  /** The endpoint's figures from its successful outcomes of the last `windowMs` (of the window kept). */
  recentFigures(key: string, windowMs: number): EndpointFigures {
    const since = this.now() - windowMs;
    return figuresOf((this.endpoints.get(key)?.outcomes ?? []).filter((o) => o.ok && o.at >= since));
  }

  private push(entry: EndpointHealth, outcome: EndpointHealth["outcomes"][number]): void {
    entry.outcomes.push(outcome);
    if (entry.outcomes.length > this.options.windowSize) entry.outcomes.shift();
  }

  /** Forget everything (tests). */
  reset(): void {
    this.endpoints.clear();
  }
}

/** The isolate's tracker, shared by every request this isolate serves. */
export const health = new HealthTracker();

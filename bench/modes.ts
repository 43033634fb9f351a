/** The kinds of request `npm run bench` and `npm run bench:profile` send. */

/** One kind of request the benchmark sends to every target. */
export interface Mode {
  name: "json" | "stream" | "trickle";
  label: string;
  stream: boolean;
  /** What the emulator is asked for (its `[[emulate …]]` directives). */
  prompt: string;
  /** Overrides BENCH_CONCURRENCY: a paced stream's rate is set by its pace, not by the load. */
  concurrency?: number[];
  /** Content chunks per stream (the relay cost is reported per chunk). */
  chunks?: number;
  /** Spreads the first requests over this long, so that arrivals are not one wave (see LoadSpec). */
  staggerMs?: number;
  /**
   * How many turns each target takes in a cell (BENCH_ROUNDS overrides). Short turns let the
   * host's drift fall on every target alike; but a turn ends by waiting for its requests in
   * flight, load tapering meanwhile, so a mode whose requests take long gets few long turns.
   */
  turns: number;
  /** Seconds each target gets in each cell (BENCH_SECONDS overrides; default 4). */
  seconds?: number;
}

export const ALL_MODES: Mode[] = [
  // Requests of 1–40 ms: turns of half a second waste ~1% of a turn on its last requests. Its
  // throughput is what the budget is judged on, and this host's drift moves a turn's ratio by up
  // to a third: twice the time (16 turns) halves the variance of the cell's.
  { name: "json", label: "non-stream", stream: false, prompt: "Say hello", turns: 16, seconds: 8 },
  {
    name: "stream",
    label: "stream 500 chunks",
    stream: true,
    prompt: "Count please [[emulate tokens=500]]",
    chunks: 500,
    turns: 2,
  },
  {
    // How models really stream: one token per network read, so reads can only be batched by
    // waiting for the next tokens (up to STREAM_FLUSH_MS); the relay's wake-ups are what it costs.
    name: "trickle",
    label: "stream 100 chunks 5 ms apart",
    stream: true,
    prompt: "Count please [[emulate tokens=100 chunk_delay_ms=5]]",
    concurrency: [64],
    chunks: 100,
    // One stream lasts ~0.5 s (100 × 5 ms): starts spread over it arrive as steadily as real traffic.
    staggerMs: 500,
    turns: 2,
  },
];

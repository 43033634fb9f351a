/**
 * Whether a generation ran alone in this isolate: no other generation held money here when it
 * took its hold, and none took one before it settled. Its settlement has nothing to be gathered
 * with, so it is sent right after the reply (lifecycle.ts, settleGeneration) rather than held
 * for a gathering window, and the generation's stats and the spend are readable as soon as the
 * reply is out. What it costs: a call and a commit of its own on the object (at concurrency 1 in
 * the benchmark, 12–27% more CPU a request than gathering, for the same throughput in
 * side-by-side runs). Under concurrency hardly anything runs alone (under 1% of generations at 16
 * at a time in the benchmark), and settlements are gathered.
 */
let holding = 0;
let holdsTaken = 0;

export interface SoloWatch {
  /** The count of holds taken here when this generation took its own. */
  readonly taken: number;
  /** No other generation held money here when this one took its hold. */
  readonly aloneAtStart: boolean;
}

/** A generation took its hold (its own or a lease's). */
export function holdStarted(): SoloWatch {
  const watch = { taken: ++holdsTaken, aloneAtStart: holding === 0 };
  holding++;
  return watch;
}

/** The generation is settling; true when it ran alone from its hold to here. */
export function holdEnded(watch: SoloWatch): boolean {
  holding = Math.max(0, holding - 1);
  return watch.aloneAtStart && holdsTaken === watch.taken;
}

/**
 * Whether a generation ran alone in this isolate: no other generation held money here when it
 * took its hold, and none took one before it settled. Such a generation's log line and the
 * queueing of its settlement wait for a zero timer (lifecycle.ts, settleGeneration), so that its
 * reply leaves first; under concurrency the isolate is busy either way, and they happen at once.
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

/** Resolves after `ms` (a zero timer lets whatever is ready first, such as a reply, go ahead). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `work`'s answer, or a rejection once `ms` pass without it. The work itself goes on: whoever
 * started it decides what becomes of a late answer (a settlement kept in KV is settled once all
 * the same; a vocabulary still downloading serves the requests after it).
 */
export function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

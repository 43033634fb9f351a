/** Resolves after `ms` (a zero timer lets whatever is ready first, such as a reply, go ahead). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

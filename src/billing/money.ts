/**
 * Money is integer nano-dollars (1e-9 USD) everywhere it is stored or summed. Catalog prices are
 * decimal strings of USD per token, often smaller than a nano-dollar ("0.0000000375"), so a
 * price is parsed exactly into atto-dollars (1e-18 USD) as a bigint and a cost is rounded to
 * nano-dollars once, per generation. Floats never touch a stored amount.
 */

export type Nanos = number;
const ATTO_DECIMALS = 18;
const ATTO_PER_NANO = 1_000_000_000n;

/** Parses a non-negative decimal string ("0.0000025", "3", "0") into atto-dollars, exactly. */
export function parseUsdToAtto(price: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(price.trim());
  if (!match) throw new RangeError(`not a decimal price: ${JSON.stringify(price)}`);
  const whole = match[1] ?? "0";
  const fraction = (match[2] ?? "").slice(0, ATTO_DECIMALS).padEnd(ATTO_DECIMALS, "0");
  return BigInt(whole) * 10n ** BigInt(ATTO_DECIMALS) + BigInt(fraction);
}

const attoCache = new Map<string, bigint>();
/** Same as parseUsdToAtto, memoised per isolate: catalog prices repeat on every request. */
export function priceAtto(price: string | undefined): bigint {
  if (price === undefined) return 0n;
  let atto = attoCache.get(price);
  if (atto === undefined) {
    atto = parseUsdToAtto(price);
    attoCache.set(price, atto);
  }
  return atto;
}

/** Rounds atto-dollars up to whole nano-dollars (a fraction of a nano-dollar is charged as one). */
export function attoToNanosCeil(atto: bigint): Nanos {
  return Number((atto + ATTO_PER_NANO - 1n) / ATTO_PER_NANO);
}

/**
 * A USD amount a client gave as a JSON number or a decimal string ⇒ atto-dollars. A number is
 * taken to `digits` decimals; one of 1e21 or more, which toFixed writes in exponent form ("1e+21",
 * refused by the decimal parser), is an integer, exact as a bigint.
 */
export function usdToAtto(usd: number | string, digits: number): bigint {
  if (typeof usd === "string") return parseUsdToAtto(usd);
  if (usd >= 1e21) return BigInt(usd) * 10n ** BigInt(ATTO_DECIMALS);
  return parseUsdToAtto(usd.toFixed(digits));
}

/** Parses a decimal USD amount ("10", "0.5") into nano-dollars exactly; rejects sub-nano digits. */
export function parseUsdToNanos(usd: string | number): Nanos {
  const atto = usdToAtto(usd, 9);
  if (atto % ATTO_PER_NANO !== 0n) throw new RangeError(`more precise than a nano-dollar: ${usd}`);
  return Number(atto / ATTO_PER_NANO);
}

/** Nano-dollars as a USD number for API replies (OpenRouter reports costs as JSON numbers). */
export function nanosToUsd(nanos: Nanos): number {
  return nanos / 1e9;
}

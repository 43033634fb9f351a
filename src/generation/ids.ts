/** Generation ids look like OpenRouter's: `gen-<unix seconds>-<random>`. */
export function newGenerationId(): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  let suffix = "";
  for (const byte of random) suffix += ALPHABET[byte % ALPHABET.length];
  return `gen-${Math.floor(Date.now() / 1000)}-${suffix}`;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

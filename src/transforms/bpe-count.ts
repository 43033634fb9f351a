/**
 * An exact token counter for tiktoken's BPE vocabularies (o200k_base, cl100k_base), in
 * js-tiktoken's JSON format: the same count as js-tiktoken's `encode(text, [], []).length`, with
 * special-token text counted as plain text, but no token ids.
 *
 * Why not js-tiktoken's own `encode`: per call it compiles the pre-tokenizer and special-token
 * regexes (~11-19 µs), and its merge loop keys the rank map by `bytes.join(",")` strings, ~160 µs
 * for one 8-character CJK piece; the gateway calls it once per slice of a prompt, so a 100k-
 * character Chinese prompt took over a second to count. Here the regex is compiled once, a piece
 * is its UTF-8 bytes as a one-byte (latin1) string, and the ranks are a Map keyed by such strings,
 * so a candidate merge is a substring and one lookup. Not holding js-tiktoken's two maps (ids to
 * bytes and join-keyed ranks) also saves most of the memory of a loaded vocabulary.
 */

/** The parts of js-tiktoken's vocabulary JSON the counter reads. */
export interface BpeVocabulary {
  /** The pre-tokenizer: the text is cut in the pieces it matches, each merged on its own. */
  pat_str: string;
  /** Lines of `<prefix> <first rank> <base64 token> <base64 token>…`, ranks consecutive. */
  bpe_ranks: string;
}

/** No merge: a rank above any in the vocabulary. */
const NONE = 0x7fffffff;

/**
 * Merge ranks keyed by a token's bytes as a latin1 string (one char a byte). `atob` decodes base64
 * to exactly that, and a Map of short one-byte strings to small integers is the cheapest keyed
 * structure at hand: ~12.6 MB of V8 heap for o200k's ~200k entries (js-tiktoken's two maps: ~66 MB).
 */
function parseRanks(bpeRanks: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const line of bpeRanks.split("\n")) {
    if (line.length === 0) continue;
    const fields = line.split(" ");
    const first = Number.parseInt(fields[1] ?? "", 10);
    // As js-tiktoken: a later line's rank for the same bytes replaces an earlier one.
    for (let i = 2; i < fields.length; i++) ranks.set(atob(fields[i] ?? ""), first + i - 2);
  }
  return ranks;
}

/** Counts the tokens of a text exactly, for one vocabulary; built once per isolate. */
export function bpeCounter(vocabulary: BpeVocabulary): (text: string) => number {
  const ranks = parseRanks(vocabulary.bpe_ranks);
  // One regex for every call: `exec` from lastIndex 0 needs no fresh copy (no `matchAll` clone).
  const pieces = new RegExp(vocabulary.pat_str, "ug");
  const utf8 = new TextEncoder();
  // Scratch space reused across pieces: a piece's UTF-8 bytes, its part boundaries, and the rank of
  // merging each part with the next. Grown on demand; pieces are short after the gateway's slicing.
  let bytes = new Uint8Array(256);
  let bounds = new Int32Array(256);
  let pairRanks = new Int32Array(256);

  /** The piece's UTF-8 bytes as a latin1 string; ASCII is its own. */
  function binary(piece: string): string {
    let ascii = true;
    for (let i = 0; i < piece.length; i++) {
      if (piece.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return piece;
    if (bytes.length < piece.length * 3) bytes = new Uint8Array(piece.length * 3);
    // A lone surrogate becomes U+FFFD's three bytes, as js-tiktoken's TextEncoder.encode makes it.
    const { written } = utf8.encodeInto(piece, bytes);
    let out = "";
    for (let at = 0; at < written; at += 4096) {
      out += String.fromCharCode.apply(null, bytes.subarray(at, Math.min(written, at + 4096)) as unknown as number[]);
    }
    return out;
  }

  function rankOf(piece: string, from: number, to: number): number {
    return ranks.get(piece.slice(from, to)) ?? NONE;
  }

  /**
   * The number of parts tiktoken's byte-pair merge leaves of a piece not itself a token: repeatedly
   * merge the adjacent pair whose joined bytes have the lowest rank (the leftmost of equals), until
   * no pair is a token. Only the two pairs touching a merge change rank, so only they are looked up
   * again; the rest is shifting small integer arrays.
   */
  function mergedParts(piece: string): number {
    const length = piece.length;
    if (bounds.length <= length) {
      bounds = new Int32Array(length * 2);
      pairRanks = new Int32Array(length * 2);
    }
    // Part i is piece[bounds[i], bounds[i + 1]); pairRanks[i] is the rank of parts i and i + 1 joined.
    for (let i = 0; i <= length; i++) bounds[i] = i;
    for (let i = 0; i < length - 1; i++) pairRanks[i] = rankOf(piece, i, i + 2);
    let parts = length;
    while (parts > 1) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        const rank = pairRanks[i] as number;
        if (rank < best) {
          best = rank;
          at = i;
        }
      }
      if (at < 0) break;
      // Join parts `at` and `at + 1`: drop the boundary between them.
      bounds.copyWithin(at + 1, at + 2, parts + 1);
      pairRanks.copyWithin(at + 1, at + 2, parts - 1);
      parts--;
      if (at < parts - 1) pairRanks[at] = rankOf(piece, bounds[at] as number, bounds[at + 2] as number);
      if (at > 0) pairRanks[at - 1] = rankOf(piece, bounds[at - 1] as number, bounds[at + 1] as number);
    }
    return parts;
  }

  return (text: string): number => {
    let tokens = 0;
    pieces.lastIndex = 0;
    for (let match = pieces.exec(text); match !== null; match = pieces.exec(text)) {
      // The vocabularies' patterns match no empty piece; were one to, it is no token, and `exec`
      // must move on rather than match it again forever.
      if (match[0].length === 0) {
        pieces.lastIndex++;
        continue;
      }
      const piece = binary(match[0]);
      // A piece that is a token is one, whatever the merges would make of it (js-tiktoken's rule),
      // and every single byte is a token of these vocabularies.
      if (piece.length <= 1 || ranks.has(piece)) tokens += 1;
      else tokens += mergedParts(piece);
    }
    return tokens;
  };
}

/**
 * An exact token counter for tiktoken's BPE vocabularies (o200k_base, cl100k_base), in
 * js-tiktoken's JSON format: the same count as js-tiktoken's `encode(text, [], []).length`, with
 * special-token text counted as plain text, but no token ids.
 *
 * Why not js-tiktoken's own `encode`: per call it compiles the pre-tokenizer and special-token
 * regexes (~11-19 µs), and its merge loop keys the rank map by `bytes.join(",")` strings, ~160 µs
 * for one 8-character CJK piece; the gateway calls it once per slice of a prompt, so a 100k-
 * character Chinese prompt took over a second to count. Here the regex is compiled once, and a
 * piece's UTF-8 bytes are looked up in a hash table of the vocabulary's bytes without making a
 * string or an object per candidate merge. Not holding js-tiktoken's two maps (ids to bytes and
 * join-keyed ranks, ~66 MB for o200k in V8) also saves most of the memory of a loaded vocabulary.
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

/** FNV-1a over bytes[from, to): cheap on the short keys here (tokens are at most 128 bytes). */
function hashOf(bytes: Uint8Array, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash;
}

/**
 * The vocabulary's ranks, keyed by a token's bytes: every token's bytes end to end in one byte
 * array, and an open-addressing table (linear probing, at most half full) of token numbers. For
 * o200k's ~200k tokens that is ~1.3 MB of bytes, 0.8 MB each of offsets and ranks and 2 MB of
 * table, against ~12.6 MB for a Map keyed by latin1 strings and ~66 MB for js-tiktoken's.
 */
class RankTable {
  private readonly bytes: Uint8Array;
  /** Token t is bytes[starts[t], starts[t + 1]). */
  private readonly starts: Int32Array;
  private readonly ranks: Int32Array;
  /** Token number + 1 per slot, 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** The longest token's length: a longer range is no token, without hashing it. */
  private longest = 0;

  constructor(bpeRanks: string) {
    const tokens: string[] = [];
    const ranks: number[] = [];
    let length = 0;
    for (const line of bpeRanks.split("\n")) {
      if (line.length === 0) continue;
      const fields = line.split(" ");
      const first = Number.parseInt(fields[1] ?? "", 10);
      for (let i = 2; i < fields.length; i++) {
        // `atob` makes the latin1 string of the bytes: one char a byte.
        const token = atob(fields[i] ?? "");
        tokens.push(token);
        ranks.push(first + i - 2);
        length += token.length;
      }
    }
    this.bytes = new Uint8Array(length);
    this.starts = new Int32Array(tokens.length + 1);
    this.ranks = new Int32Array(tokens.length);
    let size = 1;
    while (size < tokens.length * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    let at = 0;
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t] as string;
      this.starts[t] = at;
      for (let i = 0; i < token.length; i++) this.bytes[at + i] = token.charCodeAt(i);
      at += token.length;
      this.starts[t + 1] = at;
      this.longest = Math.max(this.longest, token.length);
      // As js-tiktoken builds its map: a later rank for the same bytes replaces an earlier one.
      const slot = this.find(this.bytes, this.starts[t] as number, at);
      if ((this.slots[slot] as number) === 0) this.slots[slot] = t + 1;
      this.ranks[(this.slots[slot] as number) - 1] = ranks[t] as number;
    }
  }

  /** The slot holding key[from, to), or the empty slot where it would go. */
  private find(key: Uint8Array, from: number, to: number): number {
    const length = to - from;
    let slot = hashOf(key, from, to) & this.mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return slot;
      const start = this.starts[entry - 1] as number;
      if ((this.starts[entry] as number) - start === length) {
        let i = 0;
        while (i < length && this.bytes[start + i] === key[from + i]) i++;
        if (i === length) return slot;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** The rank of key[from, to) as a token, NONE if it is none. */
  rank(key: Uint8Array, from: number, to: number): number {
    if (to - from > this.longest) return NONE;
    const entry = this.slots[this.find(key, from, to)] as number;
    return entry === 0 ? NONE : (this.ranks[entry - 1] as number);
  }
}

/** Counts the tokens of a text exactly, for one vocabulary; built once per isolate. */
export function bpeCounter(vocabulary: BpeVocabulary): (text: string) => number {
  const table = new RankTable(vocabulary.bpe_ranks);
  // One regex for every call: `exec` from lastIndex 0 needs no fresh copy (no `matchAll` clone).
  const pieces = new RegExp(vocabulary.pat_str, "ug");
  const utf8 = new TextEncoder();
  // Scratch space reused across pieces: a piece's UTF-8 bytes, its part boundaries, and the rank of
  // merging each part with the next. Grown on demand; pieces are short after the gateway's slicing.
  let bytes = new Uint8Array(256);
  let bounds = new Int32Array(256);
  let pairRanks = new Int32Array(256);

  /** Puts the piece's UTF-8 bytes in `bytes`; their number. */
  function encode(piece: string): number {
    if (bytes.length < piece.length * 3) bytes = new Uint8Array(piece.length * 3);
    for (let i = 0; i < piece.length; i++) {
      const code = piece.charCodeAt(i);
      if (code > 0x7f) {
        // A lone surrogate becomes U+FFFD's three bytes, as js-tiktoken's TextEncoder.encode makes it.
        return i + utf8.encodeInto(piece.slice(i), bytes.subarray(i)).written;
      }
      bytes[i] = code;
    }
    return piece.length;
  }

  /**
   * The number of parts tiktoken's byte-pair merge leaves of bytes[0, length), not itself a token:
   * repeatedly merge the adjacent pair whose joined bytes have the lowest rank (the leftmost of
   * equals), until no pair is a token. Only the two pairs touching a merge change rank, so only
   * they are looked up again; the rest is shifting small integer arrays.
   */
  function mergedParts(length: number): number {
    if (bounds.length <= length) {
      bounds = new Int32Array(length * 2);
      pairRanks = new Int32Array(length * 2);
    }
    // Part i is bytes[bounds[i], bounds[i + 1]); pairRanks[i] is the rank of parts i and i + 1 joined.
    for (let i = 0; i <= length; i++) bounds[i] = i;
    for (let i = 0; i < length - 1; i++) pairRanks[i] = table.rank(bytes, i, i + 2);
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
      // (Plain loops: on these few elements, copyWithin's call costs more than the copy.)
      for (let i = at + 1; i < parts; i++) bounds[i] = bounds[i + 1] as number;
      for (let i = at + 1; i < parts - 2; i++) pairRanks[i] = pairRanks[i + 1] as number;
      parts--;
      if (at < parts - 1) pairRanks[at] = table.rank(bytes, bounds[at] as number, bounds[at + 2] as number);
      if (at > 0) pairRanks[at - 1] = table.rank(bytes, bounds[at - 1] as number, bounds[at + 1] as number);
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
      const length = encode(match[0]);
      // A piece that is a token is one, whatever the merges would make of it (js-tiktoken's rule),
      // and every single byte is a token of these vocabularies.
      if (length === 1 || table.rank(bytes, 0, length) !== NONE) tokens += 1;
      else tokens += mergedParts(length);
    }
    return tokens;
  };
}

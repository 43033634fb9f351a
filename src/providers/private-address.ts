/**
 * Whether a URL's host is this machine or a private network: the places a self-hosted gateway
 * (workerd, `npm start`) could reach but a client should not make it fetch from, such as its
 * neighbours' services or a cloud metadata endpoint. On Cloudflare, Workers cannot reach them at
 * all; the check makes the gateway refuse them wherever it runs, rather than tell a client what
 * answered there.
 *
 * Only literal addresses and `localhost` are known: a DNS name that resolves to a private address
 * is not caught, since a Worker has no resolver to ask before it fetches.
 */

/**
 * `hostname` as `URL.hostname` gives it: lower case, an IPv4 address in dotted decimal whatever
 * its spelling in the URL (`2130706433`, `0x7f.1` and `127.1` are all `127.0.0.1`), an IPv6
 * address in brackets.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = ipv6Groups(host.slice(1, -1));
    return groups !== undefined && isPrivateIpv6(groups);
  }
  const ipv4 = ipv4Number(host);
  return ipv4 !== undefined && isPrivateIpv4(ipv4);
}

/** [first address, prefix length] of the IPv4 ranges refused. */
const PRIVATE_IPV4: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, where cloud metadata services answer
  ["172.16.0.0", 12], // private
  ["192.168.0.0", 16], // private
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address 255.255.255.255
];

const PRIVATE_IPV4_RANGES = PRIVATE_IPV4.map(([first, bits]) => ({
  first: ipv4Number(first) as number,
  mask: bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0,
}));

function isPrivateIpv4(address: number): boolean {
  return PRIVATE_IPV4_RANGES.some(({ first, mask }) => (address & mask) >>> 0 === first);
}

/** `a.b.c.d` as an unsigned 32-bit number; undefined for anything else. */
function ipv4Number(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

/**
 * The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail as two groups);
 * undefined when it is not one.
 */
function ipv6Groups(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [head, tail] = halves.map((half) => (half === "" ? [] : hexGroups(half)));
  if (head === undefined || (halves.length === 2 && tail === undefined)) return undefined;
  if (tail === undefined) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

function hexGroups(text: string): number[] | undefined {
  const groups: number[] = [];
  const pieces = text.split(":");
  for (const [i, piece] of pieces.entries()) {
    const ipv4 = i === pieces.length - 1 ? ipv4Number(piece) : undefined;
    if (ipv4 !== undefined) groups.push(ipv4 >>> 16, ipv4 & 0xffff);
    else if (/^[0-9a-f]{1,4}$/.test(piece)) groups.push(Number.parseInt(piece, 16));
    else return undefined;
  }
  return groups;
}

function isPrivateIpv6(groups: number[]): boolean {
  const [first = 0] = groups;
  if ((first & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((first & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((first & 0xff00) === 0xff00) return true; // multicast ff00::/8
  const embedded = embeddedIpv4(groups);
  return embedded !== undefined && isPrivateIpv4(embedded);
}

const zeros = (groups: number[]) => groups.every((group) => group === 0);
const ipv4Of = (high: number, low: number) => ((high << 16) | low) >>> 0;

/**
 * The IPv4 address an IPv6 one carries, in the forms that reach it: IPv4-compatible `::a.b.c.d`
 * (which also makes `::` and `::1` the refused 0.0.0.0 and 0.0.0.1), IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, NAT64's `64:ff9b::a.b.c.d` and 6to4's
 * `2002:aabb:ccdd::`.
 */
function embeddedIpv4(groups: number[]): number | undefined {
  const g = (i: number) => groups[i] as number;
  const tail = ipv4Of(g(6), g(7));
  if (zeros(groups.slice(0, 6))) return tail;
  if (zeros(groups.slice(0, 5)) && g(5) === 0xffff) return tail;
  if (zeros(groups.slice(0, 4)) && g(4) === 0xffff && g(5) === 0) return tail;
  if (g(0) === 0x64 && g(1) === 0xff9b && zeros(groups.slice(2, 6))) return tail;
  if (g(0) === 0x2002) return ipv4Of(g(1), g(2));
  return undefined;
}

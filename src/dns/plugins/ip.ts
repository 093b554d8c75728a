/**
 * IP addresses as Go's `net` package reads and writes them, for the plugins that parse addresses
 * the way CoreDNS does (hosts files, `prefer` CIDRs, reverse names): 16-byte addresses with IPv4
 * held IPv4-mapped, `net.ParseIP`, `net.IP.String`, `net.ParseCIDR` and
 * `dnsutil.ExtractAddressFromReverse`.
 */

/** An address: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
export type Ip = Uint8Array;

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseV4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    // Go 1.17+ refuses leading zeros.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

function parseV6(text: string): Ip | null {
  let s = text;
  const bytes: number[] = [];
  let ellipsis = -1;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === "") return new Uint8Array(16);
  }
  while (s !== "") {
    const m = /^[0-9a-fA-F]{1,4}/.exec(s);
    if (!m) return null;
    // An embedded IPv4 address in the last 32 bits.
    if (s.length > m[0].length && s[m[0].length] === ".") {
      if (ellipsis < 0 && bytes.length !== 12) return null;
      if (bytes.length + 4 > 16) return null;
      const v4 = parseV4(s);
      if (!v4) return null;
      bytes.push(...v4);
      s = "";
      break;
    }
    const group = parseInt(m[0], 16);
    bytes.push(group >> 8, group & 0xff);
    s = s.slice(m[0].length);
    if (s === "") break;
    if (s[0] !== ":" || s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) return null;
      ellipsis = bytes.length;
      s = s.slice(1);
      if (s === "") break;
    }
    if (bytes.length >= 16) return null;
  }
  if (bytes.length > 16) return null;
  if (bytes.length < 16) {
    if (ellipsis < 0) return null;
    const fill = 16 - bytes.length;
    bytes.splice(ellipsis, 0, ...new Array<number>(fill).fill(0));
  } else if (ellipsis >= 0) {
    return null; // "::" must stand for at least one group
  }
  return Uint8Array.from(bytes);
}

/** Go's net.ParseIP: null for anything that is not an address. */
export function parseIp(text: string): Ip | null {
  if (text.includes(":")) return parseV6(text);
  const v4 = parseV4(text);
  return v4 ? Uint8Array.from([...V4_PREFIX, ...v4]) : null;
}

/** True when the address is IPv4 (or IPv4-mapped): Go's `ip.To4() != nil`. */
export function isV4(ip: Ip): boolean {
  return V4_PREFIX.every((b, i) => ip[i] === b);
}

/** Go's net.IP.String: dotted quad for IPv4, RFC 5952 text for IPv6. */
export function formatIp(ip: Ip): string {
  if (isV4(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (bestLen < 2) best = -1;
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(":");
  if (best < 0) return hex(0, 8);
  return `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

/** A range as Go's net.ParseCIDR reads it (host bits are masked, not refused). */
export interface IpNet {
  readonly ip: Ip;
  /** Prefix length over the 16 bytes (an IPv4 /24 is 120). */
  readonly bits: number;
}

/** Go's net.ParseCIDR; null when the text is not a CIDR. */
export function parseCidr(text: string): IpNet | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const ip = parseIp(text.slice(0, slash));
  const len = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(len)) return null;
  const v4 = !text.slice(0, slash).includes(":");
  const max = v4 ? 32 : 128;
  if (Number(len) > max) return null;
  return { ip, bits: Number(len) + (v4 ? 96 : 0) };
}

/** True when the range holds the address (IPv4 ranges hold only IPv4 addresses). */
export function cidrContains(net: IpNet, ip: Ip): boolean {
  if (isV4(net.ip) !== isV4(ip)) return false;
  for (let bit = 0; bit < net.bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((net.ip[byte]! & mask) !== (ip[byte]! & mask)) return false;
  }
  return true;
}

/**
 * The address a reverse name stands for (CoreDNS dnsutil.ExtractAddressFromReverse), or "" when
 * the name is not a full reverse name. `name` is fully qualified.
 */
export function addressFromReverse(name: string): string {
  const lower = name.toLowerCase();
  if (lower.endsWith(".in-addr.arpa.")) {
    const labels = lower.slice(0, -".in-addr.arpa.".length).split(".");
    return labels.reverse().join(".");
  }
  if (lower.endsWith(".ip6.arpa.")) {
    const nibbles = lower.slice(0, -".ip6.arpa.".length).split(".").reverse();
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return "";
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(""));
    return groups.join(":");
  }
  return "";
}

/** The reverse name of an address (miekg/dns ReverseAddr), fully qualified. */
export function reverseName(ip: Ip): string {
  if (isV4(ip)) return `${ip[15]}.${ip[14]}.${ip[13]}.${ip[12]}.in-addr.arpa.`;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((ip[i]! & 0xf).toString(16), (ip[i]! >> 4).toString(16));
  return `${nibbles.join(".")}.ip6.arpa.`;
}

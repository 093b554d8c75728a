/**
 * Server block keys: `[SCHEME://]ZONE[:PORT]`, with reverse zones written as CIDRs (dns.md §3.1).
 * Follows CoreDNS's `parse.Transport` and `plugin.SplitHostPort` (core/dnsserver/register.go),
 * but refuses what CoreDNS would quietly turn into a zone nobody can query.
 */

import { AddressError, Cidr } from "../../net/ip.js";

/** The transports a server block can listen with; `dns` when the key has no scheme. */
export type Scheme = "dns" | "tls" | "https" | "grpc" | "quic" | "https3";

/**
 * The port each scheme listens on when the key gives none (CoreDNS plugin/pkg/transport):
 * DNS 53, DNS-over-TLS and DNS-over-QUIC 853, DNS-over-gRPC and DNS-over-HTTPS (2 and 3) 443.
 */
export const DEFAULT_PORTS: Readonly<Record<Scheme, number>> = Object.freeze({
  dns: 53,
  tls: 853,
  https: 443,
  grpc: 443,
  quic: 853,
  https3: 443,
});

const SCHEMES = Object.keys(DEFAULT_PORTS) as Scheme[];

/** One zone a server block serves, on one transport and port. */
export interface ServerKey {
  readonly scheme: Scheme;
  /** Lower case, fully qualified (trailing dot); the root is `.`. */
  readonly zone: string;
  readonly port: number;
}

/** A server block key that cannot be read; the parser adds where it is. */
export class ZoneError extends Error {
  override readonly name = "ZoneError";
}

/**
 * Reads one server block key into the zones it stands for: one, or several when a CIDR does not
 * end on an octet (IPv4) or nibble (IPv6) boundary.
 *
 * @throws ZoneError saying what is wrong and what was expected.
 */
export function parseServerKey(key: string): ServerKey[] {
  let scheme: Scheme = "dns";
  let rest = key;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(key);
  if (m) {
    const written = m[1]!;
    if (!(SCHEMES as string[]).includes(written)) {
      const lower = SCHEMES.find((s) => s === written.toLowerCase());
      throw new ZoneError(
        `unknown scheme '${written}://' in '${key}': expected ${SCHEMES.map((s) => `${s}://`).join(", ")}` +
          (lower ? ` (schemes are lower case: '${lower}://')` : ""),
      );
    }
    scheme = written as Scheme;
    rest = key.slice(m[0].length);
  }

  let host = rest;
  let port = DEFAULT_PORTS[scheme];
  const colon = rest.lastIndexOf(":");
  if (colon !== -1) {
    const suffix = rest.slice(colon + 1);
    if (suffix === "") throw new ZoneError(`expected a port after the last ':' in '${key}'`);
    if (/^\d+$/.test(suffix)) {
      port = Number(suffix);
      if (port < 1 || port > 65535) throw new ZoneError(`bad port '${suffix}' in '${key}': expected a number from 1 to 65535`);
      host = rest.slice(0, colon);
    } else if (!rest.includes("/")) {
      // CoreDNS leaves a non-numeric suffix in the zone name (only an IPv6 CIDR has colons).
      throw new ZoneError(`bad port '${suffix}' in '${key}': expected a number from 1 to 65535`);
    }
  }
  if (host === "") throw new ZoneError(`missing zone in '${key}': expected a zone name such as '.' or 'cluster.local' before the port`);

  const zones = host.includes("/") ? reverseZones(host) : [domainZone(host, key)];
  return zones.map((zone) => ({ scheme, zone, port }));
}

/** A domain name, lower-cased and fully qualified. */
function domainZone(host: string, key: string): string {
  const name = host.toLowerCase();
  if (name === ".") return ".";
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare.length > 253) {
    throw new ZoneError(`zone '${host}' is too long: ${bare.length} characters, a DNS name holds at most 253 (255 octets on the wire)`);
  }
  for (const label of bare.split(".")) {
    if (label === "") throw new ZoneError(`invalid zone '${host}': it has an empty label (two dots in a row, or a leading dot)`);
    if (label.length > 63) throw new ZoneError(`invalid zone '${host}': the label '${label}' is longer than 63 characters`);
    const bad = /[^a-z0-9_*-]/u.exec(label);
    if (bad) {
      const c = bad[0];
      let hint = "";
      if (c === "{" || c === "}") hint = "; braces must be separated from zones by white space, as in '. {'";
      else if (c === "(" || c === ")") hint = "; a snippet '(name)' must be the only name before its '{'";
      throw new ZoneError(`invalid zone '${host}' in '${key}': ${JSON.stringify(c)} is not allowed in a zone name (letters, digits, '-', '_', '*' and '.')${hint}`);
    }
  }
  return `${bare}.`;
}

/**
 * The reverse zones of a CIDR, as CoreDNS's `cidr.Split` and `cidr.Reverse` derive them (since
 * CoreDNS 1.8.4): a prefix on an octet (IPv4) or nibble (IPv6) boundary is one zone; any other is
 * split into the subnets of the next boundary down, one zone each, in address order. So
 * `10.0.0.0/24` is `0.0.10.in-addr.arpa.`, `10.0.0.0/15` is `0.10.in-addr.arpa.` and
 * `1.10.in-addr.arpa.`, and `10.0.0.0/27` is 32 zones, `0.0.0.10.in-addr.arpa.` to
 * `31.0.0.10.in-addr.arpa.`.
 *
 * Unlike CoreDNS, a CIDR with host bits set (`10.0.0.1/24`) is refused rather than masked.
 */
export function reverseZones(cidr: string): string[] {
  return cidr.includes(":") ? reverseZones6(cidr) : reverseZones4(cidr);
}

function reverseZones4(text: string): string[] {
  let cidr: Cidr;
  try {
    cidr = Cidr.parse(text);
  } catch (e) {
    if (e instanceof AddressError) throw new ZoneError(`bad reverse zone: ${e.message}`);
    throw e;
  }
  const octets = Math.ceil(cidr.prefix / 8);
  const step = 2 ** (32 - octets * 8);
  const zones: string[] = [];
  for (let i = 0; i < cidr.size / step; i++) {
    const address = cidr.base + i * step;
    const bytes = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).slice(0, octets);
    zones.push([...bytes.reverse(), "in-addr", "arpa", ""].join("."));
  }
  return zones;
}

function reverseZones6(text: string): string[] {
  const bad = (why: string): ZoneError =>
    new ZoneError(`bad reverse zone: invalid CIDR ${JSON.stringify(text)}: ${why}`);
  // CoreDNS refuses these (plugin.SplitHostPort: "invalid CIDR"), so that '::' and ports do not mix.
  if (text.startsWith(":") || text.startsWith("0")) {
    throw bad("CoreDNS refuses an IPv6 CIDR that starts with ':' or '0'; write the ip6.arpa zone instead");
  }
  const parts = text.split("/");
  if (parts.length !== 2 || !/^\d{1,3}$/.test(parts[1]!) || Number(parts[1]) > 128) {
    throw bad("expected an IPv6 address, a slash and a prefix length 0-128, e.g. fd00:10:96::/112");
  }
  const prefix = Number(parts[1]);
  const nibbles = parseIpv6Nibbles(parts[0]!);
  if (typeof nibbles === "string") throw bad(nibbles);
  for (let bit = prefix; bit < 128; bit++) {
    if ((nibbles[bit >> 2]! >> (3 - (bit & 3))) & 1) throw bad("it has host bits set");
  }
  const count = Math.ceil(prefix / 4);
  const zones: string[] = [];
  for (let i = 0; i < 2 ** (count * 4 - prefix); i++) {
    const head = nibbles.slice(0, count);
    if (count > 0) head[count - 1] = head[count - 1]! + i;
    zones.push([...head.reverse().map((n) => n.toString(16)), "ip6", "arpa", ""].join("."));
  }
  return zones;
}

/** An IPv6 address as its 32 nibbles, or what is wrong with it. */
function parseIpv6Nibbles(text: string): number[] | string {
  let head = text;
  let tail: number[] = []; // groups of an embedded IPv4 address
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = text.slice(lastColon + 1);
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
    if (!m || m.slice(1).some((p) => Number(p) > 255 || (p.length > 1 && p.startsWith("0")))) return `${JSON.stringify(v4)} is not an IPv4 address`;
    const b = m.slice(1).map(Number);
    tail = [b[0]! * 256 + b[1]!, b[2]! * 256 + b[3]!];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return "'::' may appear only once";
  const groupsOf = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groupsOf(halves[0]!);
  const right = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!left || !right) return "expected groups of one to four hexadecimal digits separated by ':'";
  const given = left.length + right.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return "expected eight groups, or fewer with '::'";
  const groups = [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
  return groups.flatMap((g) => [g >> 12, (g >> 8) & 15, (g >> 4) & 15, g & 15]);
}

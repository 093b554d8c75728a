/**
 * Addresses as the tools print them. IPv6 RDATA goes through glibc's `inet_ntop`, which both BIND
 * and busybox call; dns-packet's own decoder writes some addresses differently (`1:0:0:1::1`
 * comes back as `1::1:0:0:0:1`), so the text in a Packet is re-read and written again here.
 * Server addresses get the socket-address forms of each tool: BIND's `isc_sockaddr_format`
 * (`10.96.0.10#53`) and busybox's `xmalloc_sockaddr2dotted` (`10.96.0.10:53`, `[fd00::a]:53`).
 */

/** A server's address and port, as a tool shows where it sent a query. */
export interface Endpoint {
  /** IPv4 or IPv6 address. */
  readonly address: string;
  /** UDP/TCP port; default 53. */
  readonly port?: number;
}

const GROUP = /^[0-9A-Fa-f]{1,4}$/;
const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The eight 16-bit groups of an IPv6 address in any form inet_pton reads, or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  if (!text.includes(":")) return undefined;
  let head = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    if (!QUAD.test(last)) return undefined;
    const q = last.split(".").map(Number) as [number, number, number, number];
    tail.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
    // Keep the colon, so that `::1.2.3.4` still ends in `::` and `a:b:…:1.2.3.4` in `:`.
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const parts = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const double = head.indexOf("::");
  let groups: string[];
  if (double >= 0) {
    if (head.indexOf("::", double + 1) >= 0) return undefined;
    const left = parts(head.slice(0, double));
    const right = parts(head.slice(double + 2));
    const fill = 8 - tail.length - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...Array<string>(fill).fill("0"), ...right];
  } else {
    groups = parts(head);
    if (groups.length + tail.length !== 8) return undefined;
  }
  if (!groups.every((g) => GROUP.test(g))) return undefined;
  return [...groups.map((g) => parseInt(g, 16)), ...tail];
}

/**
 * An IPv6 address as glibc's `inet_ntop` writes it: lower-case hex without leading zeros, the
 * first longest run of two or more zero groups as `::`, and a trailing dotted quad for
 * IPv4-compatible and IPv4-mapped addresses (`::1.2.3.4`, `::ffff:1.2.3.4`). Text that is no
 * IPv6 address (an IPv4 address, say) comes back unchanged.
 */
export function ntop6(text: string): string {
  const words = ipv6Groups(text);
  if (words === undefined) return text;
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else {
      cur = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      return `${out}${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
    }
    out += words[i]!.toString(16);
  }
  return best.base !== -1 && best.base + best.len === 8 ? `${out}:` : out;
}

/** A socket address as BIND prints it in `SERVER:` lines and errors: `10.96.0.10#53`, `fd00::a#53`. */
export function bindSocket(server: Endpoint): string {
  return `${ntop6(server.address)}#${server.port ?? 53}`;
}

/** A socket address as busybox prints it in its `Address:` line: `10.96.0.10:53`, `[fd00::a]:53`. */
export function busyboxSocket(server: Endpoint): string {
  const port = server.port ?? 53;
  return server.address.includes(":") ? `[${ntop6(server.address)}]:${port}` : `${server.address}:${port}`;
}

/**
 * Small name and address helpers shared by the stub resolvers.
 */

/** Counts the dots in a name, as the libcs do for `ndots` (a trailing dot counts). */
export function countDots(name: string): number {
  // Every lookup counts: indexOf finds the dots faster than a loop over every character.
  let n = 0;
  for (let i = name.indexOf("."); i !== -1; i = name.indexOf(".", i + 1)) n++;
  return n;
}

/** Removes one trailing dot, giving dns-packet's form of a name. */
export function stripDot(name: string): string {
  // Every candidate name passes here: one char code comparison is cheaper than endsWith.
  return name.charCodeAt(name.length - 1) === 46 ? name.slice(0, -1) : name;
}

/**
 * True when a name (with or without its trailing dot) can be put in a query: at most 253 characters
 * (255 octets on the wire), labels of 1 to 63 characters. `res_mkquery`/`dn_comp` refuse others.
 */
export function encodable(name: string): boolean {
  const end = name.charCodeAt(name.length - 1) === 46 ? name.length - 1 : name.length;
  if (end === 0 || end > 253) return false;
  // Label by label, from dot to dot (as countDots, indexOf rather than every character).
  for (let start = 0; ; ) {
    const dot = name.indexOf(".", start);
    const stop = dot === -1 || dot >= end ? end : dot;
    if (stop === start || stop - start > 63) return false;
    if (stop === end) return true;
    start = stop + 1;
  }
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a dotted-quad IPv4 address (inet_pton's form: no leading zeros, four parts). */
export function isIpv4(text: string): boolean {
  // Most names a lookup is given are not addresses: a first character that is no digit settles it.
  const first = text.charCodeAt(0);
  return first >= 48 && first <= 57 && V4.test(text);
}

/** True for an IPv6 address as inet_pton reads it (an optional trailing dotted quad; no zone). */
export function isIpv6(text: string): boolean {
  // Every lookup of a name asks this first: the cheap test for a colon settles most of them.
  if (!text.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  let head = text;
  let extra = 0;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIpv4(tail)) return false;
    head = text.slice(0, lastColon + 1) + "0";
    extra = 1; // the dotted quad takes two groups; "0" stands for one of them
  }
  const double = head.indexOf("::");
  if (double !== head.lastIndexOf("::")) return false;
  const groupOk = (g: string): boolean => /^[0-9A-Fa-f]{1,4}$/.test(g);
  if (double >= 0) {
    const left = head.slice(0, double);
    const right = head.slice(double + 2);
    const l = left === "" ? [] : left.split(":");
    const r = right === "" ? [] : right.split(":");
    if (![...l, ...r].every(groupOk)) return false;
    return l.length + r.length + extra <= 7;
  }
  const groups = head.split(":");
  return groups.every(groupOk) && groups.length + extra === 8;
}

/** True for an address literal of either family. */
export function isIpLiteral(text: string): boolean {
  return isIpv4(text) || isIpv6(text);
}

/** Lower-cases ASCII letters only, as DNS compares names. */
export function dnsLower(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return name.replace(/[A-Z]/g, (u) => u.toLowerCase());
  }
  return name;
}

/** Go's `isDomainName` (src/net/dnsclient.go): what Go agrees to look up at all. */
export function goIsDomainName(s: string): boolean {
  if (s === ".") return true;
  const l = s.length;
  if (l === 0 || l > 254 || (l === 254 && !s.endsWith("."))) return false;
  // Character codes: '.' 46, '-' 45, '_' 95, '0'-'9' 48-57, 'A'-'Z' 65-90, 'a'-'z' 97-122.
  let last = 46;
  let nonNumeric = false;
  let partlen = 0;
  for (let i = 0; i < l; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) {
      nonNumeric = true;
      partlen++;
    } else if (c >= 48 && c <= 57) {
      partlen++;
    } else if (c === 45) {
      if (last === 46) return false;
      partlen++;
      nonNumeric = true;
    } else if (c === 46) {
      if (last === 46 || last === 45) return false;
      if (partlen > 63 || partlen === 0) return false;
      partlen = 0;
    } else return false;
    last = c;
  }
  if (last === 45 || partlen > 63) return false;
  return nonNumeric;
}

/**
 * RDATA, types and classes in presentation format, as BIND 9.18's `dns_rdata_totext` writes them
 * on one line (dig's full output, `+short` and BIND nslookup all use it): names absolute with
 * their final dot, IPv6 through inet_ntop, TXT strings quoted with `"` and `\` escaped and bytes
 * outside the printable range as `\DDD`.
 */

import type { Answer } from "../message.js";
import { ntop6 } from "./address.js";
import { nameText } from "./names.js";

/** A type as BIND names it: dns-packet's `UNKNOWN_65280` is BIND's `TYPE65280` (RFC 3597). */
export function typeText(type: string): string {
  return type.startsWith("UNKNOWN_") ? `TYPE${type.slice(8)}` : type;
}

/** A class as BIND names it (`IN` when dns-packet leaves it out; `UNKNOWN_n` is `CLASSn`). */
export function classText(klass: string | undefined): string {
  if (klass === undefined) return "IN";
  return klass.startsWith("UNKNOWN_") ? `CLASS${klass.slice(8)}` : klass;
}

/** The character-strings of a TXT record, whichever of dns-packet's forms holds them. */
export function txtStrings(data: string | Buffer | readonly (string | Buffer)[]): Buffer[] {
  const list = Array.isArray(data) ? data : [data as string | Buffer];
  return list.map((s) => (typeof s === "string" ? Buffer.from(s, "utf8") : s));
}

/** One character-string quoted as BIND's `txt_totext` does. */
function quoted(bytes: Buffer): string {
  let out = '"';
  for (const byte of bytes) {
    if (byte < 0x20 || byte >= 0x7f) out += `\\${String(byte).padStart(3, "0")}`;
    else if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

/** An absolute name in presentation format. */
function abs(name: string): string {
  return nameText(name, { absolute: true });
}

/**
 * The RDATA of a record in presentation format (`10.96.0.1`, `0 100 443 kubernetes.default.svc.cluster.local.`,
 * `"1.1.0"`). Types dns-packet does not parse carry their RDATA as bytes and are written in the
 * RFC 3597 form `\# 4 0A000001`, as BIND writes types it does not know (unsplit: BIND breaks
 * hex longer than 30 digits into words).
 *
 * @throws Error for the other types dns-packet parses into objects (DNSKEY, RRSIG, …), which no
 * part of mcsim produces.
 */
export function rdataText(record: Answer): string {
  switch (record.type) {
    case "A":
      return record.data;
    case "AAAA":
      return ntop6(record.data);
    case "CNAME":
    case "DNAME":
    case "NS":
    case "PTR":
      return abs(record.data);
    case "MX":
      return `${record.data.preference ?? 0} ${abs(record.data.exchange)}`;
    case "SRV": {
      const d = record.data;
      return `${d.priority ?? 0} ${d.weight ?? 0} ${d.port} ${abs(d.target)}`;
    }
    case "SOA": {
      const d = record.data;
      const numbers = [d.serial, d.refresh, d.retry, d.expire, d.minimum].map((n) => n ?? 0);
      return `${abs(d.mname)} ${nameText(d.rname, { absolute: true, mailbox: true })} ${numbers.join(" ")}`;
    }
    case "TXT":
      return txtStrings(record.data).map(quoted).join(" ");
    default: {
      const data: unknown = "data" in record ? record.data : undefined;
      if (Buffer.isBuffer(data)) return data.length === 0 ? "\\# 0" : `\\# ${data.length} ${data.toString("hex").toUpperCase()}`;
      throw new Error(`mcsim cannot write ${record.type} records in presentation format`);
    }
  }
}

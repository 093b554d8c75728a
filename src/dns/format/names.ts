/**
 * Domain names in presentation format, as BIND's `dns_name_totext` and the resolver library's
 * `ns_name_ntop` (which busybox calls) write them: each label's bytes, with `"` `(` `)` `.` `;`
 * `\` `@` `$` escaped by a backslash and bytes outside `!`..`~` as `\DDD`. Escaping matters for
 * the tools' column layout too: a space in a label is `\032`, so an owner never splits in two.
 */

/** Bytes that both libraries escape with a backslash. */
const SPECIAL = new Set([0x22, 0x28, 0x29, 0x2e, 0x3b, 0x5c, 0x40, 0x24]);

/**
 * The labels of a name in dns-packet's form (no trailing dot; the root is `.`). A mailbox name
 * (an SOA's RNAME) is decoded by dns-packet with the dots inside its first label written `\.`,
 * so there `\.` belongs to the label.
 */
function labelsOf(name: string, mailbox: boolean): string[] {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare === "") return [];
  if (!mailbox) return bare.split(".");
  return bare.split(/(?<!\\)\./).map((label) => label.replace(/\\\./g, "."));
}

/** One label's bytes in presentation format. */
function labelText(label: string): string {
  let out = "";
  for (const byte of Buffer.from(label, "utf8")) {
    if (SPECIAL.has(byte)) out += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, "0")}`;
  }
  return out;
}

/** Options of {@link nameText}. */
export interface NameTextOptions {
  /** End with the root's dot, as dig prints names (`web.default.svc.cluster.local.`). */
  readonly absolute: boolean;
  /** The name is an SOA RNAME as dns-packet decodes it (`\.` inside the first label). */
  readonly mailbox?: boolean;
}

/**
 * A name in presentation format: absolute (`a.b.`) as dig prints owners and RDATA names, or
 * without the final dot (`a.b`) as `dns_name_format` and `ns_name_ntop` give it to nslookup. The
 * root is `.` either way.
 */
export function nameText(name: string, options: NameTextOptions): string {
  const labels = labelsOf(name, options.mailbox ?? false);
  if (labels.length === 0) return ".";
  const text = labels.map(labelText).join(".");
  return options.absolute ? `${text}.` : text;
}

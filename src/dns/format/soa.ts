/**
 * An SOA record as both nslookups print it: the owner on a line of its own, then one
 * `\tfield = value` line per field (BIND's printsoa; busybox's parse_reply copies its words).
 */

import type { Answer } from "../message.js";
import { nameText } from "./names.js";

/** The lines of an SOA record, names without their final dot. */
export function soaLines(record: Extract<Answer, { type: "SOA" }>): string[] {
  const d = record.data;
  const bare = (name: string, mailbox = false): string => nameText(name, { absolute: false, mailbox });
  return [
    bare(record.name),
    `\torigin = ${bare(d.mname)}`,
    `\tmail addr = ${bare(d.rname, true)}`,
    `\tserial = ${d.serial ?? 0}`,
    `\trefresh = ${d.refresh ?? 0}`,
    `\tretry = ${d.retry ?? 0}`,
    `\texpire = ${d.expire ?? 0}`,
    `\tminimum = ${d.minimum ?? 0}`,
  ];
}

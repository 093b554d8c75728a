/**
 * The body dig prints for a reply (BIND 9.18 `bin/dig/dig.c` printmessage, `lib/dns/message.c`
 * section printing; dns.md §6.1): `;; Got answer:`, the mDNS warning for `.local` questions, the
 * header and flags lines, the recursion warning, a blank line, the OPT pseudosection, then each
 * non-empty section with its title and a blank line after it. The OPT record is counted in
 * `ADDITIONAL:` but printed only as the pseudosection.
 */

import type { Answer, Packet } from "../message.js";
import { FLAGS, optOf } from "../message.js";
import { questionLine, recordLine } from "./columns.js";
import { optPseudosection, type CookieVerdict } from "./edns.js";

const OPCODES = ["QUERY", "IQUERY", "STATUS", "RESERVED3", "NOTIFY", "UPDATE"];

/** BIND's rcode names: the header's 4 bits, extended by the OPT record's upper 8. */
const RCODES: Readonly<Record<number, string>> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
  11: "RESERVED11",
  12: "RESERVED12",
  13: "RESERVED13",
  14: "RESERVED14",
  15: "RESERVED15",
  16: "BADVERS",
  23: "BADCOOKIE",
};

/** dig's `status:` text; a code BIND has no name for is `?<n>`, as dig's rcode_totext writes it. */
function statusText(reply: Packet): string {
  const code = ((reply.flags ?? 0) & 0xf) | ((optOf(reply)?.extendedRcode ?? 0) << 4);
  return RCODES[code] ?? `?${code}`;
}

/** The header flags in dig's order, then the Z bit as `; MBZ: 0x4` when set. */
function flagsText(reply: Packet): string {
  const flags = reply.flags ?? 0;
  const names: [boolean, string][] = [
    [reply.type === "response", "qr"],
    [(flags & FLAGS.AA) !== 0, "aa"],
    [(flags & FLAGS.TC) !== 0, "tc"],
    [(flags & FLAGS.RD) !== 0, "rd"],
    [(flags & FLAGS.RA) !== 0, "ra"],
    [(flags & FLAGS.AD) !== 0, "ad"],
    [(flags & FLAGS.CD) !== 0, "cd"],
  ];
  const set = names.filter(([on]) => on).map(([, name]) => ` ${name}`).join("");
  return (flags & 0x40) !== 0 ? `${set}; MBZ: 0x4` : set;
}

/** True when a question is `local.` or below it (dig's isdotlocal; names compare without case). */
function asksDotLocal(reply: Packet): boolean {
  return (reply.questions ?? []).some((q) => /(^|\.)local\.?$/i.test(q.name));
}

/** A section's lines: its title, its records, and the blank line after it; none when empty. */
function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : [`;; ${title} SECTION:`, ...lines, ""];
}

/** Records that are not the OPT pseudo-record. */
function records(list: readonly Answer[] | undefined): Exclude<Answer, { type: "OPT" }>[] {
  return (list ?? []).filter((a): a is Exclude<Answer, { type: "OPT" }> => a.type !== "OPT");
}

/**
 * The lines dig prints for a reply, from `;; Got answer:` to the blank line after the last
 * section, given its judgement of the reply's COOKIE.
 */
export function digMessageLines(reply: Packet, cookie: CookieVerdict): string[] {
  const flags = reply.flags ?? 0;
  const opt = optOf(reply);
  const counts = [reply.questions, reply.answers, reply.authorities, reply.additionals].map((s) => s?.length ?? 0);
  const lines = [";; Got answer:"];
  if (asksDotLocal(reply)) {
    lines.push(";; WARNING: .local is reserved for Multicast DNS", ";; You are currently testing what happens when an mDNS query is leaked to DNS");
  }
  lines.push(
    `;; ->>HEADER<<- opcode: ${OPCODES[(flags >> 11) & 0xf] ?? `RESERVED${(flags >> 11) & 0xf}`}, status: ${statusText(reply)}, id: ${reply.id ?? 0}`,
    `;; flags:${flagsText(reply)}; QUERY: ${counts[0]}, ANSWER: ${counts[1]}, AUTHORITY: ${counts[2]}, ADDITIONAL: ${counts[3]}`,
  );
  if ((flags & FLAGS.RD) !== 0 && (flags & FLAGS.RA) === 0) lines.push(";; WARNING: recursion requested but not available");
  // dig prints this blank line itself; the pseudosection and sections follow from one buffer.
  lines.push("");
  if (opt !== undefined) lines.push(...optPseudosection(opt, cookie));
  lines.push(
    ...section("QUESTION", (reply.questions ?? []).map(questionLine)),
    ...section("ANSWER", records(reply.answers).map(recordLine)),
    ...section("AUTHORITY", records(reply.authorities).map(recordLine)),
    ...section("ADDITIONAL", records(reply.additionals).map(recordLine)),
  );
  return lines;
}

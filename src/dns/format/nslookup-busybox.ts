/**
 * busybox `nslookup` output (dns.md §5.5, §6.2; `networking/nslookup.c`).
 *
 * From 1.29 busybox has its own resolver: it sends every query at once and prints each reply as it
 * arrives (parse_reply), a blank line after each, so a NODATA reply shows as an empty line. The
 * `Server:`/`Address:` lines come before the first reply from the server that answered. Queries
 * never answered get `*** Can't find NAME: No answer` at the end; a run with no reply at all prints
 * `;; connection timed out; no servers could be reached`. Exit status 1 when any reply had a
 * non-zero rcode or none came (unanswered queries alone leave it 0, as busybox does).
 *
 * Up to 1.28 it calls the libc's getaddrinfo and getnameinfo and prints `%-10s %s` lines with
 * numbered addresses; a failed lookup is `nslookup: can't resolve 'NAME'` on stderr, exit 1.
 */

import type { Packet } from "../message.js";
import { FLAGS } from "../message.js";
import { busyboxSocket, ntop6 } from "./address.js";
import { nameText } from "./names.js";
import type { ToolOutput } from "./output.js";
import { txtStrings } from "./rdata.js";
import { soaLines } from "./soa.js";

/** The header rcode names busybox prints (codes 11 to 15 as numbers). */
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

/** One reply busybox printed, with the name of the query it answers as busybox built it. */
export interface BusyboxReply {
  /** The query's name as busybox sent it (`web.default.svc.cluster.local`, or `name.` as typed). */
  readonly name: string;
  readonly packet: Packet;
}

/** A run of busybox ≥ 1.29 `nslookup`. */
export interface BusyboxNslookupRun {
  readonly style?: "busybox";
  /**
   * The server that answered: `name` as written in resolv.conf or on the command line, and the
   * address it stands for (default: `name`) and port (default 53).
   */
  readonly server: { readonly name: string; readonly address?: string; readonly port?: number };
  /** The replies in the order they arrived (after busybox's own retries, e.g. on SERVFAIL). */
  readonly replies: readonly BusyboxReply[];
  /** The names of the queries no reply came for, in the order busybox sent them. */
  readonly unanswered?: readonly string[];
}

/** One address getaddrinfo gave, with the name getnameinfo found for it (a PTR), if any. */
export interface LibcAddress {
  readonly address: string;
  readonly reverseName?: string;
}

/** A run of busybox ≤ 1.28 `nslookup`, which asks the libc. */
export interface BusyboxLibcNslookupRun {
  readonly style: "busybox-libc";
  /** The name as typed. */
  readonly name: string;
  /** The first nameserver of resolv.conf (or the one given), with its reverse name if it has one. */
  readonly server: LibcAddress;
  /** What getaddrinfo gave for the name, in its order; absent when the lookup failed. */
  readonly addresses?: readonly LibcAddress[];
}

/** A name as `ns_name_ntop` writes it: no final dot, the root as `.`. */
function bare(name: string): string {
  return nameText(name, { absolute: false });
}

/** The lines parse_reply prints for the answer section of a NOERROR reply. */
function answerLines(reply: Packet): string[] {
  const lines = (reply.flags ?? 0) & FLAGS.AA ? [] : ["Non-authoritative answer:"];
  for (const a of reply.answers ?? []) {
    const owner = bare(a.name);
    switch (a.type) {
      case "A":
      case "AAAA":
        lines.push(`Name:\t${owner}`, `Address: ${ntop6(a.data)}`);
        break;
      case "NS":
        lines.push(`${owner}\tnameserver = ${bare(a.data)}`);
        break;
      case "CNAME":
        lines.push(`${owner}\tcanonical name = ${bare(a.data)}`);
        break;
      case "PTR":
        lines.push(`${owner}\tname = ${bare(a.data)}`);
        break;
      case "MX":
        lines.push(`${owner}\tmail exchanger = ${a.data.preference ?? 0} ${bare(a.data.exchange)}`);
        break;
      case "SRV":
        lines.push(`${owner}\tservice = ${a.data.priority ?? 0} ${a.data.weight ?? 0} ${a.data.port} ${bare(a.data.target)}`);
        break;
      case "TXT": {
        // Only the first string, copied raw and printed with %s (so up to a NUL), and only when not empty.
        const first = txtStrings(a.data)[0];
        if (first !== undefined && first.length > 0) {
          const end = first.indexOf(0);
          lines.push(`${owner}\ttext = "${first.subarray(0, end < 0 ? first.length : end).toString("utf8")}"`);
        }
        break;
      }
      case "SOA":
        lines.push(...soaLines(a));
        break;
      default:
        // busybox prints nothing for the other types.
        break;
    }
  }
  return lines;
}

/** What busybox ≥ 1.29 `nslookup` prints for a run, and its exit status. */
export function formatBusyboxNslookup(run: BusyboxNslookupRun): ToolOutput {
  if (run.replies.length === 0) {
    return { stdout: ";; connection timed out; no servers could be reached\n\n", stderr: "", exitCode: 1 };
  }
  const server = run.server;
  const lines = [`Server:\t\t${server.name}`, `Address:\t${busyboxSocket({ address: server.address ?? server.name, port: server.port ?? 53 })}`, ""];
  let failed = false;
  for (const { name, packet } of run.replies) {
    const rcode = (packet.flags ?? 0) & 0xf;
    if (rcode !== 0) {
      failed = true;
      lines.push(`** server can't find ${name}: ${RCODES[rcode] ?? String(rcode)}`);
    } else {
      lines.push(...answerLines(packet));
    }
    lines.push("");
  }
  const unanswered = run.unanswered ?? [];
  if (unanswered.length > 0) lines.push(...unanswered.map((n) => `*** Can't find ${n}: No answer`), "");
  return { stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: failed ? 1 : 0 };
}

/** `Address N: ADDR NAME` lines of print_host, numbered from 1. */
function addressLines(addresses: readonly LibcAddress[]): string[] {
  return addresses.map((a, i) => {
    return `Address ${i + 1}: ${ntop6(a.address)}${a.reverseName === undefined ? "" : ` ${a.reverseName}`}`;
  });
}

/** What busybox ≤ 1.28 `nslookup` prints for a run, and its exit status. */
export function formatBusyboxLibcNslookup(run: BusyboxLibcNslookupRun): ToolOutput {
  const server = [`${"Server:".padEnd(10)} ${ntop6(run.server.address)}`, ...addressLines([run.server]), ""];
  if (run.addresses === undefined) {
    return { stdout: `${server.join("\n")}\n`, stderr: `nslookup: can't resolve '${run.name}'\n`, exitCode: 1 };
  }
  const lines = [...server, `${"Name:".padEnd(10)} ${run.name}`, ...addressLines(run.addresses)];
  return { stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: 0 };
}

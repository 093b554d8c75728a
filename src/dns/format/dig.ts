/**
 * BIND 9.18 `dig` output (dns.md §6.1; `bin/dig/dig.c`, `bin/dig/dighost.c`). A run is what dig
 * exchanged: the tries that gave nothing to print, then the reply it printed, if any. dig writes
 * all of it to stdout, in this order:
 *
 * - `;; communications error to IP#53: timed out` for each try that timed out, and
 *   `;; Truncated, retrying in TCP mode.` for a truncated UDP reply (not with `+short`);
 * - with a reply: the greeting (`\n; <<>> DiG 9.18.24 <<>> args`, `; (1 server found)` after an
 *   `@server`, `;; global options: +cmd`), the message and the footer; with `+short`, only the
 *   answers' RDATA, one a line. Exit status 0, whatever the rcode;
 * - without one: the greeting and `;; no servers could be reached` and a blank line. Exit status 9.
 */

import { civilTime, twoDigits } from "../../k8s/timestamp.js";
import { wireSize, optOf, type Packet } from "../message.js";
import { bindSocket, type Endpoint } from "./address.js";
import { digMessageLines } from "./dig-message.js";
import { checkCookie } from "./edns.js";
import type { ToolOutput } from "./output.js";
import { rdataText } from "./rdata.js";

/** The dig version the greeting names unless told (the version of dns.md §6.1's sample). */
export const DIG_VERSION = "9.18.24";

/** dig's exit status when no server answered (dighost.c). */
const NO_SERVERS = 9;

/** A try that gave dig nothing to print: it timed out, or its UDP reply was truncated (dig then retries over TCP). */
export type DigRetry = { readonly kind: "timeout"; readonly server: Endpoint } | { readonly kind: "truncated" };

/** The reply dig printed, with what its footer reports. */
export interface DigReply {
  /** The reply, in dns-packet's shape. */
  readonly packet: Packet;
  /** The address and port it came from. */
  readonly server: Endpoint;
  /** The server as the user named it (`@kube-dns.kube-system`), shown in brackets after the address; default the address. */
  readonly serverName?: string;
  readonly transport: "udp" | "tcp";
  /** Its size on the wire in bytes; default dns-packet's encoding of `packet` (uncompressed, as CoreDNS sends small replies). */
  readonly size?: number;
  /** Milliseconds from sending the query to the reply; a fraction is dropped, as dig truncates. */
  readonly queryTimeMs: number;
  /** The `;; WHEN:` text, or a Unix time in seconds, written as dig writes it with `TZ=UTC`. */
  readonly when: string | number;
  /** The client cookie dig sent, in hex; dig judges the reply's COOKIE by it. Leave out when dig sent none (`+nocookie`). */
  readonly clientCookie?: string;
}

/** One run of dig: its command line and what it exchanged. */
export interface DigRun {
  /** The arguments after `dig`, as typed (the greeting repeats them). */
  readonly args: readonly string[];
  /** `+short`: only the answers' RDATA. The caller reads it from the arguments. */
  readonly short?: boolean;
  /** The version in the greeting; default {@link DIG_VERSION}. */
  readonly version?: string;
  /** Addresses `@server` resolved to, for `; (N servers found)`; default 1 when an argument starts with `@`, else none. */
  readonly serversFound?: number;
  /** The tries before the printed reply (or all of them, when none came), in order. */
  readonly retries?: readonly DigRetry[];
  /** The reply dig printed; absent when no server answered. */
  readonly reply?: DigReply;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A Unix time as dig's `strftime("%a %b %d %H:%M:%S %Z %Y")` writes it in UTC. */
function whenText(when: string | number): string {
  if (typeof when === "string") return when;
  const c = civilTime(when);
  return `${DAYS[c.weekday]} ${MONTHS[c.month - 1]} ${twoDigits(c.day)} ${twoDigits(c.hour)}:${twoDigits(c.minute)}:${twoDigits(c.second)} UTC ${c.year}`;
}

/** The greeting dig keeps from its command line and prints before the first reply or error. */
function greeting(run: DigRun): string[] {
  const found = run.serversFound ?? (run.args.some((a) => a.startsWith("@")) ? 1 : 0);
  return [
    "",
    `; <<>> DiG ${run.version ?? DIG_VERSION} <<>>${run.args.map((a) => ` ${a}`).join("")}`,
    ...(found > 0 ? [`; (${found} server${found > 1 ? "s" : ""} found)`] : []),
    ";; global options: +cmd",
  ];
}

/** The footer dig's `received` prints after a reply. */
function footer(reply: DigReply): string[] {
  return [
    `;; Query time: ${Math.floor(reply.queryTimeMs)} msec`,
    `;; SERVER: ${bindSocket(reply.server)}(${reply.serverName ?? reply.server.address}) (${reply.transport.toUpperCase()})`,
    `;; WHEN: ${whenText(reply.when)}`,
    `;; MSG SIZE  rcvd: ${reply.size ?? wireSize(reply.packet)}`,
    "",
  ];
}

/** The lines for the tries before the reply. */
function retryLines(run: DigRun): string[] {
  return (run.retries ?? []).flatMap((r) => {
    if (r.kind === "timeout") return [`;; communications error to ${bindSocket(r.server)}: timed out`];
    return run.short ? [] : [";; Truncated, retrying in TCP mode."];
  });
}

/**
 * What `dig` prints for a run, and its exit status. Limits: the greeting after a failed run is
 * left out with `+short`, which matches `dig +short name` but not `dig name +short` (dig builds
 * the greeting while it reads the arguments, and prints it after a failure whatever came later).
 */
export function formatDig(run: DigRun): ToolOutput {
  const lines = retryLines(run);
  const reply = run.reply;
  if (reply === undefined) {
    if (!run.short) lines.push(...greeting(run));
    // dighost_error's format ends in a newline and dig_error adds one: a blank line follows.
    lines.push(";; no servers could be reached", "");
    return { stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: NO_SERVERS };
  }
  const cookie = checkCookie(optOf(reply.packet), reply.clientCookie);
  if (cookie.warning !== undefined) lines.push(cookie.warning);
  if (run.short) {
    lines.push(...(reply.packet.answers ?? []).map(rdataText));
  } else {
    lines.push(...greeting(run), ...digMessageLines(reply.packet, cookie.verdict), ...footer(reply));
  }
  return { stdout: lines.length === 0 ? "" : `${lines.join("\n")}\n`, stderr: "", exitCode: 0 };
}

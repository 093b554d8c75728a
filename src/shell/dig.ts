import { DNS_PORT } from "../dns/coredns.js";
import { formatDig, type DigRetry, type DigReply } from "../dns/format/index.js";
import type { ToolOutput } from "../dns/format/output.js";
import { FLAGS, hasFlag, makeQuery, rcodeOf, type Packet, type RecordType } from "../dns/message.js";
import { isIpv4, isIpv6 } from "../dns/resolver/names.js";
import { digPlan, reverseName } from "../dns/resolver/tools.js";
import type { DnsClientReply } from "../dns/client-socket.js";
import type { PodShell } from "./pod.js";

/**
 * BIND 9.18 `dig` in a pod (dns.md §5.6, §6.1): it reads the command line as dig does, sends its
 * query from the pod through the simulated network (UDP with EDNS 1232 and a client cookie unless
 * told otherwise; TCP after a truncated reply), waits as dig waits (`+tries`, `+timeout`, every
 * nameserver of resolv.conf in turn), walks the search list with `+search`, and prints the
 * exchange with the dig formatter.
 *
 * The options read are the ones lessons use; any other is refused with dig's own message rather
 * than ignored: `@server` (an address, or a name looked up through the pod's libc), `-p`, `-t`,
 * `-x`, `-c IN`, a type or `IN` among the arguments, and `+[no]short`, `+[no]tcp`, `+[no]vc`,
 * `+[no]search`, `+[no]ignore`, `+[no]edns`, `+bufsize=`, `+tries=`, `+retry=`, `+timeout=`,
 * `+[no]cookie`, `+[no]recurse`.
 */

/** The record types dig takes as a bare argument. */
const TYPES = new Set(["A", "AAAA", "ANY", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "CAA", "DNAME", "HINFO", "NAPTR", "DS", "DNSKEY"]);

/** dig's status for a command line it cannot use (dig.c: `fatal`/usage). */
const USAGE = 1;
/** dig's status when `@server` cannot be resolved (dighost.c: `get_addresses`). */
const NO_SERVER_ADDRESS = 10;

/** A dig command line, read. */
interface DigOptions {
  name?: string;
  type?: string;
  server?: string;
  port: number;
  short: boolean;
  tcp: boolean;
  search: boolean;
  ignore: boolean;
  edns: boolean;
  bufsize: number;
  tries: number;
  timeout: number;
  cookie: boolean;
  recurse: boolean;
}

class DigUsageError extends Error {}

/** Reads `+[no]NAME[=VALUE]`; the names as dig accepts them, with its shortest prefixes for the common ones. */
function plusOption(o: DigOptions, arg: string): void {
  const m = /^\+(no)?([a-z]+)(?:=(.*))?$/.exec(arg);
  if (!m) throw new DigUsageError(`Invalid option: ${arg}`);
  const on = m[1] === undefined;
  const key = m[2]!;
  const value = m[3];
  const number = (min: number): number => {
    const n = Number(value);
    if (value === undefined || !/^\d+$/.test(value) || n < min) throw new DigUsageError(`Invalid option: ${arg}`);
    return n;
  };
  const flag = (): boolean => {
    if (value !== undefined) throw new DigUsageError(`Invalid option: ${arg}`);
    return on;
  };
  switch (key) {
    case "short":
      o.short = flag();
      return;
    case "tcp":
    case "vc":
      o.tcp = flag();
      return;
    case "search":
      o.search = flag();
      return;
    case "ignore":
      o.ignore = flag();
      return;
    case "edns":
      if (value !== undefined && on) number(0);
      o.edns = on;
      return;
    case "bufsize":
      o.bufsize = number(0);
      return;
    case "tries":
      o.tries = Math.max(1, number(0));
      return;
    case "retry":
      o.tries = number(0) + 1;
      return;
    case "timeout":
      o.timeout = Math.max(1, number(0));
      return;
    case "cookie":
      o.cookie = on;
      return;
    case "recurse":
      o.recurse = flag();
      return;
    default:
      throw new DigUsageError(`Invalid option: ${arg}`);
  }
}

/** Reads dig's arguments as dig.c's parse_args does, for the options this dig knows. */
function parseArgs(args: readonly string[]): DigOptions {
  const o: DigOptions = { port: DNS_PORT, short: false, tcp: false, search: false, ignore: false, edns: true, bufsize: 1232, tries: 3, timeout: 5, cookie: true, recurse: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new DigUsageError(`option "${arg}" needs an argument`);
      return v;
    };
    if (arg.startsWith("@")) o.server = arg.slice(1);
    else if (arg.startsWith("+")) plusOption(o, arg);
    else if (arg === "-p") {
      const p = next();
      if (!/^\d+$/.test(p) || Number(p) > 65535) throw new DigUsageError(`port '${p}' out of range`);
      o.port = Number(p);
    } else if (arg === "-t") {
      const t = next().toUpperCase();
      if (!TYPES.has(t)) throw new DigUsageError(`'${t}' is not a valid type`);
      o.type = t;
    } else if (arg === "-c") {
      const c = next().toUpperCase();
      if (c !== "IN") throw new DigUsageError(`class ${c} is not served by the simulated clusters; use IN`);
    } else if (arg === "-x") {
      const address = next();
      const ptr = reverseName(address);
      if (ptr === undefined) throw new DigUsageError(`'${address}' is not a legal IPv4 or IPv6 address`);
      o.name = ptr;
      o.type ??= "PTR";
    } else if (arg.startsWith("-")) throw new DigUsageError(`Invalid option: ${arg}`);
    else if (TYPES.has(arg.toUpperCase()) && o.name !== undefined && o.type === undefined) o.type = arg.toUpperCase();
    else if (arg.toUpperCase() === "IN") continue;
    else if (o.name === undefined) o.name = arg;
    else throw new DigUsageError(`this dig looks up one name per command; got ${o.name} and ${arg}`);
  }
  return o;
}

/** Eight bytes of client cookie, as dig sends (RFC 7873 §4). */
function clientCookie(shell: PodShell): Buffer {
  const bytes = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) bytes[i] = shell.rng.int(256);
  return bytes;
}

/** The query dig sends for `name`. */
function query(shell: PodShell, o: DigOptions, name: string, type: string, cookie: Buffer | undefined): Packet {
  const q = makeQuery(name, type as RecordType, { id: shell.rng.int(65536), rd: o.recurse, ...(o.edns ? { ednsUdpSize: o.bufsize } : {}) });
  if (cookie) (q.additionals![0] as { options: unknown[] }).options.push({ code: 10, data: cookie });
  return q;
}

/** Runs `dig ARGS` in the pod: what it prints and its exit status. */
export function dig(shell: PodShell, args: readonly string[]): ToolOutput {
  let o: DigOptions;
  try {
    o = parseArgs(args);
  } catch (e) {
    if (e instanceof DigUsageError) return { stdout: "", stderr: `${e.message}\n`, exitCode: USAGE };
    throw e;
  }
  // dig with no name asks for the root's NS records, as dig does.
  const name = o.name ?? ".";
  const type = o.type ?? (o.name === undefined ? "NS" : "A");
  const plan = digPlan(name, shell.resolvConf, { type, search: o.search, tries: o.tries, timeout: o.timeout });
  let servers = plan.servers;
  let serverName: string | undefined;
  if (o.server !== undefined) {
    if (isIpv4(o.server) || isIpv6(o.server)) servers = [o.server];
    else {
      servers = shell.lookup(o.server).addresses.map((a) => a.address);
      if (servers.length === 0) return { stdout: "", stderr: `dig: couldn't get address for '${o.server}': not found\n`, exitCode: NO_SERVER_ADDRESS };
      serverName = o.server;
    }
  }
  const cookie = o.edns && o.cookie ? clientCookie(shell) : undefined;
  const retries: DigRetry[] = [];
  let printed: { reply: DnsClientReply; sentAt: number } | undefined;
  for (const qname of plan.names) {
    printed = undefined;
    const q = query(shell, o, qname, plan.qtype, cookie);
    let transport: "udp" | "tcp" = o.tcp ? "tcp" : "udp";
    servers: for (const server of servers) {
      for (let t = 0; t < plan.tries; t++) {
        const sentAt = shell.now;
        const reply = shell.exchange(server, o.port, q, transport, plan.timeout);
        if (!reply) {
          retries.push({ kind: "timeout", server: { address: server, port: o.port } });
          continue;
        }
        if (transport === "udp" && hasFlag(reply.packet, FLAGS.TC) && !o.ignore) {
          retries.push({ kind: "truncated" });
          transport = "tcp";
          t--;
          continue;
        }
        printed = { reply, sentAt };
        break servers;
      }
    }
    // +search goes on to the next name only after an NXDOMAIN, as dighost.c's next_origin.
    if (!printed || rcodeOf(printed.reply.packet) !== "NXDOMAIN") break;
  }
  const reply: DigReply | undefined = printed && {
    packet: printed.reply.packet,
    server: { address: printed.reply.from.ip, port: printed.reply.from.port },
    ...(serverName !== undefined ? { serverName } : {}),
    transport: printed.reply.transport,
    queryTimeMs: (printed.reply.at - printed.sentAt) / 1000,
    when: shell.unixSeconds,
    ...(cookie ? { clientCookie: cookie.toString("hex") } : {}),
  };
  return formatDig({ args, short: o.short, retries, ...(o.server !== undefined ? { serversFound: servers.length } : {}), ...(reply ? { reply } : {}) });
}

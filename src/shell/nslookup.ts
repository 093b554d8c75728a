import { DNS_PORT } from "../dns/coredns.js";
import { chaseCnames } from "../dns/format/nslookup-bind.js";
import { formatNslookup, type BindNslookupEvent, type BusyboxReply, type LibcAddress } from "../dns/format/index.js";
import type { ToolOutput } from "../dns/format/output.js";
import { makeQuery, rcodeOf, type Packet, type RecordType } from "../dns/message.js";
import { compareVersions, readGlibcSettings } from "../dns/resolver/behaviour.js";
import { isIpv4, isIpv6 } from "../dns/resolver/names.js";
import { busyboxNslookupPlan, digPlan, reverseName } from "../dns/resolver/tools.js";
import { SECOND } from "../sim/time.js";
import type { PodShell } from "./pod.js";

/**
 * `nslookup` in a pod, in the form the pod's image has (dns.md §5.5, §6.2): busybox ≥ 1.29's own
 * resolver for busybox and Alpine images (every query at once, resent every 2.5 s, replies in
 * arrival order), busybox ≤ 1.28's getaddrinfo for `busybox:1.28` and older (the pod's musl walks
 * the search list), and BIND's for every other image (the search list as glibc walks it, then A
 * and AAAA). Each sends from the pod through the simulated network and prints with the nslookup
 * formatters. Options: `-type=` (or `-query=`), and a server after the name.
 */

/** The busybox version an image has: its tag when it is one (`busybox:1.28`), else today's. */
export function busyboxVersion(image: string): string | undefined {
  const m = /(?:^|\/)(busybox|alpine)(?::([^@]+))?(?:@.*)?$/.exec(image);
  if (!m) return undefined;
  const tag = m[2];
  return m[1] === "busybox" && tag && /^\d+\.\d+(\.\d+)?/.test(tag) ? /^\d+\.\d+(\.\d+)?/.exec(tag)![0] : "1.36.1";
}

class NslookupUsageError extends Error {}

interface NslookupArgs {
  readonly name: string;
  readonly type?: string;
  readonly server?: string;
}

function parseArgs(args: readonly string[]): NslookupArgs {
  let type: string | undefined;
  const rest: string[] = [];
  for (const arg of args) {
    const m = /^-(?:type|query|q|t)=(.+)$/i.exec(arg);
    if (m) type = m[1]!.toUpperCase();
    else if (arg.startsWith("-")) throw new NslookupUsageError(`nslookup: unrecognized option '${arg}'`);
    else rest.push(arg);
  }
  if (rest.length === 0 || rest.length > 2) throw new NslookupUsageError("Usage: nslookup [-type=QUERY_TYPE] HOST [DNS_SERVER]");
  return { name: rest[0]!, ...(type ? { type } : {}), ...(rest[1] !== undefined ? { server: rest[1] } : {}) };
}

/** Runs `nslookup ARGS` in the pod: what it prints and its exit status. */
export function nslookup(shell: PodShell, args: readonly string[]): ToolOutput {
  let a: NslookupArgs;
  try {
    a = parseArgs(args);
  } catch (e) {
    if (e instanceof NslookupUsageError) return { stdout: "", stderr: `${e.message}\n`, exitCode: 1 };
    throw e;
  }
  if (a.server !== undefined && !isIpv4(a.server) && !isIpv6(a.server)) {
    return { stdout: "", stderr: `nslookup: this simulated nslookup takes a server by address; got '${a.server}'\n`, exitCode: 1 };
  }
  const version = busyboxVersion(shell.image);
  if (version === undefined) return bindNslookup(shell, a);
  if (compareVersions(version, "1.29") < 0) return busyboxLibcNslookup(shell, a);
  return busyboxNslookup(shell, a, version);
}

function query(shell: PodShell, name: string, type: string): Packet {
  return makeQuery(name, type as RecordType, { id: shell.rng.int(65536) });
}

/** busybox ≥ 1.29: its own resolver, every query at once to one server, then the next while none answers. */
function busyboxNslookup(shell: PodShell, a: NslookupArgs, version: string): ToolOutput {
  const plan = busyboxNslookupPlan(a.name, shell.resolvConf, { version, ...(a.type ? { type: a.type } : {}), ...(a.server ? { server: a.server } : {}) });
  if (plan.kind === "libc") return busyboxLibcNslookup(shell, a);
  const queries = plan.queries.map((q) => query(shell, q.name, q.qtype));
  for (const server of plan.servers) {
    const got = shell.exchangeAll(server, DNS_PORT, queries, "udp", plan.timeout, {
      resendEvery: plan.retryInterval,
      // nslookup.c resends at once a query answered SERVFAIL, hoping for better.
      resendOn: (reply) => rcodeOf(reply) === "SERVFAIL",
    });
    if (got.length === 0) continue;
    const answered = new Set(got.map((g) => g.index));
    const replies: BusyboxReply[] = got.map((g) => ({ name: plan.queries[g.index]!.name, packet: g.packet }));
    const unanswered = plan.queries.filter((_, i) => !answered.has(i)).map((q) => q.name);
    return formatNslookup({ server: { name: server }, replies, unanswered });
  }
  return formatNslookup({ server: { name: plan.servers[0]! }, replies: [], unanswered: plan.queries.map((q) => q.name) });
}

/** busybox ≤ 1.28: getaddrinfo for the name, getnameinfo (a PTR query) for each address and for the server. */
function busyboxLibcNslookup(shell: PodShell, a: NslookupArgs): ToolOutput {
  const server = a.server ?? readGlibcSettings(shell.resolvConf).nameservers[0] ?? "127.0.0.1";
  const reverse = (address: string): LibcAddress => {
    const ptr = reverseName(address);
    const reply = ptr === undefined ? null : shell.exchange(server, DNS_PORT, query(shell, ptr, "PTR"), "udp", 5 * SECOND);
    const found = reply?.packet.answers?.find((r) => r.type === "PTR");
    return found && found.type === "PTR" ? { address, reverseName: found.data } : { address };
  };
  const serverLine = reverse(server);
  const result = shell.lookup(a.name);
  if (!result.ok) return formatNslookup({ style: "busybox-libc", name: a.name, server: serverLine });
  return formatNslookup({ style: "busybox-libc", name: a.name, server: serverLine, addresses: result.addresses.map((x) => reverse(x.address)) });
}

/** BIND's: the search list walked as glibc does, each name tried on every server in turn; then AAAA after a NOERROR A. */
function bindNslookup(shell: PodShell, a: NslookupArgs): ToolOutput {
  const ptr = a.type === undefined ? reverseName(a.name) : undefined;
  const name = ptr ?? a.name;
  const type = a.type ?? (ptr ? "PTR" : "A");
  const plan = digPlan(name, shell.resolvConf, { type, search: ptr === undefined, ...(a.server ? { server: a.server } : {}), tries: 3, timeout: 5 });
  const events: BindNslookupEvent[] = [];
  const ask = (qname: string, qtype: string): { packet: Packet; server: string } | undefined => {
    const q = query(shell, qname, qtype);
    for (const server of plan.servers) {
      for (let t = 0; t < plan.tries; t++) {
        const reply = shell.exchange(server, DNS_PORT, q, "udp", plan.timeout);
        if (reply) return { packet: reply.packet, server };
        events.push({ kind: "timeout", server: { address: server, port: DNS_PORT } });
      }
    }
    return undefined;
  };
  let last: { packet: Packet; server: string } | undefined;
  for (const qname of plan.names) {
    last = ask(qname, plan.qtype);
    if (!last || rcodeOf(last.packet) !== "NXDOMAIN") break;
  }
  if (last) {
    events.push({ kind: "reply", server: { address: last.server, port: DNS_PORT }, packet: last.packet });
    if (a.type === undefined && !ptr && rcodeOf(last.packet) === "NOERROR") {
      const qname = last.packet.questions?.[0]?.name ?? name;
      const aaaa = ask(chaseCnames(last.packet, qname), "AAAA");
      if (aaaa) events.push({ kind: "reply", server: { address: aaaa.server, port: DNS_PORT }, packet: aaaa.packet });
    }
  }
  return formatNslookup({ style: "bind", name: ptr ?? a.name, ...(a.type ? { type: a.type } : {}), events });
}

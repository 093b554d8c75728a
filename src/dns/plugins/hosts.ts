/**
 * hosts — answers from an /etc/hosts-style file and from lines written in the Corefile.
 *
 * Syntax (CoreDNS plugin/hosts README, setup.go):
 *
 *     hosts [FILE [ZONES...]] {
 *         [INLINE]
 *         ttl SECONDS
 *         no_reverse
 *         reload DURATION
 *         fallthrough [ZONES...]
 *         fallthrough_unsupported
 *     }
 *
 * - FILE defaults to /etc/hosts and is read from the server's files (SetupContext.files). A FILE
 *   named but absent is a CorefileError (CoreDNS only logs a warning and serves the inline lines);
 *   the default /etc/hosts absent is CoreDNS's warning, `[WARNING] plugin/hosts: File does not
 *   exist: /etc/hosts`, and the plugin serves its inline lines.
 * - ZONES default to the server block's zones; names outside them are not loaded.
 * - INLINE lines are hosts-file lines; they must come before `fallthrough`.
 * - `ttl` is 1 to 65535 (default 3600); `reload` is checked (default 5s, 0 disables) but files
 *   do not change while a simulation runs, so nothing is re-read.
 * - Only one `hosts` per server block.
 *
 * Answers (hosts.go; dns.md has no section on hosts):
 * - A and AAAA records for the name, from the file first and the inline lines second, TTL as
 *   set, owner the lower-cased question name, AA set. An IPv4-mapped IPv6 address counts as IPv4.
 * - PTR records for the addresses (unless `no_reverse`), in any reverse zone; an address with no
 *   entry goes to the next plugin whether or not `fallthrough` is set.
 * - A name that is in the file with the other address family only, or asked with another type
 *   (MX, TXT): NODATA — NOERROR, AA, no records, no SOA. With `fallthrough_unsupported` (and
 *   `fallthrough` covering the name) another type goes to the next plugin instead (CoreDNS
 *   1.14.6, PR #8282).
 * - A name not in the file at all: the next plugin with `fallthrough` covering it; otherwise
 *   SERVFAIL, not NXDOMAIN: "We want to send an NXDOMAIN, but because of /etc/hosts' setup we
 *   don't have a SOA, so we make it SERVFAIL" (hosts.go). The reply is the server's empty
 *   SERVFAIL, as for any plugin that returns an error rcode without writing (returnedError, with
 *   an empty error: hosts returns a nil error, so `errors` prints nothing and `cache` never sees
 *   the reply).
 * - A name outside the plugin's zones (other than a PTR query) goes to the next plugin.
 */
import { parseDuration } from "../../sim/time.js";
import type { Directive } from "../corefile.js";
import { canonical, makeReply, wireName, type Answer } from "../message.js";
import { directiveError, matchZone, type PluginFactory, type SetupContext } from "../plugin.js";
import { onlyOnce, zonesOf } from "./directives.js";
import { addressFromReverse, formatIp, isV4, parseIp } from "./ip.js";
import { returnedError } from "./returned-error.js";

/** What a hosts text gives: addresses by name, names by address. */
export interface HostsMap {
  /** IPv4 addresses by lower-cased fully qualified name, in file order. */
  readonly name4: Map<string, string[]>;
  readonly name6: Map<string, string[]>;
  /** Names by address (Go's `ip.String()` form). */
  readonly addr: Map<string, string[]>;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Reads hosts-file text as hostsfile.go `parse` does: `#` starts a comment anywhere, lines with
 * fewer than two fields or an address Go cannot read are skipped, an IPv6 zone (`%eth0`) is
 * dropped, and names outside `origins` are not loaded.
 */
export function parseHosts(text: string, origins: readonly string[], reverse: boolean): HostsMap {
  const map: HostsMap = { name4: new Map(), name6: new Map(), addr: new Map() };
  for (const raw of text.split("\n")) {
    const hash = raw.indexOf("#");
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    const fields = line.split(/[ \t\r\v\f]+/).filter((f) => f !== "");
    if (fields.length < 2) continue;
    const percent = fields[0]!.indexOf("%");
    const ip = parseIp(percent >= 0 ? fields[0]!.slice(0, percent) : fields[0]!);
    if (!ip) continue;
    const address = formatIp(ip);
    for (const field of fields.slice(1)) {
      const name = canonical(field);
      if (!matchZone(name, origins)) continue;
      push(isV4(ip) ? map.name4 : map.name6, name, address);
      if (reverse) push(map.addr, address, name);
    }
  }
  return map;
}

interface HostsConfig {
  readonly origins: readonly string[];
  readonly ttl: number;
  readonly fallthrough: readonly string[] | null;
  readonly fallthroughUnsupported: boolean;
  readonly maps: readonly HostsMap[];
}

function parseConfig(context: SetupContext): HostsConfig {
  const d = context.directive;
  const path = d.args[0] ?? "/etc/hosts";
  const origins = d.args.length > 1 ? zonesOf(d, d.args.slice(1)) : [...context.zones];
  let ttl = 3600;
  let reverse = true;
  let fallthrough: string[] | null = null;
  let fallthroughUnsupported: Directive | null = null;
  const inline: string[] = [];
  for (const option of d.block ?? []) {
    const args = option.args;
    switch (option.name) {
      case "fallthrough":
        fallthrough = args.length > 0 ? zonesOf(option, args) : ["."];
        break;
      case "fallthrough_unsupported":
        if (args.length > 0) throw directiveError(option, "hosts: fallthrough_unsupported takes no arguments");
        fallthroughUnsupported = option;
        break;
      case "no_reverse":
        reverse = false;
        break;
      case "ttl": {
        if (args.length < 1) throw directiveError(option, "hosts: ttl needs a time in second");
        if (!/^[+-]?\d+$/.test(args[0]!)) throw directiveError(option, "hosts: ttl needs a number of second");
        const n = Number(args[0]);
        if (n <= 0 || n > 65535) throw directiveError(option, "hosts: ttl provided is invalid");
        ttl = n;
        break;
      }
      case "reload": {
        if (args.length !== 1) throw directiveError(option, "hosts: reload needs a duration (zero seconds to disable)");
        let ok = true;
        try {
          ok = parseDuration(args[0]!) >= 0;
        } catch {
          ok = false;
        }
        if (!ok || args[0]!.startsWith("-")) throw directiveError(option, `hosts: invalid duration for reload '${args[0]}'`);
        break;
      }
      default:
        if (fallthrough !== null) throw directiveError(option, `hosts: unknown property '${option.name}'`);
        if (option.block) throw directiveError(option, "hosts: an inline hosts line takes no block");
        inline.push([option.name, ...args].join(" "));
    }
  }
  if (fallthroughUnsupported && fallthrough === null) throw directiveError(fallthroughUnsupported, "hosts: fallthrough_unsupported requires fallthrough");
  const maps: HostsMap[] = [];
  const text = context.files[path];
  if (text === undefined) {
    if (d.args.length > 0) throw directiveError(d, `hosts: file does not exist: ${path}`);
    context.server.log(`[WARNING] plugin/hosts: File does not exist: ${path}`);
  } else {
    maps.push(parseHosts(text, origins, reverse));
  }
  if (inline.length > 0) maps.push(parseHosts(inline.join("\n"), origins, reverse));
  return { origins, ttl, fallthrough, fallthroughUnsupported: fallthroughUnsupported !== null, maps };
}

export const hosts: PluginFactory = {
  name: "hosts",
  setup(context) {
    if (!onlyOnce(context)) return null;
    const config = parseConfig(context);
    const lookup = (key: string, pick: (m: HostsMap) => Map<string, string[]>): string[] => config.maps.flatMap((m) => pick(m).get(key) ?? []);
    const fallsThrough = (name: string): boolean => config.fallthrough !== null && matchZone(name, config.fallthrough) !== undefined;
    return {
      name: "hosts",
      serve(request, writer, next) {
        const name = request.name;
        const owner = wireName(name);
        if (!matchZone(name, config.origins) && request.qtype !== "PTR") return next(request, writer);
        let answers: Answer[] = [];
        switch (request.qtype) {
          case "PTR": {
            const ip = parseIp(addressFromReverse(name));
            const names = ip ? lookup(formatIp(ip), (m) => m.addr) : [];
            if (names.length === 0) return next(request, writer);
            answers = names.map((n) => ({ type: "PTR", name: owner, ttl: config.ttl, class: "IN", data: wireName(n) }));
            break;
          }
          case "A":
            answers = lookup(name, (m) => m.name4).map((ip) => ({ type: "A", name: owner, ttl: config.ttl, class: "IN", data: ip }));
            break;
          case "AAAA":
            answers = lookup(name, (m) => m.name6).map((ip) => ({ type: "AAAA", name: owner, ttl: config.ttl, class: "IN", data: ip }));
            break;
        }
        if (answers.length === 0) {
          const exists = lookup(name, (m) => m.name4).length > 0 || lookup(name, (m) => m.name6).length > 0;
          if (!exists) {
            if (fallsThrough(name)) return next(request, writer);
            // hosts.go returns (SERVFAIL, nil): the server writes the reply, no error is logged.
            return writer.write(returnedError(request.query, "SERVFAIL", ""));
          }
          const handled = request.qtype === "A" || request.qtype === "AAAA" || request.qtype === "PTR";
          if (!handled && config.fallthroughUnsupported && fallsThrough(name)) return next(request, writer);
        }
        writer.write(makeReply(request.query, { authoritative: true, answers }));
      },
    };
  },
};

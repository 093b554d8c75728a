/**
 * log — writes a line to the server's log for each query it answers.
 *
 * Syntax (CoreDNS plugin/log README, setup.go):
 *
 *     log [NAMES...] [FORMAT] {
 *         class success|denial|error|all...
 *         minDuration [DURATION]
 *     }
 *
 * - NAMES: the names (and below) to log; default `.`. With one argument, it is a name, even if it
 *   looks like a format (`log {combined}` logs only the name `{combined}.`, as in CoreDNS); with
 *   two or more, the last is the FORMAT when it contains `{`. `{common}` is the default format,
 *   `{combined}` adds ` "{>opcode}"`.
 * - `class`: which replies to log (setup.go, response.Classify): `success` (NOERROR with records,
 *   or a referral), `denial` (NXDOMAIN or NODATA, each with an SOA), `error` (everything else,
 *   including an NXDOMAIN without SOA), `all` (the default). Several `class` lines add up.
 * - `minDuration`: also log replies slower than this (default 100ms), whatever their class.
 * - Several `log` directives in a block are one plugin: the rules are tried in order and the
 *   first whose name matches the query decides (log.go).
 *
 * A line is `[INFO] ` and the format with its placeholders filled (plugin/pkg/replacer), written
 * through DnsServer.log when the reply passes back through the plugin, e.g. (dns.md §3.4):
 *
 *     [INFO] 10.244.0.79:35291 - 36583 "PTR IN 85.13.102.10.in-addr.arpa. udp 66 false 1232" NOERROR qr,aa,rd 121 0.000196914s
 *
 * - `{name}` is the lower-cased question with its trailing dot; `{size}` and `{rsize}` are the
 *   query and reply sizes on the wire, uncompressed (wireSize); `{>bufsize}` is the UDP size the
 *   query advertises (at least 512), 65535 over TCP; `{remote}` puts an IPv6 address in brackets.
 * - `{duration}`: simulated time from the query reaching the plugin to the reply coming back,
 *   printed as Go's `strconv.FormatFloat(seconds, 'f', -1, 64)` + `s`, the shortest decimal that
 *   reads back as the same number. CoreDNS's nanosecond clock makes that 9 decimals nearly always
 *   (`0.000196914s`); mcsim's clock counts microseconds, so it prints at most 6 (`0.000197s`), and
 *   `0s` for a reply the chain wrote in the same instant.
 * - A reply the server writes for a plugin that returned an error without writing (returnedError:
 *   forward giving up, hosts' SERVFAIL) was never seen by CoreDNS's recorder, so its line says
 *   `NOERROR - 0` (rcode, flags, size), as real CoreDNS logs show next to the errors plugin's
 *   `[ERROR] plugin/errors: 2 …` line, and it counts as class `error`.
 * - Metadata placeholders `{/LABEL}` print `-` (mcsim has no metadata plugin); other unknown
 *   `{…}` are kept as written.
 */
import * as dnsPacket from "dns-packet";
import { parseDuration, type Micros } from "../../sim/time.js";
import type { Directive } from "../corefile.js";
import { FLAGS, RCODE, canonical, fqdn, optOf, udpLimit, wireSize, type Packet } from "../message.js";
import { directiveError, inZone, type DnsRequest, type PluginFactory } from "../plugin.js";
import { sameNamed } from "./directives.js";
import { returnedErrorOf } from "./returned-error.js";

/** CoreDNS's CommonLogFormat. */
export const COMMON_LOG_FORMAT = '{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}';
/** CoreDNS's CombinedLogFormat. */
export const COMBINED_LOG_FORMAT = `${COMMON_LOG_FORMAT} "{>opcode}"`;

type ResponseClass = "all" | "success" | "denial" | "error";

interface LogRule {
  readonly scope: string;
  readonly format: readonly Node[];
  readonly classes: ReadonlySet<ResponseClass>;
  readonly minDuration: Micros;
}

type Node = { readonly kind: "literal"; readonly text: string } | { readonly kind: "label"; readonly label: string } | { readonly kind: "metadata" };

const LABELS = new Set([
  "{type}", "{name}", "{class}", "{proto}", "{size}", "{remote}", "{port}", "{local}",
  "{>id}", "{>opcode}", "{>do}", "{>bufsize}", "{rcode}", "{rsize}", "{duration}", "{>rflags}",
]);

/** replacer.go parseFormat: find a `}`, back up to the nearest `{`. */
export function parseFormat(format: string): Node[] {
  const out: Node[] = [];
  let s = format;
  for (;;) {
    const j = s.indexOf("}");
    if (j < 0) break;
    const i = s.lastIndexOf("{", j);
    if (i < 0) {
      out.push({ kind: "literal", text: s.slice(0, j + 1) });
      s = s.slice(j + 1);
      continue;
    }
    const val = s.slice(i, j + 1);
    if (LABELS.has(val)) {
      if (i > 0) out.push({ kind: "literal", text: s.slice(0, i) });
      out.push({ kind: "label", label: val });
    } else if (val.startsWith("{/")) {
      if (i > 0) out.push({ kind: "literal", text: s.slice(0, i) });
      out.push({ kind: "metadata" });
    } else {
      out.push({ kind: "literal", text: s.slice(0, j + 1) });
    }
    s = s.slice(j + 1);
  }
  if (s !== "") out.push({ kind: "literal", text: s });
  return out;
}

/** Go's `strconv.FormatFloat(d.Seconds(), 'f', -1, 64)` for a whole number of microseconds. */
export function formatSeconds(us: Micros): string {
  const sec = Math.floor(us / 1_000_000);
  const nsec = (us - sec * 1_000_000) * 1000;
  const seconds = sec + nsec / 1e9;
  // Number#toString is the shortest round-tripping decimal, as Go's -1 precision; it switches to
  // exponent form only below 1e-6 (not reachable in whole microseconds except 0) and above 1e21.
  return seconds === 0 ? "0" : seconds.toString();
}

const RCODE_TEXT: readonly string[] = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI"];

/** replacer.go appendFlags. */
function rflags(p: Packet): string {
  const f = p.flags ?? 0;
  const out: string[] = [];
  if (p.type === "response" || (f & 0x8000) !== 0) out.push("qr");
  if (f & FLAGS.AA) out.push("aa");
  if (f & FLAGS.TC) out.push("tc");
  if (f & FLAGS.RD) out.push("rd");
  if (f & FLAGS.RA) out.push("ra");
  if (f & 0x40) out.push("z");
  if (f & FLAGS.AD) out.push("ad");
  if (f & FLAGS.CD) out.push("cd");
  return out.join(",");
}

/** response.Typify + Classify: the class of a reply. */
export function classify(reply: Packet): Exclude<ResponseClass, "all"> {
  const f = reply.flags ?? 0;
  const opcode = (f >> 11) & 0xf;
  if (opcode === 4 || opcode === 5) return "error"; // Meta, Update
  const qtype = reply.questions?.[0]?.type;
  if (qtype === "AXFR" || qtype === "IXFR") return "error"; // Meta
  const rcode = f & 0xf;
  if ((reply.answers?.length ?? 0) > 0 && rcode === RCODE.NOERROR) return "success";
  let soa = false;
  let ns = 0;
  for (const r of reply.authorities ?? []) {
    if (r.type === "SOA") soa = true;
    else if (r.type === "NS") ns++;
  }
  if (soa && (rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN)) return "denial";
  if (rcode === RCODE.SERVFAIL || rcode === RCODE.NOTIMP) return "error";
  if (ns > 0 && rcode === RCODE.NOERROR) return "success"; // Delegation
  if (rcode === RCODE.NOERROR) return "success";
  return "error";
}

/** The value of one placeholder; `reply` is null when the chain returned an error without writing. */
function value(label: string, request: DnsRequest, reply: Packet | null, duration: Micros): string {
  const q = request.query;
  switch (label) {
    case "{type}":
      return request.qtype;
    case "{name}":
      return request.name;
    case "{class}":
      return String(q.questions?.[0]?.class ?? "IN");
    case "{proto}":
      return request.transport;
    case "{size}":
      return String(wireSize(q));
    case "{remote}":
      return bracket(request.client.ip);
    case "{port}":
      return String(request.client.port);
    case "{local}":
      return request.server.address ? bracket(request.server.address.ip) : "-";
    case "{>id}":
      return String(q.id ?? 0);
    case "{>opcode}":
      return String(((q.flags ?? 0) >> 11) & 0xf);
    case "{>do}": {
      const opt = optOf(q);
      return String(opt !== undefined && ((opt.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0);
    }
    case "{>bufsize}":
      return String(request.transport === "tcp" ? 65535 : udpLimit(q));
    case "{rcode}": {
      const code = (reply?.flags ?? 0) & 0xf;
      return RCODE_TEXT[code] ?? String(code);
    }
    case "{rsize}":
      return String(reply ? wireSize(reply) : 0);
    case "{duration}":
      return `${formatSeconds(duration)}s`;
    case "{>rflags}":
      return reply ? rflags(reply) : "-";
    default:
      return "-";
  }
}

function bracket(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}

/** The log line for a query and its reply, without the `[INFO] ` prefix. */
export function formatLine(format: readonly Node[], request: DnsRequest, reply: Packet | null, duration: Micros): string {
  let out = "";
  for (const n of format) {
    if (n.kind === "literal") out += n.text;
    else if (n.kind === "metadata") out += "-";
    else out += value(n.label, request, reply, duration);
  }
  return out;
}

function parseRules(d: Directive): LogRule[] {
  const args = d.args;
  let format = COMMON_LOG_FORMAT;
  let names: string[];
  if (args.length === 0) names = ["."];
  else if (args.length === 1) names = [args[0]!];
  else {
    names = [...args];
    const last = args[args.length - 1]!;
    if (last.includes("{")) {
      format = last === "{common}" ? COMMON_LOG_FORMAT : last === "{combined}" ? COMBINED_LOG_FORMAT : last;
      names.pop();
    }
  }
  const classes = new Set<ResponseClass>();
  let minDuration: Micros = 0;
  for (const option of d.block ?? []) {
    switch (option.name) {
      case "class":
        if (option.args.length === 0) throw directiveError(option, "log: class needs at least one of success, denial, error, all");
        for (const c of option.args) {
          if (c !== "all" && c !== "success" && c !== "denial" && c !== "error") throw directiveError(option, `log: invalid class ${JSON.stringify(c)}: expected success, denial, error or all`);
          classes.add(c);
        }
        break;
      case "minDuration":
        if (option.args.length > 1) throw directiveError(option, "log: minDuration takes at most one duration");
        try {
          minDuration = parseDuration(option.args[0] ?? "100ms");
        } catch {
          throw directiveError(option, `log: Illegal duration found: '${option.args[0]}'`);
        }
        break;
      default:
        throw directiveError(option, `log: unknown property ${JSON.stringify(option.name)}: expected class or minDuration`);
    }
  }
  if (classes.size === 0) classes.add("all");
  const nodes = parseFormat(format);
  return names.map((n) => ({ scope: canonical(fqdn(n)), format: nodes, classes, minDuration }));
}

export const log: PluginFactory = {
  name: "log",
  setup(context) {
    const { all, first } = sameNamed(context);
    if (!first) return null;
    const rules = all.flatMap(parseRules);
    return {
      name: "log",
      serve(request, writer, next) {
        const rule = rules.find((r) => inZone(request.name, r.scope));
        if (!rule) return next(request, writer);
        const start = request.server.sim.now;
        next(request, {
          write(reply) {
            const duration = request.server.sim.now - start;
            // A plugin's returned error is written by the server, after log: log.go's recorder
            // saw nothing, so CoreDNS logs `NOERROR - 0` (and Typify(nil) is an error).
            const recorded = returnedErrorOf(reply) === undefined ? reply : null;
            const cls = recorded ? classify(recorded) : "error";
            const logged = rule.classes.has("all") || rule.classes.has(cls) || (rule.minDuration > 0 && duration > rule.minDuration);
            if (logged) request.server.log(`[INFO] ${formatLine(rule.format, request, recorded, duration)}`);
            writer.write(reply);
          },
        });
      },
    };
  },
};

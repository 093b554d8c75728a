/**
 * The `forward` directive, read as CoreDNS's plugin/forward setup.go reads it (dns.md §4.1).
 */
import { address, type Address } from "../../../sim/actor.js";
import { SECOND, parseDuration, type Micros } from "../../../sim/time.js";
import type { Directive } from "../../corefile.js";
import { canonical } from "../../message.js";
import { directiveError, type SetupContext } from "../../plugin.js";
import { isIpv4, isIpv6 } from "../../resolver/names.js";
import { parseResolvConf } from "../../resolver/resolvconf.js";

/** The most upstreams one `forward` may have. */
export const MAX_UPSTREAMS = 15;
/** The health check interval by default. */
export const HEALTH_CHECK_INTERVAL: Micros = SECOND / 2;
/** The read timeout of one attempt (pkg/proxy `readTimeout`). */
export const READ_TIMEOUT: Micros = 2 * SECOND;
/** The read timeout of a health check probe (`hcReadTimeout`). */
export const HEALTH_CHECK_TIMEOUT: Micros = SECOND;
/** The time a query may spend on upstreams (`defaultTimeout`); checked before each attempt. */
export const QUERY_DEADLINE: Micros = 5 * SECOND;

/** Response codes by the names miekg/dns's StringToRcode knows. */
export const RCODES: Readonly<Record<string, number>> = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8,
  NOTAUTH: 9, NOTZONE: 10, BADSIG: 16, BADVERS: 16, BADKEY: 17, BADTIME: 18, BADMODE: 19, BADNAME: 20,
  BADALG: 21, BADTRUNC: 22, BADCOOKIE: 23,
};

export type Policy = "random" | "round_robin" | "sequential";

/** One `forward` directive, parsed. */
export interface ForwardConfig {
  /** The base domain (canonical). */
  from: string;
  /** `except` names (canonical). */
  except: string[];
  upstreams: Address[];
  forceTcp: boolean;
  preferUdp: boolean;
  /** 0: upstreams are never down and never health-checked. */
  maxFails: number;
  /** 0: no cap. */
  maxConnectAttempts: number;
  policy: Policy;
  healthCheckInterval: Micros;
  healthCheckRecursionDesired: boolean;
  /** The name health checks ask NS of (canonical). */
  healthCheckDomain: string;
  /** 0: no limit. */
  maxConcurrent: number;
  /** Rcodes that hand the query to the next forward. */
  next: number[];
  nextOnNodata: boolean;
  failfastAllUnhealthyUpstreams: boolean;
  /** Rcodes that make the next upstream be tried. */
  failover: number[];
  /** Accepted and kept, without effect: connections are not modelled. */
  expire: Micros;
  maxIdleConns: number;
}

const NOT_SUPPORTED = new Set(["tls", "tls_servername", "doh_method", "resolver", "source_address"]);
const SCHEMES = /^([a-z0-9]+):\/\//i;

/** parse.HostPort: `IP`, `IP:PORT`, `[IPv6]`, `[IPv6]:PORT`; null when it is none of those. */
function hostPort(text: string): Address | null {
  let host = text;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (!isIpv6(text)) {
    const colon = text.lastIndexOf(":");
    if (colon >= 0) {
      host = text.slice(0, colon);
      const p = text.slice(colon + 1);
      if (!/^\d+$/.test(p)) return null;
      port = Number(p);
    }
  }
  if (!isIpv4(host) && !isIpv6(host)) return null;
  if (port < 1 || port > 65535) return null;
  return address(host, port);
}

function upstreams(context: SetupContext, to: readonly string[]): Address[] {
  const d = context.directive;
  const out: Address[] = [];
  for (const raw of to) {
    let text = raw;
    const scheme = SCHEMES.exec(text);
    if (scheme) {
      if (scheme[1]!.toLowerCase() !== "dns") throw directiveError(d, `forward: '${scheme[1]}' upstreams (${raw}) are not supported by mcsim: only plain DNS (dns:// or no scheme)`);
      text = text.slice(scheme[0].length);
    }
    const hp = hostPort(text);
    if (hp) {
      out.push(hp);
      continue;
    }
    if (text.startsWith("/") || text.startsWith(".")) {
      let servers: readonly string[];
      if (text === "/etc/resolv.conf") servers = context.resolvConfNameservers;
      else if (text in context.files) {
        try {
          servers = parseResolvConf(context.files[text]!, text).nameservers;
        } catch (e) {
          throw directiveError(d, `forward: ${(e as Error).message}`);
        }
      } else throw directiveError(d, `forward: not an IP address or file: ${JSON.stringify(raw)}`);
      for (const s of servers) {
        const a = hostPort(s);
        if (!a) throw directiveError(d, `forward: ${text} names ${JSON.stringify(s)}, not an IP address`);
        out.push(a);
      }
      continue;
    }
    if (/[a-z]/i.test(text) && !text.includes(":")) throw directiveError(d, `forward: hostname upstreams (${raw}) are not supported by mcsim: write the upstream's IP address`);
    throw directiveError(d, `forward: not an IP address or file: ${JSON.stringify(raw)}`);
  }
  if (out.length === 0) throw directiveError(d, "forward: no nameservers found");
  if (out.length > MAX_UPSTREAMS) throw directiveError(d, `forward: more than ${MAX_UPSTREAMS} TOs configured: ${out.length}`);
  return out;
}

/** `plugin.Host(FROM).NormalizeExact()`: the scheme and port dropped, the name made canonical. */
function fromZone(d: Directive, text: string): string {
  let t = text;
  const scheme = SCHEMES.exec(t);
  if (scheme) t = t.slice(scheme[0].length);
  const port = /:(\d+)$/.exec(t);
  if (port) t = t.slice(0, -port[0].length);
  if (t === "" || t.includes("/")) throw directiveError(d, `forward: unable to normalize '${text}'${t.includes("/") ? " (CIDR FROM is not supported by mcsim)" : ""}`);
  return canonical(t);
}

function uint(option: Directive, text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) > 0xffffffff) throw directiveError(option, `forward: ${what} must be a whole number from 0, got ${JSON.stringify(text ?? "")}`);
  return Number(text);
}

function duration(option: Directive, text: string | undefined): Micros {
  if (text === undefined) throw directiveError(option, `forward: ${option.name} needs a duration`);
  try {
    return parseDuration(text);
  } catch (e) {
    throw directiveError(option, `forward: ${option.name}: ${(e as Error).message}`);
  }
}

function rcodes(option: Directive): number[] {
  if (option.args.length === 0) throw directiveError(option, `forward: ${option.name} needs at least one RCODE`);
  return option.args.map((a) => {
    const code = RCODES[a.toUpperCase()];
    if (code === undefined) throw directiveError(option, `forward: ${a} is not a valid rcode`);
    return code;
  });
}

/** Reads a `forward FROM TO... { … }` directive. */
export function parseForward(context: SetupContext): ForwardConfig {
  const d = context.directive;
  if (d.args.length < 2) throw directiveError(d, `forward: expected "forward FROM TO...", got ${d.args.length} argument${d.args.length === 1 ? "" : "s"}`);
  const config: ForwardConfig = {
    from: fromZone(d, d.args[0]!),
    except: [],
    upstreams: upstreams(context, d.args.slice(1)),
    forceTcp: false,
    preferUdp: false,
    maxFails: 2,
    maxConnectAttempts: 0,
    policy: "random",
    healthCheckInterval: HEALTH_CHECK_INTERVAL,
    healthCheckRecursionDesired: true,
    healthCheckDomain: ".",
    maxConcurrent: 0,
    next: [],
    nextOnNodata: false,
    failfastAllUnhealthyUpstreams: false,
    failover: [],
    expire: 10 * SECOND,
    maxIdleConns: 0,
  };
  for (const option of d.block ?? []) {
    const a = option.args;
    const count = (n: number) => {
      if (a.length !== n) throw directiveError(option, `forward: ${option.name} takes ${n === 0 ? "no arguments" : `${n} argument${n === 1 ? "" : "s"}`}, got ${a.length}`);
    };
    switch (option.name) {
      case "except":
        if (a.length === 0) throw directiveError(option, "forward: except needs at least one name");
        config.except.push(...a.map((n) => fromZone(option, n)));
        break;
      case "force_tcp":
        count(0);
        config.forceTcp = true;
        break;
      case "prefer_udp":
        count(0);
        config.preferUdp = true;
        break;
      case "max_fails":
        count(1);
        config.maxFails = uint(option, a[0], "max_fails");
        break;
      case "max_connect_attempts":
        count(1);
        config.maxConnectAttempts = uint(option, a[0], "max_connect_attempts");
        break;
      case "expire":
        count(1);
        config.expire = duration(option, a[0]);
        break;
      case "max_idle_conns":
        count(1);
        config.maxIdleConns = uint(option, a[0], "max_idle_conns");
        break;
      case "policy":
        count(1);
        if (a[0] !== "random" && a[0] !== "round_robin" && a[0] !== "sequential") throw directiveError(option, `forward: unknown policy '${a[0]}': expected random, round_robin or sequential`);
        config.policy = a[0];
        break;
      case "health_check": {
        if (a.length === 0) throw directiveError(option, 'forward: expected "health_check DURATION [no_rec] [domain FQDN]"');
        config.healthCheckInterval = duration(option, a[0]);
        config.healthCheckDomain = ".";
        for (let i = 1; i < a.length; i++) {
          if (a[i] === "no_rec") config.healthCheckRecursionDesired = false;
          else if (a[i] === "domain") {
            const name = a[++i];
            if (name === undefined) throw directiveError(option, "forward: health_check: domain needs a name");
            if (!/^[a-z0-9_*.-]+$/i.test(name) || name.includes("..")) throw directiveError(option, `forward: health_check: invalid domain name ${name}`);
            config.healthCheckDomain = canonical(name);
          } else throw directiveError(option, `forward: health_check: unknown option ${a[i]}`);
        }
        break;
      }
      case "max_concurrent": {
        count(1);
        if (!/^[+-]?\d+$/.test(a[0]!)) throw directiveError(option, `forward: max_concurrent must be a whole number, got ${JSON.stringify(a[0])}`);
        const n = Number(a[0]);
        if (n < 0) throw directiveError(option, `forward: max_concurrent can't be negative: ${n}`);
        config.maxConcurrent = n;
        break;
      }
      case "next":
        config.next = rcodes(option);
        break;
      case "next_on_nodata":
        count(0);
        config.nextOnNodata = true;
        break;
      case "failover": {
        const codes = rcodes(option);
        if (codes.includes(0)) throw directiveError(option, "forward: NoError cannot be used in failover");
        config.failover = codes;
        break;
      }
      case "failfast_all_unhealthy_upstreams":
        count(0);
        config.failfastAllUnhealthyUpstreams = true;
        break;
      default:
        if (NOT_SUPPORTED.has(option.name)) throw directiveError(option, `forward: the option ${option.name} is not supported by mcsim (upstreams are plain DNS over UDP/TCP)`);
        throw directiveError(option, `forward: unknown property '${option.name}'`);
    }
  }
  return config;
}

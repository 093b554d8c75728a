import type { Address } from "../sim/actor.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { Micros } from "../sim/time.js";
import type { ApiServer } from "../k8s/apiserver.js";
import { CorefileError, type Directive } from "./corefile.js";
import { canonical, type Packet, type RecordType } from "./message.js";

/**
 * The plugin interface of the CoreDNS model, shaped like CoreDNS's own (plugin.Handler with
 * ServeDNS and a ResponseWriter): a plugin answers by writing a reply, or hands the request to the
 * next plugin of the chain. A plugin may wrap the writer to see or change the reply on its way
 * back (cache stores it, loadbalance shuffles it, rewrite reverts names), and may answer later
 * (forward waits for its upstream), since the chain is continuation-passing, not blocking.
 */

/** One query as a plugin sees it. */
export interface DnsRequest {
  /** The query as it stands (a rewrite may have changed its question). */
  readonly query: Packet;
  /** The question's name as asked, case kept, dns-packet form (no trailing dot). */
  readonly qname: string;
  /** The question's name in lower case with a trailing dot, for matching. */
  readonly name: string;
  readonly qtype: RecordType;
  /** Who asked. */
  readonly client: Address;
  readonly transport: "udp" | "tcp";
  /** The zone of the server block that took the query (canonical). */
  readonly zone: string;
  /** The server instance the query runs in. */
  readonly server: DnsServer;
}

/** Where a plugin writes its reply. */
export interface ResponseWriter {
  write(reply: Packet): void;
}

/** The rest of the chain after a plugin. */
export type NextHandler = (request: DnsRequest, writer: ResponseWriter) => void;

/** A plugin instance in one server block's chain. */
export interface Plugin {
  readonly name: string;
  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void;
  /** For the `ready` plugin: false until the plugin can answer (kubernetes before it has synced). */
  ready?(): boolean;
}

/** What a server instance offers its plugins. */
export interface DnsServer {
  readonly sim: Sim;
  /** `cluster/namespace/pod`, for logs. */
  readonly label: string;
  /** Where the server listens. */
  readonly address: Address | null;
  /** The server's own random stream; plugins take named streams below it. */
  readonly rng: Rng;
  /**
   * Sends a query to an upstream over the simulated network and calls back once: with the reply,
   * or with null after `timeout` (the reply, if it comes later, is ignored).
   */
  exchange(upstream: Address, query: Packet, transport: "udp" | "tcp", timeout: Micros, callback: (reply: Packet | null) => void): void;
  /** Runs a query through this server from the top, as CoreDNS's Upstream.Lookup does (ExternalName targets). */
  lookup(name: string, type: RecordType, callback: (reply: Packet) => void): void;
  /** Writes a line to the server's log (`kubectl logs` of the pod), at the current instant. */
  log(line: string): void;
}

/** What a plugin's setup is given. */
export interface SetupContext {
  /** The plugin's directive in the Corefile, with its arguments and block. */
  readonly directive: Directive;
  /** The zones of the server block, canonical. */
  readonly zones: readonly string[];
  readonly server: DnsServer;
  /** The cluster's API server, for the kubernetes plugin (in-cluster credentials). */
  readonly api?: ApiServer;
  /** The nameservers of `/etc/resolv.conf` in the server's pod: where `forward . /etc/resolv.conf` goes. */
  readonly resolvConfNameservers: readonly string[];
  /** Files the server can read (`hosts FILE`), by path. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * Every directive of the server block, in Corefile order (imports expanded), `directive` among
   * them. CoreDNS builds one handler per plugin per server block from all of that plugin's
   * directives (several `rewrite` lines are one rule list, a second `hosts` is an error), and
   * autopath reads the kubernetes plugin's zones and `pods` mode; plugins see the same through
   * this. When absent, each directive stands alone.
   */
  readonly serverDirectives?: readonly Directive[];
}

/** Makes a plugin from its directive. Returns null for plugins outside the query path (health, ready, reload, prometheus). */
export interface PluginFactory {
  readonly name: string;
  setup(context: SetupContext): Plugin | null;
}

/** A Corefile error at a directive (or one of its block's lines). */
export function directiveError(at: Directive, message: string): CorefileError {
  return new CorefileError(message, at.file, at.line, at.column);
}

/**
 * The zones a plugin serves: its directive's arguments, canonical, or the server block's zones
 * when it gives none. Each must lie within one of the block's zones, or the block would never
 * hand it a query: an error at the directive, as CoreDNS's setup gives.
 */
export function pluginZones(context: SetupContext): string[] {
  const d = context.directive;
  const zones = d.args.length > 0 ? d.args.map(canonical) : [...context.zones];
  for (const z of zones) {
    if (!context.zones.some((block) => inZone(z, block))) {
      throw directiveError(d, `${d.name}: zone ${z} is not in the server block's zones (${context.zones.join(" ")})`);
    }
  }
  return zones;
}

/** A request for a new question, keeping everything else (what rewrite and autopath do). */
export function withQuestion(request: DnsRequest, qname: string, qtype: RecordType = request.qtype): DnsRequest {
  const questions = [{ name: qname, type: qtype, class: "IN" as const }];
  return { ...request, query: { ...request.query, questions }, qname, name: canonical(qname), qtype };
}

/** True when `name` (canonical) is `zone` or below it. */
export function inZone(name: string, zone: string): boolean {
  if (zone === "." || name === zone) return true;
  // `name` ends with `.zone`, without building that string.
  return name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46;
}

/** The most specific of `zones` that `name` lies in, or undefined. */
export function matchZone(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (inZone(name, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

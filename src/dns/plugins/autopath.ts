/**
 * autopath — walks the client's search path on the server, so that one query does the work of
 * several (dns.md §4.6).
 *
 * Syntax (CoreDNS plugin/autopath README, setup.go):
 *
 *     autopath [ZONE...] RESOLV-CONF
 *
 * - ZONE: the zones autopath acts in; default the server block's zones.
 * - RESOLV-CONF: a resolv.conf-style file from the server's files (its `search` line is the
 *   search path), or `@kubernetes`: the search path of the pod that asked.
 *
 * How `@kubernetes` works here, as CoreDNS's kubernetes plugin does it (plugin/kubernetes
 * autopath.go):
 * - It needs the kubernetes plugin in the same server block (read from
 *   SetupContext.serverDirectives) and that plugin's `pods verified`. With another `pods` mode
 *   CoreDNS silently never autopaths, and neither does mcsim. A block without a kubernetes plugin
 *   is a CorefileError here (CoreDNS would start and silently never autopath); `@NAME` for any
 *   other plugin is CoreDNS's error, "NAME does not implement the AutoPather interface".
 * - The query must be in one of the kubernetes plugin's zones (ZONE). The client is found by its
 *   IP address among the Pods the plugin has seen: like CoreDNS's pod cache, autopath watches Pods
 *   on the cluster's API server, so it learns of a new pod, or of an IP handed to a pod in another
 *   namespace, only after the watch delay (the README's "Bugs" section). A client that is not a
 *   known pod gets no autopath.
 * - The search path is `<namespace>.svc.<ZONE> svc.<ZONE> <ZONE>`, then the `search` domains of
 *   the server's own /etc/resolv.conf (from its files, when given), then the bare name.
 *
 * The walk (autopath.go): a query whose name is the first search domain or below it is split into
 * the name the client typed and that domain; the name is then asked with each search domain in
 * turn through the rest of the chain (next), and the first reply that is not NXDOMAIN goes back
 * to the client, with a CNAME from the asked name to the first answer's owner put in front
 * (cname.go, TTL that record's) and the client's question. When every reply is NXDOMAIN, the
 * reply to the first query goes back as it was, and the client walks its search path itself. A
 * query for the first search domain itself is a SERVFAIL (CoreDNS's TrimZone "overshot qname").
 * A plugin further on that fails with an error (forward giving up: returnedError) ends the walk
 * with that error; one that returns an error rcode with no error (hosts' SERVFAIL) only moves the
 * walk on to the next search domain, as autopath.go's `ClientWrite` check does.
 */
import type { ApiServer, WatchEvent } from "../../k8s/apiserver.js";
import { canonical, fqdn, rcodeOf, wireName, type Answer, type Packet, type Rcode } from "../message.js";
import { directiveError, inZone, matchZone, withQuestion, type DnsRequest, type NextHandler, type Plugin, type PluginFactory, type ResponseWriter, type SetupContext } from "../plugin.js";
import { parseResolvConf } from "../resolver/resolvconf.js";
import { onlyOnce, zonesOf } from "./directives.js";
import { returnedError, returnedErrorOf } from "./returned-error.js";

/** A search path for a request; the last element is "" (the bare name). Null: no autopath. */
type SearchFunc = (request: DnsRequest) => readonly string[] | null;

/** The `search` domains of a resolv.conf text, canonical. */
function searchOf(text: string): string[] {
  return parseResolvConf(text).searches.map(canonical);
}

/** Which namespace each pod IP belongs to, as a pod informer sees it. */
class PodIps {
  private readonly byIp = new Map<string, Map<string, string>>();
  private readonly ipsOf = new Map<string, string[]>();

  constructor(api: ApiServer, watcher: string) {
    api.watch("Pod", watcher, (e: WatchEvent<"Pod">) => {
      const pod = e.object;
      const ns = pod.metadata.namespace ?? "default";
      const id = `${ns}/${pod.metadata.name}`;
      for (const ip of this.ipsOf.get(id) ?? []) this.byIp.get(ip)?.delete(id);
      const ips = e.type === "DELETED" ? [] : [...new Set([pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].filter((ip): ip is string => !!ip))];
      this.ipsOf.set(id, ips);
      for (const ip of ips) {
        let pods = this.byIp.get(ip);
        if (!pods) {
          pods = new Map();
          this.byIp.set(ip, pods);
        }
        pods.set(id, ns);
      }
    });
  }

  /** The namespace of the (first) pod with this IP. */
  namespaceOf(ip: string): string | undefined {
    const pods = this.byIp.get(ip);
    if (!pods) return undefined;
    for (const ns of pods.values()) return ns;
    return undefined;
  }
}

/** The `@kubernetes` search function (plugin/kubernetes autopath.go AutoPath). */
function kubernetesSearch(context: SetupContext): SearchFunc {
  const d = context.directive;
  const k8s = (context.serverDirectives ?? []).find((x) => x.name === "kubernetes");
  if (!context.serverDirectives) {
    throw directiveError(d, "autopath: @kubernetes needs the server block's other directives, which this server does not provide (SetupContext.serverDirectives)");
  }
  if (!k8s) throw directiveError(d, "autopath: @kubernetes, but this server block has no kubernetes plugin");
  const zones = k8s.args.length > 0 ? k8s.args.map(canonical) : [...context.zones];
  const podsMode = [...(k8s.block ?? [])].reverse().find((o) => o.name === "pods")?.args[0] ?? "disabled";
  if (podsMode !== "verified") return () => null;
  if (!context.api) throw directiveError(d, "autopath: this server runs outside a cluster, so it has no API server to watch pods on");
  const pods = new PodIps(context.api, `coredns/${context.server.label}/autopath`);
  const resolvConf = context.files["/etc/resolv.conf"];
  const extra = resolvConf === undefined ? [] : searchOf(resolvConf);
  return (request) => {
    const zone = matchZone(request.name, zones);
    if (!zone) return null;
    const ns = pods.namespaceOf(request.client.ip);
    if (ns === undefined) return null;
    const path = zone === "." ? [`${ns}.svc.`, "svc.", "."] : [`${ns}.svc.${zone}`, `svc.${zone}`, zone];
    return [...path, ...extra, ""];
  };
}

export const autopath: PluginFactory = {
  name: "autopath",
  setup(context) {
    if (!onlyOnce(context)) return null;
    const d = context.directive;
    if (d.args.length < 1) throw directiveError(d, "autopath: no resolv-conf specified");
    if (d.block && d.block.length > 0) throw directiveError(d.block[0]!, `autopath: unknown property '${d.block[0]!.name}'`);
    const resolv = d.args[d.args.length - 1]!;
    const zones = d.args.length > 1 ? zonesOf(d, d.args.slice(0, -1)) : [...context.zones];
    let search: SearchFunc;
    if (resolv.startsWith("@")) {
      const name = resolv.slice(1);
      if (name !== "kubernetes") throw directiveError(d, `autopath: ${name} does not implement the AutoPather interface`);
      search = kubernetesSearch(context);
    } else {
      const text = context.files[resolv];
      if (text === undefined) throw directiveError(d, `autopath: failed to parse ${JSON.stringify(resolv)}: open ${resolv}: no such file or directory`);
      const path = [...searchOf(text), ""];
      search = () => path;
    }
    return new AutoPathPlugin(zones, search);
  },
};

/** The first element of the search path is the name, or a parent of it (autopath.go firstInSearchPath). */
function firstInSearchPath(name: string, path: readonly string[]): boolean {
  return name === path[0] || inZone(name, path[0]!);
}

/** cname.go cnamer: a CNAME from the asked name to the first answer with another owner, and the client's question. */
function cnamer(reply: Packet, original: string): Packet {
  const answers = [...(reply.answers ?? [])];
  const other = answers.find((a) => a.name.toLowerCase() !== original.toLowerCase());
  if (other) answers.unshift({ type: "CNAME", name: original, ttl: (other as { ttl?: number }).ttl ?? 0, class: "IN", data: other.name } as Answer);
  const questions = [...(reply.questions ?? [])];
  if (questions[0]) questions[0] = { ...questions[0], name: original };
  return { ...reply, answers, questions };
}

class AutoPathPlugin implements Plugin {
  readonly name = "autopath";

  constructor(
    private readonly zones: readonly string[],
    private readonly search: SearchFunc,
  ) {}

  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void {
    if (!matchZone(request.name, this.zones)) return next(request, writer);
    const path = this.search(request);
    if (!path || path.length === 0 || !firstInSearchPath(request.name, path)) return next(request, writer);
    const original = request.qname;
    const asked = fqdn(original);
    if (request.name === path[0]) {
      // dnsutil.TrimZone overshoots: autopath returns SERVFAIL with the error, the server writes it.
      const error = `trimzone: overshot qname: ${asked}for zone ${path[0]}`;
      request.server.log(`[ERROR] plugin/errors: 2 ${request.name} ${request.qtype}: ${error}`);
      return writer.write(returnedError(request.query, "SERVFAIL", error));
    }
    // The name the client typed, case kept: the question minus the first search domain.
    const base = asked.slice(0, asked.length - path[0]!.length - 1);
    // What the first query gave: a written reply, or an error rcode returned without one.
    let first: Packet | null = null;
    let firstRcode: Rcode = "SERVFAIL";
    const step = (i: number): void => {
      if (i >= path.length) {
        writer.write(first ?? returnedError(request.query, firstRcode, ""));
        return;
      }
      const qname = path[i] === "" ? `${base}.` : `${base}.${path[i]}`;
      let answered = false;
      next(withQuestion(request, wireName(qname)), {
        write(reply) {
          if (answered) return;
          answered = true;
          const error = returnedErrorOf(reply);
          if (error !== undefined) {
            // autopath.go: a plugin's error ends the walk with it; an error rcode without an
            // error (nothing written) moves on to the next search domain.
            if (error !== "") return writer.write(returnedError(request.query, rcodeOf(reply) as Rcode, error));
            if (i === 0) firstRcode = rcodeOf(reply) as Rcode;
            return step(i + 1);
          }
          if (i === 0) first = reply;
          if (rcodeOf(reply) === "NXDOMAIN") return step(i + 1);
          writer.write(cnamer(reply, original));
        },
      });
    };
    step(0);
  }
}

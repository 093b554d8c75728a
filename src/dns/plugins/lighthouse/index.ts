/**
 * lighthouse — Submariner Lighthouse's DNS plugin: answers `clusterset.local` from the cluster's
 * ServiceImports and imported EndpointSlices as Lighthouse's DNS server (`lighthouse-coredns`)
 * does, one A record per ClusterIP service, the local cluster first, then round robin.
 *
 * Syntax (mcs.md §5.3):
 *
 *     lighthouse [ZONES...] {
 *         fallthrough [ZONES...]
 *         ttl SECONDS            # 0 to 3600, default 5
 *     }
 *
 * Behaviour follows mcs.md §5.3 (`coredns/plugin/handler.go`): outside its zones NOTZONE, for
 * types other than A, AAAA and SRV NOTIMP, for a `pod` name or an unknown service NXDOMAIN (each
 * of these the next plugin's instead, with `fallthrough`), AAAA an empty NOERROR (IPv4 only), and
 * a known service with nothing usable an empty NOERROR (NODATA, no SOA). Records come from
 * {@link LighthouseResolver}. Like Lighthouse's setup, which waits for its informers, the plugin
 * answers nothing until its watches have synced.
 */
import { makeReply, type Answer, type Rcode } from "../../message.js";
import { directiveError, matchZone, pluginZones, type DnsRequest, type NextHandler, type Plugin, type PluginFactory, type ResponseWriter, type SetupContext } from "../../plugin.js";
import { sameNamed, ttlOption, zonesOf } from "../directives.js";
import { LighthouseIndex } from "./index-cache.js";
import { aRecords, parseQuery, srvRecords } from "./records.js";
import { LighthouseResolver } from "./resolver.js";

/** mcs.md §2, §5.3: Lighthouse's default TTL. */
const DEFAULT_TTL = 5;

interface Options {
  readonly zones: readonly string[];
  readonly ttl: number;
  /** Zones whose failures go to the next plugin, or null. */
  readonly fallthrough: readonly string[] | null;
}

function parseOptions(context: SetupContext): Options {
  const zones = pluginZones(context);
  let ttl = DEFAULT_TTL;
  let fallthrough: string[] | null = null;
  for (const option of context.directive.block ?? []) {
    switch (option.name) {
      case "fallthrough":
        fallthrough = option.args.length > 0 ? zonesOf(option, option.args) : ["."];
        break;
      case "ttl":
        ttl = ttlOption("lighthouse", option);
        break;
      default:
        throw directiveError(option, `lighthouse: unknown property '${option.name}'`);
    }
  }
  return { zones, ttl, fallthrough };
}

/** The lighthouse plugin (mcs.md §5.3). */
export const lighthouse: PluginFactory = {
  name: "lighthouse",
  setup(context) {
    // Lighthouse's setup reads the first `lighthouse` of a server block; later ones are left unread.
    if (!sameNamed(context).first) return null;
    const options = parseOptions(context);
    if (!context.api) throw directiveError(context.directive, "lighthouse: this server runs outside a cluster, so it has no API server to watch");
    const index = new LighthouseIndex(context.server.sim, context.api, `coredns/${context.server.label}/lighthouse`);
    return new LighthousePlugin(options, index);
  },
};

const SUPPORTED: ReadonlySet<string> = new Set(["A", "AAAA", "SRV"]);

class LighthousePlugin implements Plugin {
  readonly name = "lighthouse";
  private readonly resolver: LighthouseResolver;

  constructor(
    private readonly options: Options,
    private readonly index: LighthouseIndex,
  ) {
    this.resolver = new LighthouseResolver(index);
  }

  ready(): boolean {
    return this.index.synced;
  }

  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void {
    // Lighthouse's setup waits for its informers, so the server does not answer before they sync.
    if (!this.index.synced) return;
    const zone = matchZone(request.name, this.options.zones);
    if (!zone) return this.nextOrFailure(request, writer, next, "NOTZONE");
    if (!SUPPORTED.has(request.qtype)) return this.nextOrFailure(request, writer, next, "NOTIMP");
    // The labels before the zone; all of the name's for the root zone.
    const base = zone === "." ? request.name.slice(0, -1) : request.name.slice(0, Math.max(0, request.name.length - zone.length - 1));
    const query = parseQuery(base, request.qtype);
    if (!query) return this.nextOrFailure(request, writer, next, "NXDOMAIN");
    // IPv4 only in the snapshot mcs.md follows: AAAA is answered, with nothing.
    if (request.qtype === "AAAA") return this.reply(request, writer, []);
    const found = this.resolver.records(query);
    if (!found) return this.nextOrFailure(request, writer, next, "NXDOMAIN");
    const ttl = this.options.ttl;
    // The zone as the query spells it: SRV targets are written in it.
    const zoneAsAsked = request.qname.slice(request.qname.length - (zone.length - 1));
    const answers = request.qtype === "A" ? aRecords(found.records, request.qname, ttl) : srvRecords(found.records, query, found.headless, request.qname, zoneAsAsked, ttl);
    this.reply(request, writer, answers);
  }

  /** `writeResponse`: NOERROR, authoritative, with the answers and nothing else (no SOA even when empty). */
  private reply(request: DnsRequest, writer: ResponseWriter, answers: readonly Answer[]): void {
    writer.write(makeReply(request.query, { authoritative: true, answers }));
  }

  /** `nextOrFailure`: the next plugin when `fallthrough` covers the name, else an authoritative reply with only the rcode. */
  private nextOrFailure(request: DnsRequest, writer: ResponseWriter, next: NextHandler, rcode: Rcode): void {
    const fallthrough = this.options.fallthrough;
    if (fallthrough && matchZone(request.name, fallthrough)) return next(request, writer);
    writer.write(makeReply(request.query, { rcode, authoritative: true }));
  }
}

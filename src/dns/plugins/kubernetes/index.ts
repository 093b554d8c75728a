/**
 * kubernetes — serves the Kubernetes DNS schema from the cluster's Services and EndpointSlices.
 *
 * Syntax (the options mcsim honours; CoreDNS's plugin/kubernetes README):
 *
 *     kubernetes [ZONES...] {
 *         pods disabled|insecure|verified
 *         endpoint_pod_names
 *         ttl TTL
 *         fallthrough [ZONES...]
 *         namespaces NAMESPACE...
 *         noendpoints
 *         ignore empty_service
 *         startup_timeout DURATION
 *         multicluster ZONES...
 *     }
 *
 * Behaviour follows shared/reference/dns.md §2: query parsing (§2.2), how answers are built
 * (§2.3), the rcode and sections of every outcome (§2.4) and TTLs (§2.5). The data comes from
 * watches on the API server, so the plugin sees changes after the watch delay, and answers
 * SERVFAIL until its first sync, as CoreDNS does before its informers have synced.
 *
 * `multicluster ZONES...` (CoreDNS ≥ 1.12.2, mcs.md §4.1) makes the plugin answer those of its
 * zones from ServiceImports and imported EndpointSlices, with the multicluster plugin's code
 * (mcs.md §4.2); its other zones (`cluster.local`) stay local-only (mcs.md §2).
 */
import { directiveError, pluginZones, matchZone, type DnsRequest, type NextHandler, type Plugin, type PluginFactory, type ResponseWriter, type SetupContext } from "../../plugin.js";
import { canonical, nameEpoch, nameNumber, type Answer } from "../../message.js";
import { KubernetesIndex } from "./index-cache.js";
import { answerQuery, type KubernetesConfig, type Outcome } from "./records.js";
import { respond, soaOwner, soaRecord, type Responder } from "./respond.js";
import { MulticlusterIndex } from "../multicluster/index-cache.js";
import { answerMulticluster, type MulticlusterConfig } from "../multicluster/records.js";
import { parseDuration } from "../../../sim/time.js";
import { ttlOption } from "../directives.js";

const REVERSE = /(^|\.)(in-addr|ip6)\.arpa\.$/;

function parseConfig(context: SetupContext): KubernetesConfig {
  const d = context.directive;
  const zones = pluginZones(context);
  const primary = zones.find((z) => !REVERSE.test(z));
  if (!primary) throw directiveError(d, "kubernetes: non-reverse zone name must be used");
  const config: KubernetesConfig = {
    zones,
    primaryZone: primary,
    pods: "disabled",
    endpointPodNames: false,
    ttl: 5,
    fallthrough: null,
    namespaces: null,
    noEndpoints: false,
    ignoreEmptyService: false,
    startupTimeout: 5_000_000,
    multiclusterZones: [],
  };
  for (const option of d.block ?? []) {
    const args = option.args;
    const need = (n: number) => {
      if (args.length !== n) throw directiveError(option, `kubernetes: ${option.name} takes ${n} argument${n === 1 ? "" : "s"}, got ${args.length}`);
    };
    switch (option.name) {
      case "pods":
        need(1);
        if (args[0] !== "disabled" && args[0] !== "insecure" && args[0] !== "verified") {
          throw directiveError(option, `kubernetes: pods must be disabled, insecure or verified, got ${JSON.stringify(args[0])}`);
        }
        config.pods = args[0];
        break;
      case "endpoint_pod_names":
        need(0);
        config.endpointPodNames = true;
        break;
      case "ttl":
        config.ttl = ttlOption("kubernetes", option);
        break;
      case "fallthrough":
        config.fallthrough = args.length > 0 ? args.map(canonical) : ["."];
        break;
      case "namespaces":
        if (args.length === 0) throw directiveError(option, "kubernetes: namespaces needs at least one namespace");
        config.namespaces = new Set(args.map((a) => a.toLowerCase()));
        break;
      case "noendpoints":
        need(0);
        config.noEndpoints = true;
        break;
      case "ignore":
        need(1);
        if (args[0] !== "empty_service") throw directiveError(option, `kubernetes: ignore takes empty_service, got ${JSON.stringify(args[0])}`);
        config.ignoreEmptyService = true;
        break;
      case "startup_timeout":
        need(1);
        try {
          config.startupTimeout = parseDuration(args[0]!);
        } catch (e) {
          throw directiveError(option, `kubernetes: startup_timeout: ${(e as Error).message}`);
        }
        break;
      case "endpoint":
      case "tls":
      case "kubeconfig":
      case "apiserver_qps":
      case "apiserver_burst":
      case "apiserver_max_inflight":
      case "namespace_labels":
      case "labels":
      case "multicluster": {
        if (args.length === 0) throw directiveError(option, "kubernetes: multicluster needs at least one zone");
        const mcZones = args.map(canonical);
        for (const z of mcZones) {
          // plugin/kubernetes README: the plugin must be authoritative for the multicluster zones.
          if (!zones.includes(z)) throw directiveError(option, `kubernetes: multicluster zone ${z} is not one of the plugin's zones (${zones.join(" ")})`);
        }
        config.multiclusterZones = mcZones;
        break;
      }
      case "zonal":
        throw directiveError(option, `kubernetes: the option ${option.name} is not supported by mcsim yet`);
      default:
        throw directiveError(option, `kubernetes: unknown option ${JSON.stringify(option.name)}`);
    }
  }
  return config;
}

/** The kubernetes plugin. */
export const kubernetes: PluginFactory = {
  name: "kubernetes",
  setup(context) {
    const config = parseConfig(context);
    if (!context.api) throw directiveError(context.directive, "kubernetes: this server runs outside a cluster, so it has no API server to watch");
    const index = new KubernetesIndex(context.server.sim, context.api, `coredns/${context.server.label}`, config.noEndpoints);
    const mc =
      config.multiclusterZones.length > 0
        ? { config: { zones: config.multiclusterZones, ttl: config.ttl, noEndpoints: config.noEndpoints }, index: new MulticlusterIndex(context.server.sim, context.api, `coredns/${context.server.label}/multicluster`, config.noEndpoints) }
        : null;
    return new KubernetesPlugin(config, index, mc);
  },
};

class KubernetesPlugin implements Plugin, Responder {
  readonly name = "kubernetes";
  private readonly startedAt: number;
  /**
   * What {@link answerQuery} found, by qtype then by the name's number as asked (nameNumber), for
   * the index generation `rememberedAt` and the name numbering `numberedAt`. A query's outcome
   * depends on nothing else (the config and the server are this plugin's own), and clusters are
   * asked the same names over and over while nothing changes.
   */
  private readonly remembered = new Map<string, (Outcome | undefined)[]>();
  private rememberedAt = -1;
  private numberedAt = -1;
  private lastSoa: Answer | undefined;
  private lastSoaAt = -1;
  private lastSoaZone = "";

  constructor(
    private readonly config: KubernetesConfig,
    private readonly index: KubernetesIndex,
    /** The `multicluster` option's zones and watches, or null without it. */
    private readonly mc: { readonly config: MulticlusterConfig; readonly index: MulticlusterIndex } | null,
  ) {
    this.startedAt = index.sim.now;
  }

  ready(): boolean {
    return this.synced;
  }

  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void {
    const zone = matchZone(request.name, this.config.zones);
    if (!zone) return next(request, writer);
    // CoreDNS does not listen until its informers have synced or startup_timeout has passed:
    // a query before then gets no answer at all, and the client times out.
    if (!this.synced && this.index.sim.now < this.startedAt + this.config.startupTimeout) return;
    respond(request, writer, next, zone, this);
  }

  /** CoreDNS's in-tree option adds the ServiceImport informers to the plugin's controller: it has synced when all have. */
  get synced(): boolean {
    return this.index.synced && (this.mc?.index.synced ?? true);
  }

  /** Changes seen by either index: both counts only grow, so their sum changes whenever one does. */
  private get generation(): number {
    return this.index.generation + (this.mc?.index.generation ?? 0);
  }

  /** The last change either index saw: one controller's Modified() in CoreDNS, the SOA serial of every zone. */
  private get modifiedAt(): number {
    return Math.max(this.index.modifiedAt, this.mc?.index.modifiedAt ?? 0);
  }

  get fallthrough(): readonly string[] | null {
    return this.config.fallthrough;
  }

  /**
   * The SOA of a reply: the last one made, while the index and the owner (the zone as the query
   * spells it) are the same, since negative answers in one zone all carry the same record.
   */
  soa(request: DnsRequest, zone: string): Answer {
    const owner = soaOwner(request, zone);
    const last = this.lastSoa;
    if (last && this.lastSoaAt === this.generation && last.name === owner && this.lastSoaZone === zone) return last;
    this.lastSoa = soaRecord(request, zone, this.config.ttl, this.modifiedAt);
    this.lastSoaAt = this.generation;
    this.lastSoaZone = zone;
    return this.lastSoa;
  }

  /**
   * The outcome of a query, remembered until the index next changes. Replies share the remembered
   * records, as they share a cache's: messages are never changed once sent.
   */
  outcome(request: DnsRequest, zone: string): Outcome {
    // Numbered first: numbering a new name may start the numbering afresh.
    const n = nameNumber(request.qname);
    const generation = this.generation;
    if (this.rememberedAt !== generation || this.numberedAt !== nameEpoch()) {
      this.remembered.clear();
      this.rememberedAt = generation;
      this.numberedAt = nameEpoch();
    }
    let byName = this.remembered.get(request.qtype);
    if (!byName) {
      byName = [];
      this.remembered.set(request.qtype, byName);
    }
    let outcome = byName[n];
    if (outcome === undefined) {
      const mc = this.mc;
      outcome = mc && mc.config.zones.includes(zone) ? answerMulticluster(request, zone, mc.config, mc.index) : answerQuery(request, zone, this.config, this.index);
      // Filled up to the number, so that the array stays dense: a sparse one is a map again. It
      // holds at most as many as names are numbered at once.
      while (byName.length < n) byName.push(undefined);
      byName[n] = outcome;
    }
    return outcome;
  }
}

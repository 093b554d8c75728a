/**
 * multicluster — serves the MCS DNS schema (`clusterset.local`) from the cluster's ServiceImports
 * and imported EndpointSlices, as the CoreDNS external plugin github.com/coredns/multicluster.
 *
 * Syntax (mcs.md §4.1):
 *
 *     multicluster [ZONES...] {
 *         noendpoints
 *         fallthrough [ZONES...]
 *     }
 *
 * `kubeconfig` is refused: mcsim's CoreDNS always reads its own cluster's API server. Behaviour
 * follows mcs.md §2 (the spec's records) and §4.2 (what the plugin's code does where they differ):
 * the answers are built by {@link answerMulticluster}, which the kubernetes plugin's own
 * `multicluster` option shares, and written as the kubernetes plugin writes its replies.
 */
import { directiveError, pluginZones, matchZone, type DnsRequest, type NextHandler, type Plugin, type PluginFactory, type ResponseWriter, type SetupContext } from "../../plugin.js";
import { canonical, type Answer } from "../../message.js";
import type { Outcome } from "../kubernetes/records.js";
import { respond, soaRecord, type Responder } from "../kubernetes/respond.js";
import { MulticlusterIndex } from "./index-cache.js";
import { answerMulticluster, type MulticlusterConfig } from "./records.js";

/** mcs.md §4.2: TTL 5, fixed (the plugin has no ttl option). */
const TTL = 5;
/** mcs.md §4.2: CoreDNS waits up to 5 s for the informers before it serves. */
const STARTUP_WAIT = 5_000_000;

interface Options extends MulticlusterConfig {
  readonly fallthrough: readonly string[] | null;
}

function parseOptions(context: SetupContext): Options {
  const d = context.directive;
  const zones = pluginZones(context);
  let noEndpoints = false;
  let fallthrough: string[] | null = null;
  for (const option of d.block ?? []) {
    switch (option.name) {
      case "noendpoints":
        if (option.args.length !== 0) throw directiveError(option, `multicluster: noendpoints takes no arguments, got ${option.args.length}`);
        noEndpoints = true;
        break;
      case "fallthrough":
        fallthrough = option.args.length > 0 ? option.args.map(canonical) : ["."];
        break;
      case "kubeconfig":
        throw directiveError(option, "multicluster: the option kubeconfig is not supported by mcsim: the plugin always watches its own cluster's API server");
      default:
        throw directiveError(option, `multicluster: unknown option ${JSON.stringify(option.name)}`);
    }
  }
  return { zones, ttl: TTL, noEndpoints, fallthrough };
}

/** The multicluster plugin (mcs.md §4). */
export const multicluster: PluginFactory = {
  name: "multicluster",
  setup(context) {
    const options = parseOptions(context);
    if (!context.api) throw directiveError(context.directive, "multicluster: this server runs outside a cluster, so it has no API server to watch");
    const index = new MulticlusterIndex(context.server.sim, context.api, `coredns/${context.server.label}/multicluster`, options.noEndpoints);
    return new MulticlusterPlugin(options, index);
  },
};

class MulticlusterPlugin implements Plugin, Responder {
  readonly name = "multicluster";
  private readonly startedAt: number;

  constructor(
    private readonly options: Options,
    private readonly index: MulticlusterIndex,
  ) {
    this.startedAt = index.sim.now;
  }

  get synced(): boolean {
    return this.index.synced;
  }

  get fallthrough(): readonly string[] | null {
    return this.options.fallthrough;
  }

  ready(): boolean {
    return this.index.synced;
  }

  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void {
    const zone = matchZone(request.name, this.options.zones);
    if (!zone) return next(request, writer);
    // As the kubernetes plugin: no answer at all until synced or the startup wait has passed;
    // after that, unsynced, a name error is SERVFAIL (mcs.md §4.2 "Startup").
    if (!this.index.synced && this.index.sim.now < this.startedAt + STARTUP_WAIT) return;
    respond(request, writer, next, zone, this);
  }

  soa(request: DnsRequest, zone: string): Answer {
    return soaRecord(request, zone, this.options.ttl, this.index.modifiedAt);
  }

  outcome(request: DnsRequest, zone: string): Outcome {
    return answerMulticluster(request, zone, this.options, this.index);
  }
}

/**
 * A Link's service mirror controller (mesh.md §5.1–§5.3; linkerd/linkerd2
 * multicluster/service-mirror/cluster_watcher.go), running in the source cluster: it watches the
 * target's API server across the network with the kubeconfig of the Link's credentials Secret,
 * and mirrors each Service the Link's selectors export as `<svc>-<target>` in the same namespace
 * (skipped, with an event, where the namespace does not exist):
 *
 * - gateway mode (`mirror.linkerd.io/exported=true`): the mirror's endpoints are the target
 *   gateway's address on the gateway port, present while the remote Service has a ready address
 *   and rewritten only when it turns empty or non-empty, so that remote scaling changes nothing
 *   locally; while the probe worker says the gateway is dead they are not-ready (fail-fast);
 * - flat mode (`=remote-discovery`): the mirror has no endpoints; proxies are handed the remote
 *   pods' addresses from what this controller sees of the target ({@link remoteTargets}).
 */
import { HttpClient } from "../../http/client.js";
import type { WatchEvent } from "../../k8s/apiserver.js";
import type { KubeCluster } from "../../k8s/cluster.js";
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from "../../k8s/endpointslices.js";
import { matchesSelector } from "../../k8s/labels.js";
import type { Link } from "../../k8s/linkerd.js";
import type { EndpointSlice, Kind, LabelSelector, Service } from "../../k8s/objects.js";
import { RemoteWatch } from "../../k8s/remote-watch.js";
import type { Host } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import type { Address } from "../../sim/actor.js";
import type { Sim } from "../../sim/sim.js";
import { parseDuration } from "../../sim/time.js";
import { Destinations, type Destination } from "./destinations.js";
import { GATEWAY_PORT, PROBE_PATH, PROBE_PORT } from "./gateway.js";
import { ProbeWorker } from "./probe.js";

declare module "../../sim/trace.js" {
  interface TraceEventMap {
    /** The service mirror changed a mirror (summary level): `created`, `deleted`, `endpoints`, `skipped` or `liveness`. */
    "linkerd.mirror": { link: string; action: string; service: string; detail: string };
  }
}

/** The label Linkerd puts on mirrors. */
export const MIRRORED_LABEL = "mirror.linkerd.io/mirrored-service";
/** The label naming a mirror's target cluster. */
export const CLUSTER_NAME_LABEL = "mirror.linkerd.io/cluster-name";
/** The label a flat-mode mirror names its Link with. */
export const REMOTE_DISCOVERY_LABEL = "mirror.linkerd.io/remote-discovery";
/** The label a flat-mode mirror names its remote Service with. */
export const REMOTE_SERVICE_LABEL = "mirror.linkerd.io/remote-service";
/** The annotation a gateway-mode mirror's endpoints name the remote Service with. */
export const REMOTE_FQ_NAME = "mirror.linkerd.io/remote-svc-fq-name";
/** The export label (mesh.md §5.1). */
export const EXPORTED_LABEL = "mirror.linkerd.io/exported";
/** `linkerd multicluster link`'s default selector of Services mirrored in gateway mode. */
export const DEFAULT_SELECTOR: LabelSelector = { matchLabels: { [EXPORTED_LABEL]: "true" } };
/** `linkerd multicluster link`'s default selector of Services mirrored in flat mode. */
export const DEFAULT_REMOTE_DISCOVERY_SELECTOR: LabelSelector = { matchLabels: { [EXPORTED_LABEL]: "remote-discovery" } };

const KINDS: readonly Kind[] = ["Service", "EndpointSlice"];
const MANAGER = "linkerd-service-mirror";

type Mode = "gateway" | "remote-discovery";

/** One exported Service as mirrored. */
interface Mirrored {
  readonly mode: Mode;
  /** Whether the remote Service had a ready address when the mirror's endpoints were written. */
  ready: boolean;
  /** Whether the local mirror exists (not where its namespace is missing). */
  written: boolean;
}

/** The ports the service mirror uses on its pod's host. */
const WATCH_PORT = 9998;
const PROBE_CLIENT_PORT = 9999;

/** One Link's service mirror. */
export class ServiceMirror {
  /** The target cluster as this controller sees it. */
  readonly remote = new Destinations();
  /** The watcher's idea of the gateway (initially alive, linkerd/linkerd2#8590). */
  gatewayAlive = true;
  readonly probe: ProbeWorker | undefined;
  readonly target: string;
  private readonly mirrored = new Map<string, Mirrored>();
  private readonly watch: RemoteWatch | undefined;
  private readonly probeClient: HttpClient;
  /** What a relist has seen again, until it is synced (the rest went while the stream was down). */
  private seen: Set<string> | undefined = undefined;

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly local: KubeCluster,
    private readonly host: Host,
    readonly link: Readonly<Link>,
    server: Address | undefined,
  ) {
    this.target = link.spec.targetClusterName ?? link.metadata.name;
    const id = { cluster: local.name, namespace: link.metadata.namespace ?? "default", name: `linkerd-service-mirror-${this.target}` };
    this.watch = server
      ? new RemoteWatch(sim, { ...id, name: `${id.name}/watch` }, server, KINDS, {
          relist: () => (this.seen = new Set()),
          nodes: () => {},
          event: (kind, e) => this.onEvent(kind, e),
          synced: () => this.onSynced(),
        })
      : undefined;
    this.probeClient = new HttpClient(sim, { ...id, name: `${id.name}/probe` }, (_h, done) => done(undefined));
    const spec = link.spec.probeSpec ?? {};
    const gateway = link.spec.gatewayAddress;
    this.probe =
      gateway === undefined
        ? undefined
        : new ProbeWorker(
            sim,
            sim.rng.stream(`linkerd/${local.name}/mirror/${this.target}/probe`),
            this.probeClient,
            this.target,
            {
              address: gateway,
              port: Number(spec.port ?? PROBE_PORT),
              path: spec.path ?? PROBE_PATH,
              period: parseDuration(spec.period ?? "3s"),
              timeout: parseDuration(spec.timeout ?? "30s"),
              failureThreshold: Number(spec.failureThreshold ?? "3"),
            },
            (alive) => this.onLiveness(alive),
          );
  }

  /** Binds to the service mirror pod's host, opens the watch and starts probing. */
  start(): void {
    if (this.watch) {
      this.network.bind(this.watch, this.host, WATCH_PORT);
      this.watch.start();
    }
    this.network.bind(this.probeClient, this.host, PROBE_CLIENT_PORT);
    this.probe?.start();
  }

  /** The Link went: stop watching and probing, and delete every mirror. */
  stop(): void {
    this.watch?.stop();
    this.probe?.stop();
    if (this.watch) this.network.unbind(this.watch);
    this.network.unbind(this.probeClient);
    for (const ref of [...this.mirrored.keys()]) this.unexport(ref);
  }

  /** The mirrors this controller keeps, by `namespace/remote name`, and their mode. */
  mirrors(): ReadonlyMap<string, Mode> {
    return new Map([...this.mirrored].filter(([, m]) => m.written).map(([ref, m]) => [ref, m.mode]));
  }

  /** The remote pods of a flat-mode mirror's Service port, as the destination controller hands them out. */
  remoteTargets(namespace: string, service: string, port: number): Destination | undefined {
    return this.mirrored.get(`${namespace}/${service}`)?.mode === "remote-discovery" ? this.remote.byName(namespace, service, port) : undefined;
  }

  private onEvent(kind: Kind, e: WatchEvent): void {
    const o = e.object;
    const ref = `${o.metadata.namespace ?? "default"}/${kind === "Service" ? o.metadata.name : (o.metadata.labels?.[SERVICE_NAME_LABEL] ?? "")}`;
    if (kind === "Service") {
      this.remote.service(e.type, o as Service);
      this.seen?.add(ref);
      const mode = e.type === "DELETED" ? undefined : this.modeOf(o as Service);
      const had = this.mirrored.get(ref);
      if (had && had.mode !== mode) this.unexport(ref);
      if (mode && !this.mirrored.has(ref)) this.export(ref, mode);
      else if (mode) this.writeService(ref);
    } else {
      this.remote.slice(e.type, o as EndpointSlice);
      this.refresh(ref);
    }
  }

  /** After a relist: Services not listed again are gone. */
  private onSynced(): void {
    const seen = this.seen;
    this.seen = undefined;
    if (!seen) return;
    for (const ref of [...this.mirrored.keys()]) if (!seen.has(ref)) this.unexport(ref);
  }

  private modeOf(s: Readonly<Service>): Mode | undefined {
    const spec = this.link.spec;
    if (matchesSelector(s.metadata.labels, spec.selector ?? DEFAULT_SELECTOR)) return "gateway";
    if (matchesSelector(s.metadata.labels, spec.remoteDiscoverySelector ?? DEFAULT_REMOTE_DISCOVERY_SELECTOR)) return "remote-discovery";
    return undefined;
  }

  private export(ref: string, mode: Mode): void {
    this.mirrored.set(ref, { mode, ready: false, written: false });
    this.writeService(ref);
  }

  private unexport(ref: string): void {
    const m = this.mirrored.get(ref);
    this.mirrored.delete(ref);
    if (!m?.written) return;
    const [namespace, name] = split(ref);
    const mirror = this.mirrorName(name);
    const api = this.local.api;
    if (api.get("EndpointSlice", namespace, mirror)) api.delete("EndpointSlice", namespace, mirror);
    if (api.get("Service", namespace, mirror)) api.delete("Service", namespace, mirror);
    this.record("deleted", `${namespace}/${mirror}`, "");
  }

  private mirrorName(remote: string): string {
    return `${remote}-${this.target}`;
  }

  /** Creates or updates the mirror Service; skipped where the namespace does not exist (`handleRemoteServiceExported`). */
  private writeService(ref: string): void {
    const m = this.mirrored.get(ref)!;
    const [namespace, name] = split(ref);
    const remote = this.remote.serviceOf(namespace, name);
    if (!remote) return;
    const mirror = this.mirrorName(name);
    const api = this.local.api;
    if (!api.get("Namespace", "", namespace)) {
      if (!m.written) this.record("skipped", `${namespace}/${mirror}`, "Skipped mirroring service: namespace does not exist");
      return;
    }
    const labels: Record<string, string> = { [MIRRORED_LABEL]: "true", [CLUSTER_NAME_LABEL]: this.target };
    if (m.mode === "remote-discovery") Object.assign(labels, { [REMOTE_DISCOVERY_LABEL]: this.target, [REMOTE_SERVICE_LABEL]: name });
    const current = api.get("Service", namespace, mirror);
    const ports = (remote.spec.ports ?? []).map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), protocol: p.protocol ?? "TCP", port: p.port }));
    const service: Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: mirror, namespace, labels },
      spec: { type: "ClusterIP", ports, ...(current?.spec.clusterIP ? { clusterIP: current.spec.clusterIP } : {}) },
    };
    api.apply(service);
    if (!m.written) this.record("created", `${namespace}/${mirror}`, m.mode);
    m.written = true;
    m.ready = this.remote.hasReady(namespace, name);
    this.writeEndpoints(ref);
  }

  /** A remote slice changed: rewrite the gateway-mode mirror's endpoints only if the Service turned empty or non-empty. */
  private refresh(ref: string): void {
    const m = this.mirrored.get(ref);
    if (!m?.written || m.mode !== "gateway") return;
    const [namespace, name] = split(ref);
    const ready = this.remote.hasReady(namespace, name);
    if (ready === m.ready) return;
    m.ready = ready;
    this.writeEndpoints(ref);
  }

  /** The gateway-mode mirror's endpoints: the gateway on the gateway port, not-ready while it is dead, none while the remote is empty. */
  private writeEndpoints(ref: string): void {
    const m = this.mirrored.get(ref)!;
    if (m.mode !== "gateway") return;
    const [namespace, name] = split(ref);
    const remote = this.remote.serviceOf(namespace, name);
    const mirror = this.mirrorName(name);
    const gateway = this.link.spec.gatewayAddress;
    const port = Number(this.link.spec.gatewayPort ?? GATEWAY_PORT);
    const slice: EndpointSlice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: mirror,
        namespace,
        labels: { [SERVICE_NAME_LABEL]: mirror, [MANAGED_BY_LABEL]: MANAGER, [MIRRORED_LABEL]: "true", [CLUSTER_NAME_LABEL]: this.target },
        annotations: { [REMOTE_FQ_NAME]: `${name}.${namespace}.svc.${this.link.spec.targetClusterDomain ?? "cluster.local"}` },
      },
      addressType: "IPv4",
      endpoints: m.ready && gateway !== undefined ? [{ addresses: [gateway], conditions: { ready: this.gatewayAlive } }] : [],
      ports: (remote?.spec.ports ?? []).map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), protocol: p.protocol ?? "TCP", port })),
    };
    const current = this.local.api.get("EndpointSlice", namespace, mirror);
    if (current && JSON.stringify(current.endpoints) === JSON.stringify(slice.endpoints) && JSON.stringify(current.ports) === JSON.stringify(slice.ports)) return;
    this.local.api.apply(slice);
    this.record("endpoints", `${namespace}/${mirror}`, slice.endpoints.length === 0 ? "empty" : this.gatewayAlive ? "ready" : "not-ready");
  }

  /** The probe worker's liveness changed: every gateway-mode mirror's endpoints are repaired (`RepairEndpoints`). */
  private onLiveness(alive: boolean): void {
    this.gatewayAlive = alive;
    this.record("liveness", this.target, alive ? "alive" : "dead");
    for (const [ref, m] of this.mirrored) if (m.written && m.mode === "gateway") this.writeEndpoints(ref);
  }

  private record(action: string, service: string, detail: string): void {
    if (this.sim.trace.summary) this.sim.trace.record("linkerd.mirror", { link: this.target, action, service, detail });
  }
}

function split(ref: string): [string, string] {
  const slash = ref.indexOf("/");
  return [ref.slice(0, slash), ref.slice(slash + 1)];
}

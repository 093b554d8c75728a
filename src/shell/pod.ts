import { openClientSocket, runUntilDone, type DnsClientReply, type DnsClientSocket } from "../dns/client-socket.js";
import type { DnsQueryBody, Packet } from "../dns/message.js";
import { formatResolvConf } from "../dns/resolver/resolvconf.js";
import type { LookupResult } from "../dns/resolver/types.js";
import type { Pod } from "../k8s/objects.js";
import { SIM_EPOCH_UNIX_SECONDS } from "../k8s/timestamp.js";
import type { Host } from "../net/host.js";
import { address } from "../sim/actor.js";
import type { Rng } from "../sim/rng.js";
import { SECOND, type Micros } from "../sim/time.js";
import type { RequestOptions } from "../http/client.js";
import type { RequestResult } from "../http/message.js";
import { WorldError, type World } from "../scenario/world.js";

/**
 * A running pod as the lab's commands inside it see it (`kubectl exec POD -- dig ...`): its
 * resolv.conf, its image, and a DNS client socket on its address, through which a tool's
 * queries enter the simulation as the pod's own traffic. The tools wait for their replies by
 * running the world's clock, so a command takes simulated time as it would take real time.
 */
export class PodShell {
  /** The pod's /etc/resolv.conf, as the kubelet wrote it. */
  readonly resolvConf: string;
  /** The first container's image, which decides the tools' flavour (busybox or BIND). */
  readonly image: string;
  private socket: DnsClientSocket | null = null;
  /** Query ids and cookies: drawn from a stream of the pod's own, so a run stays reproducible. */
  readonly rng: Rng;

  constructor(
    readonly world: World,
    readonly cluster: string,
    readonly pod: Readonly<Pod>,
    private readonly host: Host,
  ) {
    this.resolvConf = formatResolvConf(world.resolvConfOf(cluster, pod));
    this.image = pod.spec.containers[0]?.image ?? "";
    this.rng = world.sim.rng.stream(`shell/${cluster}/${this.ref}`);
  }

  /** `namespace/name`. */
  get ref(): string {
    return `${this.pod.metadata.namespace ?? "default"}/${this.pod.metadata.name}`;
  }

  /** The simulated clock. */
  get now(): Micros {
    return this.world.sim.now;
  }

  /** The simulated instant as Unix seconds, for the dates tools print (`;; WHEN:`). */
  get unixSeconds(): number {
    return SIM_EPOCH_UNIX_SECONDS + Math.floor(this.now / 1_000_000);
  }

  /** Sends `query` to `server` and runs the clock until its reply or `timeout`; null when none came. */
  exchange(server: string, port: number, query: Packet, transport: DnsQueryBody["transport"], timeout: Micros): DnsClientReply | null {
    return this.exchangeAll(server, port, [query], transport, timeout, {})[0] ?? null;
  }

  /**
   * Sends every query at once to `server` and runs the clock until all are answered or `timeout`
   * passes; `resendEvery` resends the unanswered ones at that interval, `resendOn` resends one at
   * once when its reply has an rcode the tool retries on (the reply is still kept, in case no
   * better one comes). Replies come back in arrival order, each with the index of its query.
   */
  exchangeAll(
    server: string,
    port: number,
    queries: readonly Packet[],
    transport: DnsQueryBody["transport"],
    timeout: Micros,
    options: { readonly resendEvery?: Micros; readonly resendOn?: (reply: Packet) => boolean },
  ): (DnsClientReply & { readonly index: number })[] {
    const socket = this.clientSocket();
    const to = address(server, port);
    const sim = this.world.sim;
    const deadline = sim.now + timeout;
    const got: (DnsClientReply & { readonly index: number })[] = [];
    const settled = new Set<number>();
    const cancels: (() => void)[] = [];
    const waitFor = (index: number): void => {
      cancels.push(
        socket.ask(to, queries[index]!, transport, (reply) => {
          const retry = options.resendOn?.(reply.packet) === true && sim.now < deadline;
          const earlier = got.findIndex((g) => g.index === index);
          if (earlier >= 0) got.splice(earlier, 1);
          got.push({ ...reply, index });
          if (retry) {
            waitFor(index);
            return;
          }
          settled.add(index);
          if (settled.size === queries.length) sim.stop("the tool's replies arrived");
        }),
      );
    };
    for (let i = 0; i < queries.length; i++) waitFor(i);
    const timers =
      options.resendEvery === undefined
        ? []
        : Array.from({ length: Math.ceil(timeout / options.resendEvery) - 1 }, (_, k) =>
            sim.timer((k + 1) * options.resendEvery!, () => {
              for (let i = 0; i < queries.length; i++) if (!settled.has(i)) socket.resend(to, queries[i]!, transport);
            }),
          );
    runUntilDone(sim, () => settled.size === queries.length, deadline);
    for (const t of timers) t.cancel();
    for (const cancel of cancels) cancel();
    return got;
  }

  /** Looks a name up as the pod's libc does (getaddrinfo), running the clock until it is done. */
  lookup(name: string): LookupResult {
    const sim = this.world.sim;
    let result: LookupResult | undefined;
    this.world.resolve(this.cluster, this.ref, name, {
      onDone: (r) => {
        result = r;
        sim.stop("the lookup finished");
      },
    });
    // getaddrinfo's own timeouts end it well within a minute; the bound only guards the loop.
    runUntilDone(sim, () => result !== undefined, sim.now + 120_000_000);
    if (!result) throw new WorldError(`the lookup of ${name} from ${this.ref} did not finish`);
    return result;
  }

  /**
   * Calls `url` from the pod as its application would (World.request: through its sidecar when it
   * has one, else to the address its libc resolved), running the clock until the call ends.
   *
   * @throws UrlError for a URL other than `http://host[:port][/path]`.
   */
  request(url: string, options: RequestOptions): RequestResult {
    const sim = this.world.sim;
    let result: RequestResult | undefined;
    this.world.request(this.cluster, this.ref, url, {
      ...options,
      onDone: (r) => {
        result = r;
        sim.stop("the call ended");
      },
    });
    runUntilDone(sim, () => result !== undefined, sim.now + options.timeout + SECOND);
    if (!result) throw new WorldError(`the call of ${url} from ${this.ref} did not end`);
    return result;
  }

  /** Whether the pod's calls go through an Istio sidecar. */
  get hasSidecar(): boolean {
    return this.world.mesh?.sidecarOf(this.cluster, this.pod.metadata.namespace ?? "default", this.pod.metadata.name) !== undefined;
  }

  private clientSocket(): DnsClientSocket {
    this.socket ??= openClientSocket(this.world.network, this.world.sim, this.host, "shell").socket;
    return this.socket;
  }
}

/**
 * The running pod `namespace/name` of a cluster, for the lab's commands.
 *
 * @throws WorldError when there is no such pod, or it is not running yet.
 */
export function podShell(world: World, cluster: string, ref: string): PodShell {
  const slash = ref.indexOf("/");
  const [namespace, name] = slash < 0 ? ["default", ref] : [ref.slice(0, slash), ref.slice(slash + 1)];
  const c = world.cluster(cluster);
  const pod = c.api.get("Pod", namespace, name);
  if (!pod) throw new WorldError(`pods "${name}" not found in namespace ${namespace} of cluster ${cluster}`);
  const host = c.podHost(namespace, name);
  if (!host) throw new WorldError(`pod ${namespace}/${name} in cluster ${cluster} is not running yet`);
  return new PodShell(world, cluster, pod, host);
}

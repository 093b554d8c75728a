import type { Actor, Address, Message } from "../sim/actor.js";
import type { Node } from "./topology.js";

/**
 * Something with an IP address on a network: a pod, or a machine outside the clusters. Actors
 * listen on its ports; a host that is down (a killed pod) receives nothing.
 */
export class Host {
  /** False while the host is down: messages to it are dropped (`host-down`). */
  up = true;
  /** False once it has been removed from the network. */
  attached = true;
  /** The actor listening on each port. */
  readonly listeners = new Map<number, Actor>();
  /** What the host's own outbound messages are redirected by, in order (iptables' nat OUTPUT REDIRECT). */
  redirects: readonly OutboundRedirect[] = [];
  /**
   * iptables' inbound capture (a sidecar's): sees each message to a listener of the host before
   * it, and returns what the listener gets instead (the message itself, or one it rewrote), or
   * null when it took the message.
   */
  inbound: ((message: Message) => Message | null) | undefined = undefined;

  constructor(
    readonly name: string,
    readonly ip: string,
    readonly node: Node,
    /** The network its address belongs to (its node's). */
    readonly network: string,
  ) {}
}

/**
 * A rule that sends a host's outbound messages for some addresses and a port to a local port
 * instead (iptables' `-t nat -A OUTPUT ... -j REDIRECT --to-port`): a sidecar's DNS capture. The
 * receiver sees the original destination as the message's `via`, and its replies come from it,
 * as conntrack reverses the translation.
 */
export interface OutboundRedirect {
  /** The destination port captured. */
  readonly port: number;
  /** The destination addresses captured. */
  readonly ips: ReadonlySet<string>;
  /** Where captured messages go: the host's own address and a port. */
  readonly target: Address;
  /** Actors whose messages pass uncaptured (iptables' `--uid-owner ... -j RETURN`). */
  readonly exempt: ReadonlySet<Actor>;
}

/** The address an actor is bound at, which also knows its host. */
export interface BoundAddress extends Address {
  readonly host: Host;
}

import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { isIPv4 } from "../k8s/schema.js";
import type { NetworkTap } from "../net/network.js";
import type { Address, Message } from "../sim/actor.js";
import type { Micros } from "../sim/time.js";
import { DNS_QUERY, DNS_RESPONSE, type DnsQueryBody, type DnsResponseBody } from "./message.js";
import { MAX_TCP_PAYLOAD, MAX_UDP_PAYLOAD, TCP_FLAGS, ipv4Tcp, ipv4Udp, pcapFileHeader, pcapRecord } from "./pcap.js";

/** Where a capture's bytes go, in order: the first chunk begins with the file header. */
export type PcapSink = (chunk: Uint8Array) => void;

/** What a {@link DnsCapture} has written and left out. */
export interface DnsCaptureStats {
  /** Records written, TCP handshakes included. */
  packets: number;
  /**
   * DNS messages left out: to or from an address that is not IPv4 (a resolv.conf naming an IPv6
   * nameserver; the simulated hosts are all IPv4), or over UDP and larger than an IPv4 packet holds.
   */
  omitted: number;
}

/** The sink gets the bytes in chunks of about this size, so a long run never holds its whole capture. */
const CHUNK = 64 * 1024;

/** A simulated DNS-over-TCP connection: what its next segments number their bytes from. */
interface TcpConnection {
  clientNext: number;
  serverNext: number;
  /**
   * Where the recent replies written on it began, by message id, oldest first: a duplicated copy is
   * written as a retransmission of the same bytes, even when other replies arrived between the two
   * copies (each copy's latency is drawn on its own). Bounded by {@link RECENT_REPLIES}.
   */
  readonly replies: Map<number, number>;
}

/**
 * How many replies a connection remembers for duplicates: a copy arriving after this many later
 * replies on the same connection is written as new data. Copies arrive within a link's latency
 * spread of each other, so this is far more than a run needs, and a long run's memory stays flat.
 */
const RECENT_REPLIES = 1024;

/**
 * A capture of the simulation's DNS traffic as a classic pcap file (written as `pcap.ts` says), for
 * tshark and Wireshark: install it as the network's {@link NetworkTap}, run, {@link flush}.
 *
 * It stands where each exchange's querier stands, as `tcpdump` in the querying pod would. A query
 * is recorded as it leaves, addressed as sent: a pod's query goes to the kube-dns ClusterIP (or a
 * LoadBalancer address), not to the CoreDNS pod kube-proxy then picks. A reply is recorded as it
 * reaches the querier, from the address the query was sent to, since conntrack undoes the DNAT on
 * the way back. So Wireshark's response time (`dns.time`) is the round trip the querier saw; a
 * query lost on the way out shows, unanswered, and a reply lost on the way back does not show. A
 * query CoreDNS forwards is an exchange of its own with CoreDNS as the querier: from the CoreDNS
 * pod's address, before the node's source NAT, and from port 53 (the simulated CoreDNS sends from
 * the port it listens on, where the real one picks an ephemeral port), to the upstream as
 * addressed. Timestamps are simulated time from the fixed epoch (see {@link pcapRecord}).
 *
 * DNS over TCP runs on one connection per querier and server address: opened by a SYN, SYN-ACK,
 * ACK at its first query's instant (the simulation carries a TCP exchange as one message each way,
 * with no handshake to time) and kept open, later queries pipelined on it (RFC 7766 §6.2.1), each
 * message with its 2-byte length prefix and the sequence numbers counting every byte.
 */
export class DnsCapture implements NetworkTap {
  readonly stats: DnsCaptureStats = { packets: 0, omitted: 0 };
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** The IPv4 identification of the next packet: counted, not drawn, so runs stay byte-identical. */
  private ipId = 0;
  private readonly connections = new Map<string, TcpConnection>();

  constructor(private readonly sink: PcapSink) {
    this.push(pcapFileHeader());
  }

  /** Records a query as it leaves its sender. */
  sent(at: Micros, from: Address, to: Address, kind: string, body: unknown): void {
    if (kind === DNS_QUERY) this.message(at, from, to, body as DnsQueryBody, null);
  }

  /** Records a reply as it reaches the querier. */
  delivered(at: Micros, message: Message): void {
    if (message.kind === DNS_RESPONSE) this.message(at, message.from, message.to, message.body as DnsResponseBody, message.id);
  }

  /** Hands what is buffered to the sink; the file header too, so a run without DNS still gives a valid, empty capture. */
  flush(): void {
    if (this.buffered === 0) return;
    const chunk = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.sink(chunk);
  }

  /** One DNS message from `src` to `dst`: a query (`replyId` null) or a reply, by message id. */
  private message(at: Micros, src: Address, dst: Address, body: DnsQueryBody | DnsResponseBody, replyId: number | null): void {
    if (!isIPv4(src.ip) || !isIPv4(dst.ip)) {
      this.stats.omitted++;
      return;
    }
    if (body.transport === "tcp") {
      this.tcp(at, src, dst, dnsPacket.streamEncode(body.packet), replyId);
      return;
    }
    const payload = dnsPacket.encode(body.packet);
    if (payload.length > MAX_UDP_PAYLOAD) {
      this.stats.omitted++;
      return;
    }
    this.packet(at, ipv4Udp(src, dst, payload, this.ipId++));
  }

  private tcp(at: Micros, src: Address, dst: Address, data: Uint8Array, replyId: number | null): void {
    const [client, server] = replyId === null ? [src, dst] : [dst, src];
    const c = this.connection(at, client, server);
    if (replyId === null) {
      this.segments(at, src, dst, c.clientNext, c.serverNext, data);
      c.clientNext = (c.clientNext + data.length) >>> 0;
    } else {
      const written = c.replies.get(replyId);
      if (written !== undefined) {
        this.segments(at, src, dst, written, c.clientNext, data);
        return;
      }
      this.segments(at, src, dst, c.serverNext, c.clientNext, data);
      c.replies.set(replyId, c.serverNext);
      if (c.replies.size > RECENT_REPLIES) c.replies.delete(c.replies.keys().next().value!);
      c.serverNext = (c.serverNext + data.length) >>> 0;
    }
  }

  /** The connection between two addresses, opened with its handshake now if there is none yet. */
  private connection(at: Micros, client: Address, server: Address): TcpConnection {
    const key = `${client.text} ${server.text}`;
    let c = this.connections.get(key);
    if (!c) {
      // Both ends start from sequence number 0: Wireshark shows them relative to the start anyway.
      const { SYN, ACK } = TCP_FLAGS;
      this.packet(at, ipv4Tcp(client, server, { seq: 0, ack: 0, flags: SYN }, EMPTY, this.ipId++));
      this.packet(at, ipv4Tcp(server, client, { seq: 0, ack: 1, flags: SYN | ACK }, EMPTY, this.ipId++));
      this.packet(at, ipv4Tcp(client, server, { seq: 1, ack: 1, flags: ACK }, EMPTY, this.ipId++));
      c = { clientNext: 1, serverNext: 1, replies: new Map() };
      this.connections.set(key, c);
    }
    return c;
  }

  /** `data` as PSH-ACK segments from `seq`, split only where an IPv4 packet must end. */
  private segments(at: Micros, src: Address, dst: Address, seq: number, ack: number, data: Uint8Array): void {
    for (let offset = 0; offset < data.length; offset += MAX_TCP_PAYLOAD) {
      const part = data.subarray(offset, offset + MAX_TCP_PAYLOAD);
      this.packet(at, ipv4Tcp(src, dst, { seq: seq + offset, ack, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK }, part, this.ipId++));
    }
  }

  private packet(at: Micros, packet: Uint8Array): void {
    this.stats.packets++;
    this.push(pcapRecord(at, packet));
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered >= CHUNK) this.flush();
  }
}

const EMPTY = new Uint8Array(0);

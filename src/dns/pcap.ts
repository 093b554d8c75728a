import { SIM_EPOCH_UNIX_SECONDS } from "../k8s/timestamp.js";
import { parseIpv4 } from "../net/ip.js";
import type { Micros } from "../sim/time.js";

/**
 * The classic libpcap file format (tcpdump's `.pcap`, not pcapng), and the IPv4, UDP and TCP
 * headers of the packets in it: pure functions from values to bytes, no I/O. The simulation has no
 * link layer (no MACs, no ARP), so the records are raw IPv4 packets (LINKTYPE_RAW) rather than
 * Ethernet frames with made-up addresses that would only look like information. Every packet is
 * written whole: the simulation has no MTU, as a capture on a host with segmentation offload
 * shows no fragments either; only what IPv4's 16-bit length cannot hold is split (TCP) or refused.
 */

/** The magic number of a classic pcap file with microsecond timestamps. */
export const PCAP_MAGIC = 0xa1b2c3d4;
/** LINKTYPE_RAW: each record is an IP packet with no link-layer header (tcpdump.org/linktypes). */
export const LINKTYPE_RAW = 101;
/** The most bytes of a packet a record holds: every IPv4 packet fits, so none is cut short. */
export const PCAP_SNAPLEN = 65_535;

const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const TCP_HEADER = 20;
const IPV4_MAX = 65_535;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
/** Don't Fragment: nothing here is ever fragmented, and Linux sets it on DNS traffic too. */
const IPV4_DF = 0x4000;
/** The hop limit Linux starts packets with. */
const IPV4_TTL = 64;
/** The receive window every simulated TCP end advertises: the most an unscaled window says. */
const TCP_WINDOW = 65_535;

/** The largest UDP payload an IPv4 packet carries (65,535 less the IPv4 and UDP headers). */
export const MAX_UDP_PAYLOAD = IPV4_MAX - IPV4_HEADER - UDP_HEADER;
/** The largest TCP payload an IPv4 packet without options carries. */
export const MAX_TCP_PAYLOAD = IPV4_MAX - IPV4_HEADER - TCP_HEADER;

/** The TCP flag bits mcsim's captures set. */
export const TCP_FLAGS = { SYN: 0x02, PSH: 0x08, ACK: 0x10 } as const;

/** One end of a flow: a dotted-quad IPv4 address and a port (an {@link Address} is one). */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/** What a TCP segment says besides its ends and payload. */
export interface TcpHeader {
  /** Sequence number of the first payload byte (of the SYN itself on a SYN), modulo 2³². */
  readonly seq: number;
  /** The next sequence number expected from the other end; 0 without ACK. */
  readonly ack: number;
  /** {@link TCP_FLAGS} or-ed together. */
  readonly flags: number;
}

/** The 24-byte global header: magic, version 2.4, UTC, snaplen, raw IPv4. Little-endian, as most writers are. */
export function pcapFileHeader(): Uint8Array {
  const bytes = new Uint8Array(24);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, PCAP_MAGIC, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  // thiszone 0 and sigfigs 0: timestamps are UTC, as every modern writer leaves them.
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_RAW, true);
  return bytes;
}

/**
 * One record: its 16-byte header and the packet. `at` is simulated time, written as that long
 * after {@link SIM_EPOCH_UNIX_SECONDS} (the epoch the Kubernetes timestamps use), so two runs
 * give the same bytes and Wireshark shows the same calendar time as `kubectl`.
 */
export function pcapRecord(at: Micros, packet: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(16 + packet.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SIM_EPOCH_UNIX_SECONDS + Math.floor(at / 1_000_000), true);
  view.setUint32(4, at % 1_000_000, true);
  view.setUint32(8, packet.length, true);
  view.setUint32(12, packet.length, true);
  bytes.set(packet, 16);
  return bytes;
}

/**
 * An IPv4 packet carrying a UDP datagram, both checksums computed. `id` is the IPv4
 * identification (taken modulo 2¹⁶).
 *
 * @throws RangeError when the payload is larger than {@link MAX_UDP_PAYLOAD}.
 */
export function ipv4Udp(src: Endpoint, dst: Endpoint, payload: Uint8Array, id: number): Uint8Array {
  if (payload.length > MAX_UDP_PAYLOAD) throw new RangeError(`a UDP payload of ${payload.length} bytes does not fit in an IPv4 packet (at most ${MAX_UDP_PAYLOAD})`);
  const { bytes, view } = ipv4(src, dst, PROTO_UDP, UDP_HEADER + payload.length, id);
  const udp = IPV4_HEADER;
  view.setUint16(udp, src.port);
  view.setUint16(udp + 2, dst.port);
  view.setUint16(udp + 4, UDP_HEADER + payload.length);
  bytes.set(payload, udp + UDP_HEADER);
  // A computed 0 is sent as all ones: 0 in this field means "no checksum" (RFC 768).
  view.setUint16(udp + 6, transportChecksum(bytes, PROTO_UDP) || 0xffff);
  return bytes;
}

/**
 * An IPv4 packet carrying a TCP segment (no options), both checksums computed.
 *
 * @throws RangeError when the payload is larger than {@link MAX_TCP_PAYLOAD}.
 */
export function ipv4Tcp(src: Endpoint, dst: Endpoint, tcp: TcpHeader, payload: Uint8Array, id: number): Uint8Array {
  if (payload.length > MAX_TCP_PAYLOAD) throw new RangeError(`a TCP payload of ${payload.length} bytes does not fit in an IPv4 packet (at most ${MAX_TCP_PAYLOAD})`);
  const { bytes, view } = ipv4(src, dst, PROTO_TCP, TCP_HEADER + payload.length, id);
  const at = IPV4_HEADER;
  view.setUint16(at, src.port);
  view.setUint16(at + 2, dst.port);
  view.setUint32(at + 4, tcp.seq >>> 0);
  view.setUint32(at + 8, tcp.ack >>> 0);
  // Data offset 5 words (no options) in the high nibble, then the flags.
  view.setUint16(at + 12, (5 << 12) | tcp.flags);
  view.setUint16(at + 14, TCP_WINDOW);
  bytes.set(payload, at + TCP_HEADER);
  view.setUint16(at + 16, transportChecksum(bytes, PROTO_TCP));
  return bytes;
}

/** A whole IPv4 packet's buffer with its header written and checksummed; the transport part is left to fill. */
function ipv4(src: Endpoint, dst: Endpoint, protocol: number, transportLength: number, id: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(IPV4_HEADER + transportLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 0x45); // version 4, header of 5 words
  view.setUint16(2, bytes.length);
  view.setUint16(4, id & 0xffff);
  view.setUint16(6, IPV4_DF);
  view.setUint8(8, IPV4_TTL);
  view.setUint8(9, protocol);
  view.setUint32(12, parseIpv4(src.ip));
  view.setUint32(16, parseIpv4(dst.ip));
  view.setUint16(10, fold(sum16(bytes, 0, IPV4_HEADER)));
  return { bytes, view };
}

/** The UDP or TCP checksum of a packet from {@link ipv4}: over the pseudo-header (RFC 768, RFC 9293 §3.1) and the segment. */
function transportChecksum(packet: Uint8Array, protocol: number): number {
  const length = packet.length - IPV4_HEADER;
  // Source and destination addresses (bytes 12-19 of the IPv4 header), zero, protocol, length.
  const pseudo = sum16(packet, 12, 20) + protocol + length;
  return fold(pseudo + sum16(packet, IPV4_HEADER, packet.length));
}

/** The sum of the big-endian 16-bit words of `bytes[start, end)`, an odd last byte padded with zero, not yet folded. */
function sum16(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** The internet checksum of a sum of words: carries folded back in, then complemented (RFC 1071). */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

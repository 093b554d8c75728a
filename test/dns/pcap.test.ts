import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LINKTYPE_RAW, MAX_TCP_PAYLOAD, MAX_UDP_PAYLOAD, PCAP_MAGIC, PCAP_SNAPLEN, TCP_FLAGS, ipv4Tcp, ipv4Udp, pcapFileHeader, pcapRecord, type Endpoint } from "../../src/dns/pcap.js";
import { SIM_EPOCH_UNIX_SECONDS } from "../../src/k8s/timestamp.js";

/**
 * pcap.ts: the classic pcap file format and the IPv4, UDP and TCP packets in it. Every checksum
 * here is verified by an implementation of the test's own (RFC 1071's "sum the words, the result
 * of summing a packet with its checksum in is all ones"), not by calling the code under test.
 */

/** RFC 1071 §1: the 16-bit one's complement sum of big-endian words, an odd last byte padded with zero. Computed with modulo arithmetic rather than by folding carries, so it shares no code path with pcap.ts. */
function onesSum(...parts: Uint8Array[]): number {
  let total = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) total += part[i]! * 256 + (i + 1 < part.length ? part[i + 1]! : 0);
  }
  // The one's complement sum is the sum modulo 2¹⁶-1, with a nonzero multiple of 2¹⁶-1 written 0xffff.
  const r = total % 0xffff;
  return r === 0 && total !== 0 ? 0xffff : r;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const le32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const ipBytes = (ip: string) => Uint8Array.from(ip.split(".").map(Number));

/** The RFC 768 / RFC 9293 §3.1 pseudo-header: source, destination, zero, protocol, transport length. */
function pseudoHeader(packet: Uint8Array): Uint8Array {
  const p = new Uint8Array(12);
  p.set(packet.subarray(12, 20), 0);
  p[9] = packet[9]!;
  const length = packet.length - 20;
  p[10] = length >> 8;
  p[11] = length & 0xff;
  return p;
}

/** The checksum a correct writer puts in the transport header of `packet` (its checksum field is zeroed first). */
function expectedTransportChecksum(packet: Uint8Array, field: number): number {
  const copy = packet.slice();
  copy[field] = 0;
  copy[field + 1] = 0;
  return ~onesSum(pseudoHeader(copy), copy.subarray(20)) & 0xffff;
}

const endpoint: fc.Arbitrary<Endpoint> = fc.record({ ip: fc.ipV4(), port: fc.integer({ min: 0, max: 0xffff }) });
/** Payloads of both parities, since an odd last byte is where checksum code goes wrong. */
const payload = fc.uint8Array({ minLength: 0, maxLength: 600 });

const A: Endpoint = { ip: "10.10.1.7", port: 33053 };
const B: Endpoint = { ip: "10.100.0.10", port: 53 };

describe("the pcap file header (tcpdump.org pcap-savefile(5), linktypes)", () => {
  it("is the 24 bytes of a little-endian microsecond pcap 2.4, UTC, snaplen 65535, LINKTYPE_RAW (101)", () => {
    expect([...pcapFileHeader()]).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, // magic 0xa1b2c3d4 written little-endian: microsecond timestamps
      2, 0, 4, 0, // version 2.4
      0, 0, 0, 0, // thiszone
      0, 0, 0, 0, // sigfigs
      0xff, 0xff, 0, 0, // snaplen 65535
      101, 0, 0, 0, // LINKTYPE_RAW: raw IPv4/IPv6, no link-layer header
    ]);
    expect(PCAP_MAGIC).toBe(0xa1b2c3d4);
    expect(LINKTYPE_RAW).toBe(101);
    expect(PCAP_SNAPLEN).toBe(65_535);
  });
});

describe("pcap records", () => {
  it("the simulated epoch is 2026-01-01T00:00:00Z in Unix seconds, the Kubernetes timestamps' epoch", () => {
    expect(SIM_EPOCH_UNIX_SECONDS).toBe(Date.UTC(2026, 0, 1) / 1000);
  });

  it("time 0 is the simulated epoch with 0 microseconds; 3.500007 s is 3 s after it and 500007 µs", () => {
    const packet = Uint8Array.from([0x45, 1, 2, 3, 4]);
    const zero = pcapRecord(0, packet);
    expect(le32(zero, 0)).toBe(SIM_EPOCH_UNIX_SECONDS);
    expect(le32(zero, 4)).toBe(0);
    const later = pcapRecord(3_500_007, packet);
    expect(le32(later, 0)).toBe(SIM_EPOCH_UNIX_SECONDS + 3);
    expect(le32(later, 4)).toBe(500_007);
  });

  it("property: seconds and microseconds give back the simulated instant, the microseconds stay below 10⁶, and the packet follows whole, its length twice", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400 * 1_000_000 }), fc.uint8Array({ maxLength: 200 }), (at, packet) => {
        const record = pcapRecord(at, packet);
        expect(record.length).toBe(16 + packet.length);
        const sec = le32(record, 0);
        const usec = le32(record, 4);
        expect(usec).toBeLessThan(1_000_000);
        expect((sec - SIM_EPOCH_UNIX_SECONDS) * 1_000_000 + usec).toBe(at);
        expect(le32(record, 8)).toBe(packet.length); // incl_len
        expect(le32(record, 12)).toBe(packet.length); // orig_len: nothing is cut short
        expect([...record.subarray(16)]).toEqual([...packet]);
      }),
    );
  });
});

describe("IPv4 headers (RFC 791, checksum RFC 1071)", () => {
  it("a UDP packet's header: version 4, 5 words, total length, identification, DF, TTL 64, protocol 17, the addresses", () => {
    const p = ipv4Udp(A, B, Uint8Array.from([1, 2, 3]), 0x1234);
    expect(p.length).toBe(20 + 8 + 3);
    expect(p[0]).toBe(0x45);
    expect(p[1]).toBe(0); // DSCP/ECN
    expect(u16(p, 2)).toBe(31);
    expect(u16(p, 4)).toBe(0x1234);
    expect(u16(p, 6)).toBe(0x4000); // DF, fragment offset 0
    expect(p[8]).toBe(64);
    expect(p[9]).toBe(17);
    expect([...p.subarray(12, 16)]).toEqual([10, 10, 1, 7]);
    expect([...p.subarray(16, 20)]).toEqual([10, 100, 0, 10]);
  });

  it("the identification is taken modulo 2¹⁶", () => {
    expect(u16(ipv4Udp(A, B, new Uint8Array(0), 0x10000 + 7), 4)).toBe(7);
    expect(u16(ipv4Tcp(A, B, { seq: 0, ack: 0, flags: TCP_FLAGS.SYN }, new Uint8Array(0), 0x2ffff), 4)).toBe(0xffff);
  });

  it("RFC 1071: property: the header's words, checksum included, sum to 0xffff, for UDP and TCP, random addresses and payloads", () => {
    fc.assert(
      fc.property(endpoint, endpoint, payload, fc.integer({ min: 0, max: 0xffff }), fc.boolean(), (src, dst, data, id, tcp) => {
        const p = tcp ? ipv4Tcp(src, dst, { seq: 1, ack: 1, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH }, data, id) : ipv4Udp(src, dst, data, id);
        expect(onesSum(p.subarray(0, 20))).toBe(0xffff);
        expect([...p.subarray(12, 16)]).toEqual([...ipBytes(src.ip)]);
        expect([...p.subarray(16, 20)]).toEqual([...ipBytes(dst.ip)]);
        expect(u16(p, 2)).toBe(p.length);
      }),
    );
  });
});

describe("UDP (RFC 768)", () => {
  it("ports, length and payload where RFC 768 puts them", () => {
    const data = Uint8Array.from([9, 8, 7, 6, 5]);
    const p = ipv4Udp(A, B, data, 1);
    expect(u16(p, 20)).toBe(33053);
    expect(u16(p, 22)).toBe(53);
    expect(u16(p, 24)).toBe(8 + 5);
    expect([...p.subarray(28)]).toEqual([...data]);
  });

  it("RFC 768: property: the checksum is the one's complement of the sum over the pseudo-header and the datagram, and verifies to 0xffff", () => {
    fc.assert(
      fc.property(endpoint, endpoint, payload, fc.integer({ min: 0, max: 0xffff }), (src, dst, data, id) => {
        const p = ipv4Udp(src, dst, data, id);
        const written = u16(p, 26);
        const expected = expectedTransportChecksum(p, 26);
        expect(written).toBe(expected === 0 ? 0xffff : expected);
        // The receiver's check: the whole datagram, checksum in, with the pseudo-header sums to all ones.
        expect(onesSum(pseudoHeader(p), p.subarray(20))).toBe(0xffff);
      }),
    );
  });

  it("RFC 768: a computed checksum of 0 is sent as 0xffff, since 0 means the sender computed none", () => {
    // Make the datagram's sum come out at 0xffff (so its complement is 0) by choosing its last word:
    // with the last word 0 the rest sums to x, and x + (0xffff - x) = 0xffff without a carry.
    const data = new Uint8Array(12).fill(0x5a);
    data[10] = 0;
    data[11] = 0;
    const probe = ipv4Udp(A, B, data, 0);
    probe[26] = 0;
    probe[27] = 0;
    const x = onesSum(pseudoHeader(probe), probe.subarray(20));
    const w = 0xffff - x;
    data[10] = w >> 8;
    data[11] = w & 0xff;
    const p = ipv4Udp(A, B, data, 0);
    expect(expectedTransportChecksum(p, 26)).toBe(0); // the case is the one we meant to build
    expect(u16(p, 26)).toBe(0xffff);
    expect(onesSum(pseudoHeader(p), p.subarray(20))).toBe(0xffff);
  });

  it("the largest payload an IPv4 packet holds fits, exactly 65,535 bytes in all; one byte more is a RangeError", () => {
    expect(MAX_UDP_PAYLOAD).toBe(65_535 - 20 - 8);
    const p = ipv4Udp(A, B, new Uint8Array(MAX_UDP_PAYLOAD), 1);
    expect(p.length).toBe(65_535);
    expect(u16(p, 2)).toBe(65_535);
    expect(u16(p, 24)).toBe(65_535 - 20);
    expect(() => ipv4Udp(A, B, new Uint8Array(MAX_UDP_PAYLOAD + 1), 1)).toThrow(RangeError);
  });
});

describe("TCP (RFC 9293 §3.1)", () => {
  it("ports, sequence and acknowledgment numbers, data offset 5, flags, window, urgent pointer and payload where §3.1 puts them", () => {
    const data = Uint8Array.from([0, 3, 0xaa, 0xbb, 0xcc]);
    const p = ipv4Tcp(A, B, { seq: 0xdeadbeef, ack: 17, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK }, data, 1);
    expect(p[9]).toBe(6);
    expect(p.length).toBe(20 + 20 + 5);
    expect(u16(p, 20)).toBe(33053);
    expect(u16(p, 22)).toBe(53);
    expect(u32(p, 24)).toBe(0xdeadbeef);
    expect(u32(p, 28)).toBe(17);
    expect(p[32]! >> 4).toBe(5); // data offset: 5 words, no options
    expect(p[33]).toBe(0x18); // PSH | ACK
    expect(u16(p, 34)).toBe(65_535);
    expect(u16(p, 38)).toBe(0); // urgent pointer
    expect([...p.subarray(40)]).toEqual([...data]);
  });

  it("the flag bits are RFC 9293's: SYN 0x02, PSH 0x08, ACK 0x10", () => {
    expect(TCP_FLAGS).toEqual({ SYN: 0x02, PSH: 0x08, ACK: 0x10 });
    expect(ipv4Tcp(A, B, { seq: 0, ack: 0, flags: TCP_FLAGS.SYN }, new Uint8Array(0), 0)[33]).toBe(0x02);
    expect(ipv4Tcp(A, B, { seq: 0, ack: 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK }, new Uint8Array(0), 0)[33]).toBe(0x12);
  });

  it("sequence numbers are taken modulo 2³²", () => {
    const p = ipv4Tcp(A, B, { seq: 2 ** 32 + 5, ack: 2 ** 32 - 1, flags: TCP_FLAGS.ACK }, new Uint8Array(0), 0);
    expect(u32(p, 24)).toBe(5);
    expect(u32(p, 28)).toBe(2 ** 32 - 1);
  });

  it("RFC 9293 §3.1: property: the checksum over the pseudo-header and the segment verifies to 0xffff", () => {
    fc.assert(
      fc.property(
        endpoint,
        endpoint,
        payload,
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.constantFrom(TCP_FLAGS.SYN, TCP_FLAGS.SYN | TCP_FLAGS.ACK, TCP_FLAGS.ACK, TCP_FLAGS.PSH | TCP_FLAGS.ACK),
        (src, dst, data, seq, ack, flags) => {
          const p = ipv4Tcp(src, dst, { seq, ack, flags }, data, 0);
          expect(u16(p, 36)).toBe(expectedTransportChecksum(p, 36));
          expect(onesSum(pseudoHeader(p), p.subarray(20))).toBe(0xffff);
          expect(u32(p, 24)).toBe(seq);
          expect(u32(p, 28)).toBe(ack);
        },
      ),
    );
  });

  it("the largest payload an IPv4 packet without options holds fits in 65,535 bytes; one byte more is a RangeError", () => {
    expect(MAX_TCP_PAYLOAD).toBe(65_535 - 20 - 20);
    const p = ipv4Tcp(A, B, { seq: 1, ack: 1, flags: TCP_FLAGS.ACK }, new Uint8Array(MAX_TCP_PAYLOAD), 1);
    expect(p.length).toBe(65_535);
    expect(u16(p, 2)).toBe(65_535);
    expect(() => ipv4Tcp(A, B, { seq: 1, ack: 1, flags: TCP_FLAGS.ACK }, new Uint8Array(MAX_TCP_PAYLOAD + 1), 1)).toThrow(RangeError);
  });
});

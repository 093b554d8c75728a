/**
 * Properties of the formatters over generated replies:
 *
 * 1. every reply built here survives a dns-packet encode/decode, and prints the same before and
 *    after it (DESIGN.md, 'Actors and messages'), in every tool;
 * 2. every record line of dig's full output, read back field by field, gives the record's owner,
 *    TTL, class, type and RDATA, and after tab expansion each field starts at its column (24, 32,
 *    40, 48) or one past the field before (dns.md §6.1);
 * 3. `dig +short` prints one line per answer record;
 * 4. busybox nslookup exits 1 exactly when a reply had a non-zero rcode, with one
 *    `** server can't find` line per such reply;
 * 5. an IPv6 address prints the same whichever way it is written.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDig, formatNslookup, rdataText, type DigRun } from "../../../src/dns/format/index.js";
import { ntop6 } from "../../../src/dns/format/address.js";
import { nameText } from "../../../src/dns/format/names.js";
import { RCODE, roundTrip, type Answer, type Packet, type Rcode } from "../../../src/dns/message.js";
import { expandTabs, reply } from "./packets.js";

const label = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?$/) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 ;()@$"-]{1,8}$/) });
const name = fc.array(label, { minLength: 1, maxLength: 6 }).map((ls) => ls.join("."));
const ttl = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const groups = fc.array(fc.oneof(fc.constant("0"), hex), { minLength: 8, maxLength: 8 });
const ipv6 = groups.map((g) => g.join(":"));
const txtString = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));

const record: fc.Arbitrary<Answer> = fc.oneof(
  fc.tuple(name, ttl, fc.ipV4()).map(([n, t, ip]): Answer => ({ type: "A", name: n, ttl: t, class: "IN", data: ip })),
  fc.tuple(name, ttl, ipv6).map(([n, t, ip]): Answer => ({ type: "AAAA", name: n, ttl: t, class: "IN", data: ip })),
  fc.tuple(name, ttl, name, fc.constantFrom("CNAME", "PTR", "NS") as fc.Arbitrary<"CNAME" | "PTR" | "NS">).map(([n, t, target, type]): Answer => ({ type, name: n, ttl: t, class: "IN", data: target })),
  fc.tuple(name, ttl, name, fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 1, max: 65535 })).map(
    ([n, t, target, priority, weight, port]): Answer => ({ type: "SRV", name: n, ttl: t, class: "IN", data: { priority, weight, port, target } }),
  ),
  fc.tuple(name, ttl, name, fc.integer({ min: 0, max: 65535 })).map(([n, t, exchange, preference]): Answer => ({ type: "MX", name: n, ttl: t, class: "IN", data: { preference, exchange } })),
  fc.tuple(name, ttl, fc.array(txtString, { minLength: 1, maxLength: 3 })).map(([n, t, data]): Answer => ({ type: "TXT", name: n, ttl: t, class: "IN", data })),
  fc.tuple(name, ttl, name, name, fc.array(fc.nat(), { minLength: 5, maxLength: 5 })).map(
    ([n, t, mname, rname, [serial, refresh, retry, expire, minimum]]): Answer => ({ type: "SOA", name: n, ttl: t, class: "IN", data: { mname, rname, serial, refresh, retry, expire, minimum } }),
  ),
);

const rcode = fc.constantFrom<Rcode>("NOERROR", "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED");

/** A reply as a server would build one: any question, records in all three sections, maybe EDNS. */
const packet: fc.Arbitrary<Packet> = fc
  .record({
    qname: name,
    qtype: fc.constantFrom("A" as const, "AAAA" as const, "SRV" as const, "TXT" as const),
    rcode,
    authoritative: fc.boolean(),
    recursionAvailable: fc.boolean(),
    answers: fc.array(record, { maxLength: 5 }),
    authorities: fc.array(record, { maxLength: 2 }),
    additionals: fc.array(record, { maxLength: 3 }),
    edns: fc.option(fc.integer({ min: 512, max: 4096 }), { nil: undefined }),
    cookie: fc.option(fc.uint8Array({ minLength: 8, maxLength: 24 }).map((b) => Buffer.from(b).toString("hex")), { nil: undefined }),
    id: fc.integer({ min: 0, max: 65535 }),
  })
  .map((p) => reply(p.qname, p.qtype, { ...p, ...(p.cookie !== undefined && p.edns === undefined ? { edns: 1232 } : {}) }));

function digRun(p: Packet, short = false): DigRun {
  return { args: ["example"], short, reply: { packet: p, server: { address: "10.96.0.10" }, transport: "udp", queryTimeMs: 1, when: 1_800_000_000, clientCookie: "0011223344556677" } };
}

/** Every tool's output for a reply. */
function allOutputs(p: Packet): string[] {
  const q = p.questions?.[0]?.name ?? "x";
  return [
    formatDig(digRun(p)).stdout,
    formatDig(digRun(p, true)).stdout,
    formatNslookup({ server: { name: "10.96.0.10" }, replies: [{ name: q, packet: p }] }).stdout,
    formatNslookup({ style: "bind", name: q, events: [{ kind: "reply", server: { address: "10.96.0.10" }, packet: p }] }).stdout,
  ];
}

describe("format properties", () => {
  it("every generated reply survives encode/decode and every tool prints it the same after (DESIGN.md)", () => {
    fc.assert(
      fc.property(packet, (p) => {
        const before = allOutputs(p);
        expect(allOutputs(roundTrip(p))).toEqual(before);
      }),
    );
  });

  it("dns.md §6.1: each record line of dig's output reads back as owner, TTL, class, type and RDATA, at its columns", () => {
    fc.assert(
      fc.property(packet, (p) => {
        const lines = formatDig(digRun(p)).stdout.split("\n");
        const sections: [string, Answer[]][] = [
          [";; ANSWER SECTION:", p.answers ?? []],
          [";; AUTHORITY SECTION:", p.authorities ?? []],
          [";; ADDITIONAL SECTION:", (p.additionals ?? []).filter((r) => r.type !== "OPT")],
        ];
        for (const [title, records] of sections) {
          const at = lines.indexOf(title);
          expect(at >= 0).toBe(records.length > 0);
          records.forEach((r, i) => {
            const line = lines[at + 1 + i]!;
            const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
            expect(m).not.toBeNull();
            expect(m!.slice(1)).toEqual([nameText(r.name, { absolute: true }), String(r.type === "OPT" ? 0 : r.ttl), "IN", r.type, rdataText(r)]);
            const shown = expandTabs(line);
            let end = m![1]!.length;
            for (const [column, field] of [[24, m![2]!], [32, m![3]!], [40, m![4]!], [48, m![5]!]] as const) {
              const start = Math.max(column, end + 1);
              expect(shown.slice(start, start + field.length)).toBe(field);
              end = start + field.length;
            }
          });
        }
      }),
    );
  });

  it("dns.md §6.1: dig +short prints one line per answer record, and nothing else", () => {
    fc.assert(
      fc.property(packet, (p) => {
        const out = formatDig(digRun(p, true)).stdout;
        const lines = out === "" ? [] : out.slice(0, -1).split("\n");
        const warning = lines[0]?.startsWith(";; Warning:") ? 1 : 0;
        expect(lines.length - warning).toBe((p.answers ?? []).length);
      }),
    );
  });

  it("dns.md §5.5: busybox nslookup exits 1 exactly when a reply has a non-zero rcode, one `can't find` line each", () => {
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 6 }), (packets) => {
        const replies = packets.map((p, i) => ({ name: `q${i}.example`, packet: p }));
        const out = formatNslookup({ server: { name: "10.96.0.10" }, replies });
        const failures = packets.filter((p) => ((p.flags ?? 0) & 0xf) !== RCODE.NOERROR).length;
        expect(out.exitCode).toBe(failures > 0 ? 1 : 0);
        expect(out.stdout.split("\n").filter((l) => l.startsWith("** server can't find")).length).toBe(failures);
      }),
    );
  });

  it("an IPv6 address prints the same written in full, with leading zeros, or as already printed", () => {
    fc.assert(
      fc.property(groups, (g) => {
        const printed = ntop6(g.join(":"));
        expect(ntop6(g.map((x) => x.padStart(4, "0").toUpperCase()).join(":"))).toBe(printed);
        expect(ntop6(printed)).toBe(printed);
        expect(printed.split("::").length).toBeLessThanOrEqual(2);
      }),
    );
  });
});

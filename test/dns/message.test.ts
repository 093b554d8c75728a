import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeQuery, makeReply, nameEpoch, nameNumber, sharedCanonical, sizeBound, truncate, wireSize, type Answer } from "../../src/dns/message.js";

const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join("."));
const record: fc.Arbitrary<Answer> = fc.oneof(
  fc.tuple(name, fc.ipV4()).map(([n, ip]): Answer => ({ type: "A", name: n, ttl: 30, class: "IN", data: ip })),
  fc.tuple(name, fc.ipV6()).map(([n, ip]): Answer => ({ type: "AAAA", name: n, ttl: 30, class: "IN", data: ip })),
  fc.tuple(name, name).map(([n, t]): Answer => ({ type: "CNAME", name: n, ttl: 30, class: "IN", data: t })),
  fc.tuple(name, name, fc.integer({ min: 1, max: 65535 })).map(([n, t, port]): Answer => ({ type: "SRV", name: n, ttl: 30, class: "IN", data: { priority: 0, weight: 50, port, target: t } })),
  fc.tuple(name, fc.string({ maxLength: 40 })).map(([n, t]): Answer => ({ type: "TXT", name: n, ttl: 30, class: "IN", data: t })),
);

describe("reply sizes", () => {
  it("sizeBound never underestimates the wire size, so skipping the exact size is safe (property)", () => {
    fc.assert(
      fc.property(name, fc.array(record, { maxLength: 30 }), fc.option(fc.integer({ min: 512, max: 4096 }), { nil: undefined }), (q, answers, edns) => {
        const query = makeQuery(q, "A", { id: 1, ...(edns ? { ednsUdpSize: edns } : {}) });
        const reply = makeReply(query, { answers });
        expect(sizeBound(reply)).toBeGreaterThanOrEqual(wireSize(reply));
      }),
    );
  });

  it("truncates to 512 bytes without EDNS, setting TC and keeping whole answers (dns.md §3.2)", () => {
    const query = makeQuery("big.default.svc.cluster.local", "A", { id: 7 });
    const answers: Answer[] = Array.from({ length: 60 }, (_, i) => ({ type: "A", name: "big.default.svc.cluster.local", ttl: 30, class: "IN", data: `10.0.0.${i + 1}` }));
    const reply = truncate(makeReply(query, { answers }), 512);
    expect(wireSize(reply)).toBeLessThanOrEqual(512);
    expect((reply.flags ?? 0) & 0x200).toBe(0x200);
    expect(reply.answers!.length).toBeGreaterThan(5);
    expect(reply.answers!.length).toBeLessThan(60);
    const small = makeReply(query, { answers: answers.slice(0, 2) });
    expect(truncate(small, 512)).toBe(small);
  });
});

describe("makeReply's OPT", () => {
  it("echoes the client's COOKIE and NSID options but no others, as CoreDNS's supportedOptions does (dns.md §6.1: COOKIE echoed)", () => {
    const cookie = Buffer.from("3be3a2db162c8232", "hex");
    const query = makeQuery("web.default.svc.cluster.local", "A", { id: 1, ednsUdpSize: 1232 });
    const opt = query.additionals![0] as Extract<Answer, { type: "OPT" }>;
    opt.options.push({ code: 10, data: cookie } as never, { code: 3, data: Buffer.alloc(0) } as never, { code: 65001, data: Buffer.from([1]) } as never);
    const reply = makeReply(query, {});
    const echoed = (reply.additionals![0] as Extract<Answer, { type: "OPT" }>).options;
    expect(echoed.map((o) => o.code)).toEqual([10, 3]);
    expect(sizeBound(reply)).toBeGreaterThanOrEqual(wireSize(reply));
    expect(wireSize(reply)).toBe(wireSize(makeReply(makeQuery("web.default.svc.cluster.local", "A", { id: 1, ednsUdpSize: 1232 }), {})) + 4 + 8 + 4);
  });
});

describe("name numbers", () => {
  it("give each name as asked one number, the next free one, and one canonical string while the numbering holds", () => {
    const epoch = nameEpoch();
    const a = nameNumber("Numbered-A.example");
    expect(nameNumber("Numbered-A.example")).toBe(a);
    expect(nameNumber("numbered-b.example.")).toBe(a + 1);
    expect(sharedCanonical("Numbered-A.example")).toBe("numbered-a.example.");
    expect(sharedCanonical("Numbered-A.example")).toBe(sharedCanonical("Numbered-A.example"));
    expect(nameEpoch()).toBe(epoch);
  });
});

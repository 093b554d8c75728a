import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressError, Cidr, formatIpv4, parseIpv4 } from "../../src/index.js";

const UINT32_MAX = 2 ** 32 - 1;
const uint32 = fc.integer({ min: 0, max: UINT32_MAX });
const prefixArb = fc.integer({ min: 0, max: 32 });

/** A CIDR with any base address (host bits cleared) and any prefix. */
const cidrArb = fc.tuple(uint32, prefixArb).map(([a, p]) => Cidr.of(a, p));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

describe("parseIpv4 / formatIpv4", () => {
  it("reads and writes known addresses", () => {
    expect(parseIpv4("0.0.0.0")).toBe(0);
    expect(parseIpv4("10.0.0.1")).toBe(167772161);
    expect(parseIpv4("192.168.1.254")).toBe(0xc0a801fe);
    expect(parseIpv4("255.255.255.255")).toBe(UINT32_MAX);
    expect(formatIpv4(0)).toBe("0.0.0.0");
    expect(formatIpv4(167772161)).toBe("10.0.0.1");
    expect(formatIpv4(0xc0a801fe)).toBe("192.168.1.254");
    expect(formatIpv4(UINT32_MAX)).toBe("255.255.255.255");
  });

  it("round-trips every uint32 (property)", () => {
    fc.assert(
      fc.property(uint32, (n) => {
        const text = formatIpv4(n);
        expect(text).toMatch(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
        expect(parseIpv4(text)).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips every dotted quad written without leading zeros (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (bytes) => {
        const text = bytes.join(".");
        const n = parseIpv4(text);
        expect(n).toBe(((bytes[0]! * 256 + bytes[1]!) * 256 + bytes[2]!) * 256 + bytes[3]!);
        expect(formatIpv4(n)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it.each(["", "10.0.0", "10.0.0.1.2", "10.0.0.256", "10.0.0.-1", "a.b.c.d", "10.0..1", "10.0.0.1 ", " 10.0.0.1", "1000.0.0.1", "10.0.0.0/8", "::1"])(
    "rejects %j with an AddressError naming it",
    (text) => {
      const e = thrown(() => parseIpv4(text));
      expect(e).toBeInstanceOf(AddressError);
      expect((e as Error).message).toContain(JSON.stringify(text));
    },
  );

  it("rejects any string that is not a dotted quad of 0-255 without leading zeros, naming it (property)", () => {
    const part = "(0|[1-9]\\d{0,2})";
    const valid = new RegExp(`^${part}\\.${part}\\.${part}\\.${part}$`);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9.]{0,16}$/)), (text) => {
        const m = valid.exec(text);
        if (m && m.slice(1).every((p) => Number(p) <= 255)) {
          expect(parseIpv4(text)).toBeGreaterThanOrEqual(0);
          return;
        }
        const e = thrown(() => parseIpv4(text));
        expect(e).toBeInstanceOf(AddressError);
        expect((e as Error).message).toContain(JSON.stringify(text));
      }),
      { numRuns: 1000, examples: [["0.0.00.0"], ["010.0.0.1"], ["1.2.3.4"], ["0.0.0.0"]] },
    );
  });
});

describe("Cidr", () => {
  it("parses a range: base, prefix, size, text", () => {
    const c = Cidr.parse("10.96.0.0/12");
    expect(c.base).toBe(parseIpv4("10.96.0.0"));
    expect(c.prefix).toBe(12);
    expect(c.size).toBe(2 ** 20);
    expect(String(c)).toBe("10.96.0.0/12");
    expect(Cidr.parse("0.0.0.0/0").size).toBe(2 ** 32);
    expect(Cidr.parse("10.1.2.3/32").size).toBe(1);
  });

  it.each(["10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/ 8", "10.0.0.0/123"])(
    "rejects the malformed range %j with an AddressError naming it",
    (text) => {
      const e = thrown(() => Cidr.parse(text));
      expect(e).toBeInstanceOf(AddressError);
      expect((e as Error).message).toContain(JSON.stringify(text));
      expect((e as Error).message).toContain("e.g. 10.96.0.0/12");
    },
  );

  it.each([
    ["x/8", "x"],
    ["/8", ""],
    ["10.0.0.300/24", "10.0.0.300"],
  ])("rejects %j, whose address part is bad, naming that part", (text, part) => {
    const e = thrown(() => Cidr.parse(text));
    expect(e).toBeInstanceOf(AddressError);
    expect((e as Error).message).toContain(JSON.stringify(part));
  });

  it("rejects host bits set and suggests the range the author meant", () => {
    const e = thrown(() => Cidr.parse("10.0.0.1/24"));
    expect(e).toBeInstanceOf(AddressError);
    expect((e as Error).message).toContain('"10.0.0.1/24"');
    expect((e as Error).message).toContain("host bits");
    expect((e as Error).message).toContain("did you mean 10.0.0.0/24?");
    expect(() => Cidr.parse("10.97.0.0/11")).toThrow("did you mean 10.96.0.0/11?");
  });

  it("accepts exactly the aligned ranges, and otherwise suggests the aligned one containing the address (property)", () => {
    fc.assert(
      fc.property(uint32, prefixArb, (a, p) => {
        const text = `${formatIpv4(a)}/${p}`;
        const aligned = a % 2 ** (32 - p) === 0;
        if (aligned) {
          const c = Cidr.parse(text);
          expect(c.base).toBe(a);
          expect(String(c)).toBe(text);
          return;
        }
        const e = thrown(() => Cidr.parse(text));
        expect(e).toBeInstanceOf(AddressError);
        const suggestion = /did you mean (\S+)\?/.exec((e as Error).message)?.[1];
        expect(suggestion).toBeDefined();
        const s = Cidr.parse(suggestion!);
        expect(s.prefix).toBe(p);
        expect(s.contains(formatIpv4(a))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("Cidr.of clears the host bits", () => {
    expect(String(Cidr.of(parseIpv4("10.1.2.3"), 16))).toBe("10.1.0.0/16");
    expect(String(Cidr.of(parseIpv4("10.1.2.3"), 32))).toBe("10.1.2.3/32");
    expect(String(Cidr.of(parseIpv4("10.1.2.3"), 0))).toBe("0.0.0.0/0");
  });

  it("nth counts from the network address and refuses indexes outside the range", () => {
    const c = Cidr.parse("10.1.2.0/24");
    expect(c.nth(0)).toBe("10.1.2.0");
    expect(c.nth(2)).toBe("10.1.2.2");
    expect(c.nth(255)).toBe("10.1.2.255");
    expect(() => c.nth(256)).toThrow(AddressError);
    expect(() => c.nth(-1)).toThrow(AddressError);
    expect(() => c.nth(1.5)).toThrow(AddressError);
    expect(() => c.nth(256)).toThrow("10.1.2.0/24 has no address number 256: it holds 256");
    expect(Cidr.parse("10.0.0.0/8").nth(65536 + 256 + 1)).toBe("10.1.1.1");
  });

  it("nth stays in the range and is contained by it (property)", () => {
    fc.assert(
      fc.property(cidrArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (c, f) => {
        const i = Math.floor(f * c.size);
        const ip = c.nth(i);
        expect(parseIpv4(ip)).toBe(c.base + i);
        expect(c.contains(ip)).toBe(true);
      }),
    );
  });

  it("subnet picks the index-th subrange and refuses ones that do not fit", () => {
    const c = Cidr.parse("10.10.0.0/16");
    expect(String(c.subnet(24, 0))).toBe("10.10.0.0/24");
    expect(String(c.subnet(24, 3))).toBe("10.10.3.0/24");
    expect(String(c.subnet(24, 255))).toBe("10.10.255.0/24");
    expect(String(c.subnet(16, 0))).toBe("10.10.0.0/16");
    expect(String(c.subnet(17, 1))).toBe("10.10.128.0/17");
    expect(() => c.subnet(24, 256)).toThrow(AddressError);
    expect(() => c.subnet(24, 256)).toThrow("room for 256 /24 ranges, not 257");
    expect(() => c.subnet(24, -1)).toThrow(AddressError);
    expect(() => c.subnet(8, 0)).toThrow("a /8 does not fit inside 10.10.0.0/16");
  });

  it("subnets tile their parent: inside it, contiguous, and pairwise disjoint (property)", () => {
    fc.assert(
      fc.property(fc.tuple(uint32, fc.integer({ min: 8, max: 30 })), fc.integer({ min: 0, max: 2 }), ([a, p], extra) => {
        const parent = Cidr.of(a, p);
        const q = p + extra;
        const count = Math.min(parent.size / 2 ** (32 - q), 8);
        const subs = Array.from({ length: count }, (_, i) => parent.subnet(q, i));
        subs.forEach((s, i) => {
          expect(s.prefix).toBe(q);
          expect(parent.overlaps(s)).toBe(true);
          expect(parent.contains(formatIpv4(s.base))).toBe(true);
          expect(parent.contains(formatIpv4(s.base + s.size - 1))).toBe(true);
          if (i > 0) expect(s.base).toBe(subs[i - 1]!.base + subs[i - 1]!.size);
          for (let j = 0; j < i; j++) expect(s.overlaps(subs[j]!)).toBe(false);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("contains is true exactly from the first to the last address", () => {
    const c = Cidr.parse("10.96.0.0/12");
    expect(c.contains("10.96.0.0")).toBe(true);
    expect(c.contains("10.100.1.2")).toBe(true);
    expect(c.contains("10.111.255.255")).toBe(true);
    expect(c.contains("10.95.255.255")).toBe(false);
    expect(c.contains("10.112.0.0")).toBe(false);
    expect(() => c.contains("10.96.0")).toThrow(AddressError);
  });

  it("overlaps: nested, equal, adjacent and apart", () => {
    const big = Cidr.parse("10.0.0.0/8");
    const small = Cidr.parse("10.96.0.0/12");
    const next = Cidr.parse("11.0.0.0/8");
    expect(big.overlaps(small)).toBe(true);
    expect(small.overlaps(big)).toBe(true);
    expect(big.overlaps(Cidr.parse("10.0.0.0/8"))).toBe(true);
    expect(big.overlaps(next)).toBe(false);
    expect(Cidr.parse("10.10.0.0/24").overlaps(Cidr.parse("10.10.1.0/24"))).toBe(false);
    expect(Cidr.parse("0.0.0.0/0").overlaps(Cidr.parse("255.255.255.255/32"))).toBe(true);
  });

  it("overlaps is symmetric and true iff one range holds the other's first address (property)", () => {
    fc.assert(
      fc.property(cidrArb, cidrArb, (x, y) => {
        const o = x.overlaps(y);
        expect(y.overlaps(x)).toBe(o);
        expect(o).toBe(x.contains(formatIpv4(y.base)) || y.contains(formatIpv4(x.base)));
      }),
      { numRuns: 1000 },
    );
  });

  it("overlaps is true iff some address lies in both, by enumeration in a small space (property)", () => {
    const space = parseIpv4("10.20.0.0");
    const small = fc.tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 22, max: 32 })).map(([off, p]) => Cidr.of(space + off, p));
    fc.assert(
      fc.property(small, small, (x, y) => {
        let shared = false;
        for (let off = 0; off < 1024 && !shared; off++) {
          const ip = formatIpv4(space + off);
          shared = x.contains(ip) && y.contains(ip);
        }
        expect(x.overlaps(y)).toBe(shared);
        expect(y.overlaps(x)).toBe(shared);
      }),
      { numRuns: 300 },
    );
  });
});

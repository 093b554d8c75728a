import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/k8s/apiserver.js";
import { ClusterIpAllocator, clusterIpAdmission } from "../../src/k8s/ipam.js";
import { Cidr, formatIpv4, parseIpv4 } from "../../src/net/ip.js";
import { Rng } from "../../src/sim/rng.js";
import { bareApi, service } from "./cluster-world.js";

const allocator = (range: string, seed = 1) => new ClusterIpAllocator(Cidr.parse(range), Rng.root(seed).stream("ipam"));
const offset = (range: string, ip: string) => parseIpv4(ip) - Cidr.parse(range).base;

/** The size of the lower (static) band for a range of `size` addresses, from KEP-3070: min(max(16, size/16), 256). */
const staticBand = (size: number) => Math.min(Math.max(16, Math.floor(size / 16)), 256);

describe("ClusterIpAllocator", () => {
  it("hands out every address of a small range but the network and broadcast ones, then says the range is full", () => {
    const a = allocator("10.96.0.0/28");
    const got = Array.from({ length: 14 }, () => a.allocate());
    expect(new Set(got).size).toBe(14);
    expect(got.map((ip) => offset("10.96.0.0/28", ip)).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const e = (() => {
      try {
        a.allocate();
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).message).toBe("Error from server (Invalid): spec.clusterIPs: Internal error: failed to allocate a serviceIP: range is full");
  });

  it("prefers the upper band: the lower static band is used only once the upper one is full", () => {
    const range = "10.96.0.0/24"; // static band .1–.16, dynamic .17–.254
    const a = allocator(range);
    const first = Array.from({ length: 254 - 16 }, () => offset(range, a.allocate()));
    expect(Math.min(...first)).toBe(17);
    expect(Math.max(...first)).toBe(254);
    expect(new Set(first).size).toBe(238);
    const then = Array.from({ length: 16 }, () => offset(range, a.allocate())).sort((x, y) => x - y);
    expect(then).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(() => a.allocate()).toThrow("range is full");
  });

  it("sizes the static band as KEP-3070 says: 16 to 256 addresses, a sixteenth of the range", () => {
    for (const [range, band] of [
      ["10.96.0.0/24", 16],
      ["10.96.0.0/22", 64],
      ["10.96.0.0/20", 256],
      ["10.96.0.0/12", 256],
    ] as const) {
      const size = Cidr.parse(range).size;
      const upper = size - 2 - band;
      const a = allocator(range, 3);
      // The whole upper band first (all of it for the smaller ranges), ...
      for (let i = 0; i < Math.min(upper, 4000); i++) expect(offset(range, a.allocate())).toBeGreaterThan(band);
      // ... then the static band.
      if (upper <= 4000) expect(offset(range, a.allocate())).toBeLessThanOrEqual(band);
    }
  });

  it("picks at random, deterministically per seed", () => {
    const draw = (seed: number) => {
      const a = allocator("10.96.0.0/16", seed);
      return Array.from({ length: 8 }, () => a.allocate());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(2)).not.toEqual(draw(1));
    // Not handed out in order: consecutive picks are not neighbours.
    const offs = draw(1).map((ip) => offset("10.96.0.0/16", ip));
    const neighbours = offs.slice(1).filter((o, i) => Math.abs(o - offs[i]!) === 1).length;
    expect(neighbours).toBeLessThan(2);
    // Spread over the dynamic band, not bunched at its start.
    const a = allocator("10.96.0.0/16", 4);
    const many = Array.from({ length: 400 }, () => offset("10.96.0.0/16", a.allocate()));
    const mid = (256 + 65534) / 2;
    const above = many.filter((o) => o > mid).length;
    expect(above).toBeGreaterThan(150);
    expect(above).toBeLessThan(250);
  });

  it("reserves by hand: a reserved address is never allocated, a taken or foreign one is refused in the API server's words", () => {
    const range = "10.96.0.0/28";
    const a = allocator(range);
    a.reserve("10.96.0.10");
    expect(() => a.reserve("10.96.0.10")).toThrow(
      'Error from server (Invalid): spec.clusterIPs: Invalid value: "10.96.0.10": failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    for (const ip of ["10.96.0.0", "10.96.0.15", "10.96.0.16", "10.97.0.1"]) {
      expect(() => a.reserve(ip)).toThrow(
        `Error from server (Invalid): spec.clusterIPs: Invalid value: "${ip}": failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/28`,
      );
    }
    const got = Array.from({ length: 13 }, () => a.allocate());
    expect(got).not.toContain("10.96.0.10");
    expect(() => a.allocate()).toThrow("range is full");
  });

  it("releases: a freed address can be reserved again and allocated again", () => {
    const a = allocator("10.96.0.0/28");
    const all = Array.from({ length: 14 }, () => a.allocate());
    a.release(all[3]!);
    expect(a.allocate()).toBe(all[3]);
    a.release(all[5]!);
    a.reserve(all[5]!);
    expect(() => a.allocate()).toThrow("range is full");
    expect(a.covers("10.96.0.7")).toBe(true);
    expect(a.covers("10.96.0.16")).toBe(false);
  });

  it("hands out unique addresses in range, from the upper band while it has room, under any mix of allocate, reserve and release (property)", () => {
    type Op = { readonly op: "allocate" } | { readonly op: "reserve"; readonly at: number } | { readonly op: "release"; readonly pick: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ op: "allocate" } as const) },
      { weight: 1, arbitrary: fc.nat().map((at) => ({ op: "reserve", at }) as const) },
      { weight: 2, arbitrary: fc.nat().map((pick) => ({ op: "release", pick }) as const) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 22, max: 29 }), fc.array(opArb, { maxLength: 200 }), (seed, prefix, ops) => {
        const range = Cidr.parse(`10.96.0.0/${prefix}`);
        const a = new ClusterIpAllocator(range, Rng.root(seed).stream("ipam"));
        const first = range.base + 1;
        const last = range.base + range.size - 2;
        const staticEnd = Math.min(first + staticBand(range.size) - 1, last);
        const held = new Set<number>();
        const freeInUpper = () => last - staticEnd - [...held].filter((v) => v > staticEnd).length;
        for (const op of ops) {
          if (op.op === "allocate") {
            if (held.size === last - first + 1) {
              expect(() => a.allocate()).toThrow("range is full");
              continue;
            }
            const upperHadRoom = freeInUpper() > 0;
            const v = parseIpv4(a.allocate());
            expect(v).toBeGreaterThanOrEqual(first);
            expect(v).toBeLessThanOrEqual(last);
            expect(held.has(v)).toBe(false);
            if (upperHadRoom) expect(v).toBeGreaterThan(staticEnd);
            held.add(v);
          } else if (op.op === "reserve") {
            const v = first + (op.at % (last - first + 1));
            if (held.has(v)) expect(() => a.reserve(formatIpv4(v))).toThrow("already allocated");
            else {
              a.reserve(formatIpv4(v));
              held.add(v);
            }
          } else if (held.size > 0) {
            const v = [...held][op.pick % held.size]!;
            a.release(formatIpv4(v));
            held.delete(v);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("clusterIpAdmission", () => {
  const withIpam = (range = "10.96.0.0/24", seed = 1) => {
    const { api, sim } = bareApi(seed);
    const ipam = new ClusterIpAllocator(Cidr.parse(range), Rng.root(seed).stream("ipam"));
    api.addAdmission(clusterIpAdmission(ipam));
    return { api, sim, ipam };
  };

  it("gives a ClusterIP Service an address from the upper band, with families and policy filled in", () => {
    const { api } = withIpam();
    for (const type of ["ClusterIP", "NodePort", "LoadBalancer", undefined] as const) {
      const name = `s-${type ?? "default"}`.toLowerCase();
      const svc = api.create(service(name, { app: "a" }, type ? { type } : {}));
      expect(offset("10.96.0.0/24", svc.spec.clusterIP!)).toBeGreaterThan(16);
      expect(svc.spec.clusterIPs).toEqual([svc.spec.clusterIP]);
      expect(svc.spec.ipFamilies).toEqual(["IPv4"]);
      expect(svc.spec.ipFamilyPolicy).toBe("SingleStack");
    }
  });

  it("keeps None for headless Services and gives ExternalName Services no address", () => {
    const { api } = withIpam();
    const headless = api.create(service("h", { app: "h" }, { clusterIP: "None" }));
    expect(headless.spec.clusterIPs).toEqual(["None"]);
    expect(headless.spec.ipFamilies).toEqual(["IPv4"]);
    const ext = api.create(service("e", undefined, { type: "ExternalName", externalName: "example.com" }));
    expect(ext.spec).not.toHaveProperty("clusterIP");
    expect(ext.spec).not.toHaveProperty("clusterIPs");
  });

  it("takes addresses given by hand, IPv6 ones as written, and calls two families RequireDualStack", () => {
    const { api } = withIpam();
    const svc = api.create(service("ds", { app: "a" }, { clusterIPs: ["10.96.0.10", "fd00:96::10"] }));
    expect(svc.spec.clusterIP).toBe("10.96.0.10");
    expect(svc.spec.ipFamilies).toEqual(["IPv4", "IPv6"]);
    expect(svc.spec.ipFamilyPolicy).toBe("RequireDualStack");
    expect(() => api.create(service("again", { app: "a" }, { clusterIP: "10.96.0.10" }))).toThrow("provided IP is already allocated");
  });

  it("keeps addresses on update, refuses to change them, and writes nothing when re-applied unchanged", () => {
    const { api } = withIpam();
    const ip = api.create(service("a", { app: "a" })).spec.clusterIP!;
    const ext = api.create(service("e", undefined, { type: "ExternalName", externalName: "example.com" }));
    const rv = api.resourceVersion;
    api.apply(service("a", { app: "a" }));
    api.apply(service("e", undefined, { type: "ExternalName", externalName: "example.com" }));
    api.apply(service("a", { app: "a" }, { clusterIP: ip }));
    expect(api.resourceVersion).toBe(rv);
    expect(api.get("Service", "default", "e")!.metadata.resourceVersion).toBe(ext.metadata.resourceVersion);
    expect(api.get("Service", "default", "e")!.spec).not.toHaveProperty("clusterIP");
    api.apply(service("a", { app: "b" }));
    expect(api.get("Service", "default", "a")!.spec.clusterIP).toBe(ip);
    const other = ip === "10.96.0.99" ? "10.96.0.98" : "10.96.0.99";
    expect(() => api.apply(service("a", { app: "a" }, { clusterIP: other }))).toThrow(
      `Error from server (Invalid): Service "a" is invalid: spec.clusterIPs[0]: Invalid value: "${other}": field is immutable`,
    );
    // The refused change reserved nothing.
    expect(api.create(service("b", { app: "b" }, { clusterIP: other })).spec.clusterIP).toBe(other);
  });

  it("frees a deleted Service's address", () => {
    const { api } = withIpam("10.96.0.0/28");
    const ips = Array.from({ length: 14 }, (_, i) => api.create(service(`s${i}`, { app: "a" })).spec.clusterIP!);
    expect(() => api.create(service("one-too-many", { app: "a" }))).toThrow("range is full");
    api.delete("Service", "default", "s4");
    expect(api.create(service("again", { app: "a" })).spec.clusterIP).toBe(ips[4]);
  });

  it("holds no address for a Service it refused", () => {
    const { api } = withIpam();
    expect(() => api.create(service("bad", { app: "a" }, { clusterIPs: ["10.96.0.20", "10.96.0.20"] }))).toThrow("already allocated");
    expect(() => api.create(service("bad2", { app: "a" }, { clusterIPs: ["10.96.0.21", "10.200.0.1"] }))).toThrow("not in the valid range");
    expect(api.get("Service", "default", "bad")).toBeUndefined();
    expect(api.create(service("ok", { app: "a" }, { clusterIP: "10.96.0.20" })).spec.clusterIP).toBe("10.96.0.20");
    expect(api.create(service("ok2", { app: "a" }, { clusterIP: "10.96.0.21" })).spec.clusterIP).toBe("10.96.0.21");
  });

  it("allocates the same addresses for the same seed and others for another seed", () => {
    const ips = (seed: number) => {
      const { api } = withIpam("10.96.0.0/16", seed);
      return [0, 1, 2, 3].map((i) => api.create(service(`s${i}`, { app: "a" })).spec.clusterIP);
    };
    expect(ips(11)).toEqual(ips(11));
    expect(ips(12)).not.toEqual(ips(11));
  });
});

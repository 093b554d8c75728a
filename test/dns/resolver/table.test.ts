/**
 * dns.md §5.7: how many queries a lookup generates in a default pod (namespace `default`, zone
 * cluster.local, no extra node search domains), and in which order, for glibc, musl and Go.
 */

import { describe, expect, it } from "vitest";
import { BEHAVIOURS, candidateNames } from "../../../src/dns/resolver/index.js";
import { pairs, podConfText, run, settingsFor } from "./helpers.js";

const S = ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"];
const searched = (n: string): string[] => S.map((d) => `${n}.${d}`);

describe("§5.7 query counts in a default pod", () => {
  it("the default pod resolv.conf is the kubelet's ClusterFirst file (§5.1)", () => {
    expect(podConfText()).toBe("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  });

  for (const b of BEHAVIOURS) {
    describe(b, () => {
      it("§5.7 `myservice` (exists in default): 2 queries, A+AAAA of myservice.default.svc.cluster.local", () => {
        const r = run(b, "myservice");
        expect(r.seq).toEqual(pairs("myservice.default.svc.cluster.local"));
        expect(r.result.ok).toBe(true);
        expect(r.result.addresses).toEqual([{ family: 4, address: "10.96.1.1" }]);
        expect(r.result.answeredName).toBe("myservice.default.svc.cluster.local");
      });

      it("§5.7 `myservice.production`: 4 queries (…production.default.svc NXDOMAIN, then …production.svc.cluster.local)", () => {
        const r = run(b, "myservice.production");
        expect(r.seq).toEqual(pairs("myservice.production.default.svc.cluster.local", "myservice.production.svc.cluster.local"));
        expect(r.result.addresses).toEqual([{ family: 4, address: "10.96.2.2" }]);
      });

      it("§5.7 `api.example.com` (external): 8 queries, 3 search NXDOMAIN pairs then the name as is", () => {
        const r = run(b, "api.example.com");
        expect(r.seq).toEqual(pairs(...searched("api.example.com"), "api.example.com"));
        expect(r.result.addresses).toEqual([
          { family: 4, address: "93.184.216.34" },
          { family: 6, address: "2606:2800:220:1::1" },
        ]);
      });

      it("§5.7 a 4-dot name (`myservice.production.svc.clusterset.local`, 4 < ndots 5): 8 queries, search domains first", () => {
        const n = "myservice.production.svc.clusterset.local";
        const r = run(b, n);
        expect(r.sent.length).toBe(8);
        expect(r.seq).toEqual(pairs(`${n}.default.svc.cluster.local`, `${n}.svc.cluster.local`, `${n}.cluster.local`, n));
        expect(r.result.addresses).toEqual([{ family: 4, address: "10.112.0.7" }]);
      });

      it("§5.7 `myservice.production.svc.us-east.example.com` has 5 dots, not 4 as the table says: as is first, 2 queries", () => {
        const n = "myservice.production.svc.us-east.example.com";
        expect(n.split(".").length - 1).toBe(5);
        const r = run(b, n);
        expect(r.seq).toEqual(pairs(n));
        expect(r.result.ok).toBe(true);
      });

      it("§5.7 same name with a trailing dot: 2 queries", () => {
        const n = "myservice.production.svc.us-east.example.com";
        const r = run(b, `${n}.`);
        expect(r.seq).toEqual(pairs(n));
        expect(r.result.ok).toBe(true);
      });

      it("§5.7 the 4-dot name with options ndots:4: 2 queries (as is first)", () => {
        const n = "myservice.production.svc.clusterset.local";
        const text = podConfText("default").replace("ndots:5", "ndots:4");
        const r = run(b, n, undefined, { text });
        expect(r.seq).toEqual(pairs(n));
      });

      it("§5.7 each extra node search domain adds one A+AAAA pair to an external lookup (EKS: 10)", () => {
        const text = "search default.svc.cluster.local svc.cluster.local cluster.local us-east-1.compute.internal\nnameserver 10.96.0.10\noptions ndots:5\n";
        const r = run(b, "api.example.com", undefined, { text });
        expect(r.sent.length).toBe(10);
        expect(r.seq.slice(6, 8)).toEqual(pairs("api.example.com.us-east-1.compute.internal"));
      });
    });
  }
});

describe("§5.2–5.4 query sequence for names with 0 to 6 dots, nothing found (all NXDOMAIN)", () => {
  const names = ["a", "a.b", "a.b.c", "a.b.c.d", "a.b.c.d.e", "a.b.c.d.e.f", "a.b.c.d.e.f.g"];
  for (const n of names) {
    const dots = n.split(".").length - 1;
    const asIsFirst = dots >= 5;
    it(`§5.2 glibc, ${dots} dots: ${asIsFirst ? "as is first, then the 3 search domains" : "3 search domains, then as is"}: 8 queries`, () => {
      const r = run("glibc", n);
      expect(r.seq).toEqual(asIsFirst ? pairs(n, ...searched(n)) : pairs(...searched(n), n));
      expect(r.result.code).toBe("EAI_NONAME");
    });
    it(`§5.3 musl, ${dots} dots: ${asIsFirst ? "search suppressed, the name only: 2 queries" : "3 search domains, then the name: 8 queries"}`, () => {
      const r = run("musl", n);
      expect(r.seq).toEqual(asIsFirst ? pairs(n) : pairs(...searched(n), n));
      expect(r.result.code).toBe("EAI_NONAME");
    });
    it(`§5.4 go, ${dots} dots: ${asIsFirst ? "as is first, then the suffixes" : "suffixes, then as is"}: 8 queries`, () => {
      const r = run("go", n);
      expect(r.seq).toEqual(asIsFirst ? pairs(n, ...searched(n)) : pairs(...searched(n), n));
      expect(r.result.message).toBe(`lookup ${n} on 10.96.0.10:53: no such host`);
    });
    it(`§5.2–5.4 ${dots} dots and a trailing dot: only the name, 2 queries, for all three`, () => {
      for (const b of BEHAVIOURS) expect(run(b, `${n}.`).seq).toEqual(pairs(n));
    });
    it(`candidateNames(${dots} dots) lists what the lookups send`, () => {
      for (const b of BEHAVIOURS) {
        const sentNames = [...new Set(run(b, n).sent.map((q) => q.name))];
        expect(sentNames).toEqual(candidateNames(settingsFor(b), n));
      }
    });
  }
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MILLISECOND, SECOND, World } from "../../src/index.js";

/**
 * A deleted Service stops resolving once the change has reached CoreDNS and what its cache holds
 * has expired — and not before the cache's TTL says (dns.md §4.3: the cached duration is
 * min(max(record TTL, 5 s), cache max TTL)).
 */
function corefile(cacheTtl: number): string {
  return `.:53 {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    forward . /etc/resolv.conf
    cache ${cacheTtl}
}
`;
}

const MANIFESTS = `
apiVersion: v1
kind: Service
metadata: {name: gone}
spec:
  selector: {app: gone}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: "debian:12"}]}
`;

describe("a deleted Service (dns.md §4.3)", () => {
  it("keeps resolving from the cache until the cached duration ends, then is NXDOMAIN (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 60 }), fc.double({ min: 0.05, max: 0.8, noNaN: true }), fc.integer({ min: 1, max: 1000 }), (cacheTtl, deleteFraction, seed) => {
        const world = new World({ seed });
        world.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], dns: { corefile: corefile(cacheTtl), replicas: 1 } });
        world.apply("east", MANIFESTS);
        world.runFor(20 * SECOND);
        const name = "gone.default.svc.cluster.local.";
        const lookup = () => world.resolve("east", "default/client", name, { family: "inet" });
        const first = lookup();
        world.runFor(100 * MILLISECOND);
        expect(first.result!.ok).toBe(true);
        const cachedFor = Math.min(30, cacheTtl) * SECOND;
        const cachedAt = first.result!.finishedAt;
        world.runUntil(first.result!.startedAt + Math.round(cachedFor * deleteFraction));
        world.delete("east", "Service", "default", "gone");
        // Well after CoreDNS has seen the deletion, but before the cached answer expires: still there.
        world.runFor(200 * MILLISECOND);
        expect(world.sim.now).toBeLessThan(cachedAt + cachedFor - 500 * MILLISECOND);
        const cached = lookup();
        world.runFor(50 * MILLISECOND);
        expect(cached.result!.ok).toBe(true);
        world.runUntil(cachedAt + cachedFor + 500 * MILLISECOND);
        const after = lookup();
        world.runFor(100 * MILLISECOND);
        expect(after.result!.ok).toBe(false);
        expect(after.result!.error).toBe("not-found");
      }),
      { numRuns: 12 },
    );
  });
});

/**
 * busybox nslookup and dig query planning (dns.md §5.5–5.6, and their §5.7 columns).
 */

import { describe, expect, it } from "vitest";
import { SECOND } from "../../../src/sim/time.js";
import { busyboxNslookupPlan, digPlan, reverseName } from "../../../src/dns/resolver/index.js";
import { podConfText } from "./helpers.js";

const conf = podConfText();

describe("busybox nslookup (§5.5)", () => {
  it("§5.7 `myservice` with busybox ≥ 1.30: A for each search domain, then AAAA for each: 6 queries at once, bare name never", () => {
    const p = busyboxNslookupPlan("myservice", conf);
    expect(p).toEqual({
      kind: "queries",
      queries: [
        { name: "myservice.default.svc.cluster.local", qtype: "A" },
        { name: "myservice.svc.cluster.local", qtype: "A" },
        { name: "myservice.cluster.local", qtype: "A" },
        { name: "myservice.default.svc.cluster.local", qtype: "AAAA" },
        { name: "myservice.svc.cluster.local", qtype: "AAAA" },
        { name: "myservice.cluster.local", qtype: "AAAA" },
      ],
      servers: ["10.96.0.10"],
      timeout: 5 * SECOND,
      retryInterval: 2.5 * SECOND,
    });
  });

  it("§5.7 a name with a dot is queried literally: `myservice.production` → 2 queries", () => {
    const p = busyboxNslookupPlan("myservice.production", conf);
    expect(p.kind === "queries" && p.queries).toEqual([
      { name: "myservice.production", qtype: "A" },
      { name: "myservice.production", qtype: "AAAA" },
    ]);
  });

  it("§5.5 busybox 1.29 has its own resolver but no search domains; ≤ 1.28 uses the libc", () => {
    const p = busyboxNslookupPlan("myservice", conf, { version: "1.29.3" });
    expect(p.kind === "queries" && p.queries.map((q) => q.name)).toEqual(["myservice", "myservice"]);
    expect(busyboxNslookupPlan("myservice", conf, { version: "1.28.4" })).toEqual({ kind: "libc" });
  });

  it("§5.5 -type=SRV with search, an explicit server, and an address → PTR", () => {
    const p = busyboxNslookupPlan("web", conf, { type: "srv", server: "10.0.0.9" });
    expect(p.kind === "queries" && [p.queries.length, p.queries[0], p.servers]).toEqual([3, { name: "web.default.svc.cluster.local", qtype: "SRV" }, ["10.0.0.9"]]);
    const r = busyboxNslookupPlan("10.96.0.10", conf);
    expect(r.kind === "queries" && r.queries).toEqual([{ name: "10.0.96.10.in-addr.arpa", qtype: "PTR" }]);
  });

  it("reverse names for IPv6 addresses use 32 nibbles", () => {
    expect(reverseName("2001:db8::1")).toBe("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    expect(reverseName("web")).toBeUndefined();
  });
});

describe("dig (§5.6)", () => {
  it("§5.7 dig sends one query and no search: `myservice` → `myservice.`", () => {
    expect(digPlan("myservice", conf)).toEqual({ names: ["myservice"], qtype: "A", servers: ["10.96.0.10"], tries: 3, timeout: 5 * SECOND });
  });

  it("§5.6 +search walks the search list like the resolver (ndots from resolv.conf)", () => {
    expect(digPlan("web", conf, { search: true }).names).toEqual(["web.default.svc.cluster.local", "web.svc.cluster.local", "web.cluster.local", "web"]);
    expect(digPlan("a.b.c.d.e.f", conf, { search: true }).names[0]).toBe("a.b.c.d.e.f");
    expect(digPlan("web.", conf, { search: true }).names).toEqual(["web"]);
  });

  it("§5.6 type and server options", () => {
    expect(digPlan("web", conf, { type: "aaaa", server: "1.1.1.1", tries: 1, timeout: 2 })).toMatchObject({ qtype: "AAAA", servers: ["1.1.1.1"], tries: 1, timeout: 2 * SECOND });
  });
});

/**
 * The kubelet's resolv.conf for a pod (dns.md §5.1, pkg/kubelet/network/dns/dns.go), the file text,
 * and the node-file reader.
 */

import { describe, expect, it } from "vitest";
import {
  PodDnsError,
  ResolvConfError,
  formatResolvConf,
  parseResolvConf,
  podResolvConf,
  type PodDnsInput,
  type ResolvConf,
} from "../../../src/dns/resolver/index.js";

const NODE: ResolvConf = {
  nameservers: ["10.0.0.2", "10.0.0.3"],
  searches: ["us-east-1.compute.internal", "cluster.local"],
  options: ["timeout:2", "attempts:3"],
};

function input(extra: Partial<PodDnsInput> = {}): PodDnsInput {
  return { namespace: "default", clusterDomain: "cluster.local", clusterDNS: ["10.96.0.10"], node: NODE, podName: "web-0", ...extra };
}

describe("§5.1 podResolvConf: policies", () => {
  it("§5.1 ClusterFirst (the default): cluster search domains then the node's (deduplicated), cluster DNS only, options ndots:5 (node options dropped)", () => {
    const r = podResolvConf(input());
    expect(r.dnsType).toBe("cluster");
    expect(r.config).toEqual({
      nameservers: ["10.96.0.10"],
      searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "us-east-1.compute.internal"],
      options: ["ndots:5"],
    });
    expect(r.events).toEqual([]);
    expect(formatResolvConf(r.config)).toBe(
      "search default.svc.cluster.local svc.cluster.local cluster.local us-east-1.compute.internal\nnameserver 10.96.0.10\noptions ndots:5\n",
    );
  });

  it("§5.1 the namespace goes into the first search domain", () => {
    expect(podResolvConf(input({ namespace: "prod" })).config.searches[0]).toBe("prod.svc.cluster.local");
  });

  it("§5.1 ClusterFirst + hostNetwork falls back to Default (the node's file)", () => {
    const r = podResolvConf(input({ hostNetwork: true }));
    expect(r.dnsType).toBe("host");
    expect(r.config).toEqual(NODE);
  });

  it("§5.1 ClusterFirstWithHostNet uses cluster DNS even with hostNetwork", () => {
    const r = podResolvConf(input({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }));
    expect(r.config.nameservers).toEqual(["10.96.0.10"]);
    expect(r.config.options).toEqual(["ndots:5"]);
  });

  it("§5.1 Default: the node's resolv.conf, options kept", () => {
    expect(podResolvConf(input({ dnsPolicy: "Default" })).config).toEqual(NODE);
  });

  it("§5.1 None: dnsConfig only (docs example)", () => {
    const r = podResolvConf(
      input({
        dnsPolicy: "None",
        dnsConfig: { nameservers: ["1.2.3.4"], searches: ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] },
      }),
    );
    expect(formatResolvConf(r.config)).toBe("search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 1.2.3.4\noptions ndots:2 edns0\n");
  });

  it("§5.1 None without nameservers is refused, as the API server does", () => {
    expect(() => podResolvConf(input({ dnsPolicy: "None" }))).toThrow(PodDnsError);
  });

  it("§5.1 ClusterFirst without cluster DNS addresses falls back to Default with MissingClusterDNS events", () => {
    const r = podResolvConf(input({ clusterDNS: [], podUid: "u-1" }));
    expect(r.config).toEqual(NODE);
    expect(r.events.map((e) => [e.reason, e.involvedObject])).toEqual([
      ["MissingClusterDNS", "Node"],
      ["MissingClusterDNS", "Pod"],
    ]);
    expect(r.events[1]?.message).toMatch(/^pod: "web-0_default\(u-1\)"\. kubelet does not have ClusterDNS IP configured/);
  });

  it("§5.1 kubelet --resolv-conf=\"\": host DNS becomes 127.0.0.1 (::1 for IPv6 nodes) and `search .`", () => {
    const r = podResolvConf(input({ dnsPolicy: "Default", node: null, nodeIPs: ["192.168.1.5", "fd00::5"] }));
    expect(r.config).toEqual({ nameservers: ["127.0.0.1", "::1"], searches: ["."], options: [] });
  });

  it("§5.1 an empty cluster domain gives only the node's search domains", () => {
    expect(podResolvConf(input({ clusterDomain: "" })).config.searches).toEqual(NODE.searches);
  });
});

describe("§5.1 podResolvConf: dnsConfig merging", () => {
  it("§5.1 nameservers appended without duplicates", () => {
    const r = podResolvConf(input({ dnsConfig: { nameservers: ["10.96.0.10", "8.8.8.8"] } }));
    expect(r.config.nameservers).toEqual(["10.96.0.10", "8.8.8.8"]);
  });

  it("§5.1 searches appended with de-dup", () => {
    const r = podResolvConf(input({ dnsConfig: { searches: ["svc.cluster.local", "corp.example"] } }));
    expect(r.config.searches).toEqual(["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "us-east-1.compute.internal", "corp.example"]);
  });

  it("§5.1 options merged by name, the pod's value winning", () => {
    const r = podResolvConf(input({ dnsConfig: { options: [{ name: "ndots", value: "2" }, { name: "single-request-reopen" }] } }));
    expect(r.config.options).toEqual(["ndots:2", "single-request-reopen"]);
  });

  it("§5.1 more than 3 nameservers after merging: the first 3, with the kubelet's event", () => {
    const r = podResolvConf(input({ dnsPolicy: "Default", dnsConfig: { nameservers: ["1.1.1.1", "8.8.8.8"] } }));
    expect(r.config.nameservers).toEqual(["10.0.0.2", "10.0.0.3", "1.1.1.1"]);
    expect(r.events).toEqual([
      {
        type: "Warning",
        reason: "DNSConfigForming",
        involvedObject: "Pod",
        message: "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.0.0.2 10.0.0.3 1.1.1.1",
      },
    ]);
  });
});

describe("§5.1 podResolvConf: search limits", () => {
  const many = (n: number, len = 10): string[] => Array.from({ length: n }, (_, i) => `d${String(i).padStart(3, "0")}.${"x".repeat(Math.max(1, len - 5))}`);

  it("§5.1 more than 32 search domains: the first 32, event names the applied line", () => {
    const r = podResolvConf(input({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: many(40) } }));
    expect(r.config.searches).toEqual(many(40).slice(0, 32));
    expect(r.events[0]?.message).toBe(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${many(40).slice(0, 32).join(" ")}`);
  });

  it("§5.1 exactly 32 search domains within 2048 characters: no event", () => {
    const r = podResolvConf(input({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: many(32) } }));
    expect(r.config.searches.length).toBe(32);
    expect(r.events).toEqual([]);
  });

  it("§5.1 entries longer than 253 characters are dropped", () => {
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.example123`; // 254 characters
    expect(long.length).toBe(254);
    const ok = "e".repeat(253);
    const r = podResolvConf(input({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: ["a.example", long, ok] } }));
    expect(r.config.searches).toEqual(["a.example", ok]);
    expect(r.events.length).toBe(1);
  });

  it("§5.1 a search line over 2048 characters loses domains from the end until it fits", () => {
    const doms = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2, "0")}${"z".repeat(198)}`); // 200 characters each
    const r = podResolvConf(input({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: doms } }));
    // 12 × 200 + 11 spaces = 2411 > 2048; 10 domains = 2009 ≤ 2048.
    expect(r.config.searches).toEqual(doms.slice(0, 10));
    expect(r.config.searches.join(" ").length).toBeLessThanOrEqual(2048);
    expect(r.events[0]?.reason).toBe("DNSConfigForming");
  });

  it("§5.1 without ExpandedDNSConfig: 6 domains and 256 characters", () => {
    const r = podResolvConf(input({ expandedDNSConfig: false, dnsConfig: { searches: ["a.example", "b.example", "c.example"] } }));
    expect(r.config.searches).toEqual(["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "us-east-1.compute.internal", "a.example", "b.example"]);
    expect(r.events.length).toBe(1);
  });
});

describe("formatResolvConf / parseResolvConf", () => {
  it("formats search, nameservers, options in the runtime's order and leaves out empty parts", () => {
    expect(formatResolvConf({ nameservers: ["10.0.0.1", "10.0.0.2"], searches: [], options: [] })).toBe("nameserver 10.0.0.1\nnameserver 10.0.0.2\n");
    expect(formatResolvConf({ nameservers: [], searches: [], options: [] })).toBe("");
  });

  it("reads a node file as the kubelet does: nameservers accumulate, the last search and options lines win, trailing dots trimmed", () => {
    const text = "# generated\nnameserver 10.0.0.2\nsearch old.example\nsearch ec2.internal. corp.example\ndomain ignored.example\noptions ndots:2\noptions edns0 trust-ad\nnameserver fd00::53\n";
    expect(parseResolvConf(text)).toEqual({ nameservers: ["10.0.0.2", "fd00::53"], searches: ["ec2.internal", "corp.example"], options: ["edns0", "trust-ad"] });
  });

  it("round-trips what formatResolvConf writes", () => {
    const conf: ResolvConf = { nameservers: ["10.96.0.10"], searches: ["default.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5"] };
    expect(parseResolvConf(formatResolvConf(conf))).toEqual(conf);
  });

  it("reports a nameserver line without an address with its line number", () => {
    try {
      parseResolvConf("search a.example\n\nnameserver\n", "/etc/resolv.conf");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ResolvConfError);
      expect((e as ResolvConfError).line).toBe(3);
      expect((e as Error).message).toMatch(/^\/etc\/resolv\.conf:3: nameserver list is empty/);
    }
  });

  it("reports a nameserver that is not an IP address", () => {
    expect(() => parseResolvConf("nameserver dns.example\n")).toThrow(/resolv\.conf:1: nameserver "dns\.example" is not an IP address/);
  });
});

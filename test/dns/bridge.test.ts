import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { addBridgeHost, DnsBridge } from "../../src/dns/bridge.js";
import { FLAGS, hasFlag, rcodeOf, type Answer, type Packet } from "../../src/dns/message.js";
import { SECOND } from "../../src/sim/time.js";
import { ask, clusterDns, queryBytes } from "./bridge-world.js";

const dns = clusterDns();
const api = dns.world.cluster("east").api;
const webIp = api.get("Service", "shop", "web")!.spec.clusterIP!;
const webPod = api.listByLabel("Pod", "shop", "app", "web")[0]!;
const webPodIp = webPod.status!.podIP!;

const data = (p: Packet | null, type: string) => (p?.answers ?? []).filter((a) => a.type === type).map((a) => (a as Extract<Answer, { data: unknown }>).data);
const reverse = (ip: string) => `${ip.split(".").reverse().join(".")}.in-addr.arpa`;

describe("DnsBridge answers as the cluster's DNS service does", () => {
  it("answers A with the Service's ClusterIP, authoritative, and echoes the client's id", () => {
    for (const id of [0, 1, 4242, 0xffff]) {
      const reply = ask(dns, { name: "web.shop.svc.cluster.local", type: "A", id });
      expect(reply?.id).toBe(id);
      expect(rcodeOf(reply!)).toBe("NOERROR");
      expect(hasFlag(reply!, FLAGS.AA)).toBe(true);
      expect(data(reply, "A")).toEqual([webIp]);
      expect(reply?.questions).toEqual([{ name: "web.shop.svc.cluster.local", type: "A", class: "IN" }]);
    }
  });

  it("answers AAAA with a dual-stack Service's IPv6 ClusterIP", () => {
    expect(data(ask(dns, { name: "api.shop.svc.cluster.local", type: "AAAA" }), "AAAA")).toEqual(["fd00:10:96::1f"]);
  });

  it("answers SRV of a named port, with the target's address in the additional section", () => {
    const reply = ask(dns, { name: "_http._tcp.web.shop.svc.cluster.local", type: "SRV" });
    expect(data(reply, "SRV")).toEqual([{ priority: 0, weight: 100, port: 80, target: "web.shop.svc.cluster.local" }]);
    expect(reply?.additionals?.filter((a) => a.type === "A").map((a) => [a.name, (a as { data: string }).data])).toEqual([["web.shop.svc.cluster.local", webIp]]);
  });

  it("answers PTR of a Service's address and of a pod's", () => {
    expect(data(ask(dns, { name: reverse("10.96.0.31"), type: "PTR" }), "PTR")).toEqual(["api.shop.svc.cluster.local"]);
    const pod = data(ask(dns, { name: reverse(webPodIp), type: "PTR" }), "PTR");
    expect(pod).toContain(`${webPodIp.replaceAll(".", "-")}.web.shop.svc.cluster.local`);
  });

  it("answers CNAME of an ExternalName Service", () => {
    expect(data(ask(dns, { name: "payments.shop.svc.cluster.local", type: "CNAME" }), "CNAME")).toEqual(["payments.example.com"]);
  });

  it("answers NXDOMAIN for a name that does not exist and NODATA for a type a name lacks, each with the zone's SOA", () => {
    const nx = ask(dns, { name: "nope.shop.svc.cluster.local", type: "A" })!;
    expect(rcodeOf(nx)).toBe("NXDOMAIN");
    expect(nx.authorities?.map((a) => [a.name, a.type])).toEqual([["cluster.local", "SOA"]]);
    const nodata = ask(dns, { name: "web.shop.svc.cluster.local", type: "AAAA" })!;
    expect(rcodeOf(nodata)).toBe("NOERROR");
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities?.map((a) => a.type)).toEqual(["SOA"]);
  });

  it("keeps the case the client asked in", () => {
    expect(ask(dns, { name: "WEB.Shop.svc.cluster.local", type: "A" })?.answers?.[0]?.name).toBe("WEB.Shop.svc.cluster.local");
  });

  it("truncates over UDP to the client's EDNS size, or 512 without EDNS, and answers in full over TCP", () => {
    const many = { name: "many.shop.svc.cluster.local", type: "A" } as const;
    const udp = dns.bridge.answer(queryBytes(many), "udp", "test")!;
    const decoded = dnsPacket.decode(Buffer.from(udp));
    expect(udp.length).toBeLessThanOrEqual(1232);
    expect(hasFlag(decoded, FLAGS.TC)).toBe(true);
    expect(decoded.answers!.length).toBeGreaterThan(0);
    expect(decoded.answers!.length).toBeLessThan(60);
    const plain = dns.bridge.answer(queryBytes({ ...many, edns: null }), "udp", "test")!;
    expect(plain.length).toBeLessThanOrEqual(512);
    expect(hasFlag(dnsPacket.decode(Buffer.from(plain)), FLAGS.TC)).toBe(true);
    const tcp = ask(dns, many, "tcp")!;
    expect(hasFlag(tcp, FLAGS.TC)).toBe(false);
    expect(new Set(data(tcp, "A")).size).toBe(60);
  });

  it("runs the simulated clock only until the reply arrives", () => {
    const before = dns.world.sim.now;
    ask(dns, { name: "web.shop.svc.cluster.local", type: "A" });
    expect(dns.world.sim.now - before).toBeGreaterThan(0);
    expect(dns.world.sim.now - before).toBeLessThan(10_000);
  });
});

describe("DnsBridge with what is not a good query", () => {
  it("drops messages shorter than a header, and responses, without a word", () => {
    for (const bytes of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array(11).fill(0xff)]) expect(dns.bridge.answer(bytes, "udp", "test")).toBeNull();
    const response = queryBytes({ name: "web.shop.svc.cluster.local", type: "A" });
    response[2]! |= 0x80;
    expect(dns.bridge.answer(response, "udp", "test")).toBeNull();
  });

  it("answers FORMERR, with the client's id and no question, when the header parses but the body does not", () => {
    const bytes = Buffer.from(queryBytes({ name: "web.shop.svc.cluster.local", type: "A", id: 777 }).subarray(0, 20));
    const reply = dnsPacket.decode(Buffer.from(dns.bridge.answer(bytes, "udp", "test")!));
    expect(reply.id).toBe(777);
    expect(reply.type).toBe("response");
    expect(rcodeOf(reply)).toBe("FORMERR");
    expect(hasFlag(reply, FLAGS.RD)).toBe(true);
    expect(reply.questions).toEqual([]);
  });

  it("keeps the question in a FORMERR when only a later section is broken, as miekg/dns reads sections in order", () => {
    const bytes = queryBytes({ name: "web.shop.svc.cluster.local", type: "A", id: 9 });
    const broken = Buffer.concat([bytes.subarray(0, bytes.length - 4)]);
    const reply = dnsPacket.decode(Buffer.from(dns.bridge.answer(broken, "tcp", "test")!));
    expect(rcodeOf(reply)).toBe("FORMERR");
    expect(reply.questions).toEqual([{ name: "web.shop.svc.cluster.local", type: "A", class: "IN" }]);
  });

  it("refuses what miekg/dns's accept function refuses: FORMERR for two questions, NOTIMP for another opcode", () => {
    const two = queryBytes({ name: "web.shop.svc.cluster.local", type: "A" });
    two.writeUInt16BE(2, 4);
    expect(rcodeOf(dnsPacket.decode(Buffer.from(dns.bridge.answer(two, "udp", "test")!)))).toBe("FORMERR");
    const status = queryBytes({ name: "web.shop.svc.cluster.local", type: "A" });
    status[2]! |= 2 << 3;
    const reply = dnsPacket.decode(Buffer.from(dns.bridge.answer(status, "udp", "test")!));
    expect(rcodeOf(reply)).toBe("NOTIMP");
    expect((reply as { opcode?: string }).opcode).toBe("STATUS");
  });

  it("answers FORMERR for a name the simulation cannot hold as sent (a dot inside a label)", () => {
    const bytes = queryBytes({ name: "abc.shop.svc.cluster.local", type: "A" });
    bytes[14] = 0x2e; // "abc" becomes "a.c", one label
    expect(rcodeOf(dnsPacket.decode(Buffer.from(dns.bridge.answer(bytes, "udp", "test")!)))).toBe("FORMERR");
  });
});

describe("DnsBridge's sockets and deadline", () => {
  it("gives each source a simulated socket of its own, closing the least recently used past the limit", () => {
    const host = addBridgeHost(dns.world.network, dns.world.cluster("east").topology.nodes[1]!, "east/bridge-test");
    expect(host.ip).toMatch(/\.254$/);
    const bridge = new DnsBridge({ sim: dns.world.sim, network: dns.world.network, host, server: dns.server, maxSockets: 3 });
    for (let i = 0; i < 10; i++) expect(bridge.answer(queryBytes({ name: "web.shop.svc.cluster.local", type: "A" }), "udp", `10.0.0.1:${i}`)).not.toBeNull();
    expect(bridge.openSockets).toBe(3);
    expect(host.listeners.size).toBe(3);
  });

  it("answers nothing when the simulated reply does not come within 5s, as a client in the cluster would hear nothing", () => {
    const quiet = clusterDns();
    quiet.world.apply("east", [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "coredns", namespace: "kube-system" }, spec: { ...quiet.world.cluster("east").api.get("Deployment", "kube-system", "coredns")!.spec, replicas: 0 } }]);
    quiet.world.runFor(5 * SECOND);
    const before = quiet.world.sim.now;
    expect(quiet.bridge.answer(queryBytes({ name: "web.shop.svc.cluster.local", type: "A" }), "udp", "test")).toBeNull();
    expect(quiet.world.sim.now - before).toBe(5 * SECOND);
    expect(quiet.bridge.stats.timedOut).toBe(1);
  });
});

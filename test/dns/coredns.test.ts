import { describe, expect, it } from "vitest";
import { Actor, IMPLEMENTED_PLUGINS, KubeCluster, Network, SECOND, Sim, Topology, address, parseCorefile, type Message } from "../../src/index.js";
import { CoreDns, DNS_PORT } from "../../src/dns/coredns.js";
import { DNS_QUERY, DNS_RESPONSE, makeQuery, rcodeOf, type DnsResponseBody, type Packet } from "../../src/dns/message.js";

/** Sends queries to one server and keeps the replies. */
class Asker extends Actor {
  readonly replies: Packet[] = [];
  constructor(sim: Sim) {
    super(sim, { cluster: "east", namespace: "default", name: "asker" });
    this.handle<DnsResponseBody>(DNS_RESPONSE, (m: Message<DnsResponseBody>) => this.replies.push(m.body.packet));
  }
}

function server(corefile: string) {
  const sim = new Sim({ seed: 1 });
  const topology = new Topology();
  const east = topology.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
  const net = new Network(sim, topology);
  const cluster = new KubeCluster(sim, net, east);
  const dns = new CoreDns(sim, { cluster: "east", namespace: "kube-system", name: "coredns-0" }, { corefile: parseCorefile(corefile, "Corefile", { plugins: IMPLEMENTED_PLUGINS }), api: cluster.api });
  const dnsHost = net.addHost({ name: "coredns-0", node: east.nodes[0]! });
  net.bind(dns, dnsHost, DNS_PORT);
  const asker = new Asker(sim);
  net.bind(asker, net.addHost({ name: "asker", node: east.nodes[0]! }), 40000);
  let id = 1;
  const ask = (name: string): Packet => {
    const before = asker.replies.length;
    asker.send(address(dnsHost.ip, DNS_PORT), DNS_QUERY, { packet: makeQuery(name, "A", { id: id++ }), transport: "udp" });
    sim.runFor(SECOND);
    expect(asker.replies.length).toBe(before + 1);
    return asker.replies[before]!;
  };
  return { sim, dns, ask, net, node: east.nodes[0]! };
}

describe("the CoreDNS server (dns.md §3.2)", () => {
  it("reports ready only once the kubernetes plugin has synced (the ready plugin's /ready)", () => {
    const { sim, dns } = server(`.:53 {\n  ready\n  kubernetes cluster.local\n}\n`);
    expect(dns.isReady()).toBe(false);
    sim.runFor(SECOND);
    expect(dns.isReady()).toBe(true);
  });

  it("routes a query to the block of the longest zone that contains it, whatever the file order", () => {
    const { ask, sim } = server(`. {\n  hosts {\n    192.0.2.1 www.example.org\n  }\n}\nexample.org {\n  hosts {\n    192.0.2.2 www.example.org\n  }\n}\n`);
    sim.runFor(SECOND);
    const reply = ask("www.example.org");
    expect(reply.answers?.map((a) => (a.type === "A" ? a.data : a.type))).toEqual(["192.0.2.2"]);
  });

  it("refuses a query for a zone no block serves, and fails one that falls off the end of a chain", () => {
    const { ask, sim, dns } = server(`cluster.local {\n  kubernetes cluster.local {\n    fallthrough\n  }\n}\n`);
    sim.runFor(SECOND);
    expect(rcodeOf(ask("www.example.org"))).toBe("REFUSED");
    expect(rcodeOf(ask("nope.cluster.local"))).toBe("SERVFAIL");
    expect(dns.logs.map((l) => l.line)).toContain("[ERROR] plugin/errors: 2 nope.cluster.local. A: no next plugin found");
  });
});

describe("the CoreDNS server's upstream exchanges (dns.md §4.1)", () => {
  /** Answers every query 10ms later with an A record for the name asked, 192.0.2.<length of the name>. */
  class Upstream extends Actor {
    constructor(sim: Sim) {
      super(sim, { cluster: "east", namespace: "default", name: "upstream" });
      this.handle<{ packet: Packet }>(DNS_QUERY, (m) => {
        const q = m.body.packet.questions![0]!;
        const reply: Packet = { type: "response", id: m.body.packet.id, flags: 0x8180, questions: [q], answers: [{ type: "A", name: q.name, ttl: 30, data: `192.0.2.${q.name.length}` }] };
        this.sim.after(10_000, () => this.reply(m, DNS_RESPONSE, { packet: reply, transport: "udp" } satisfies DnsResponseBody));
      });
    }
  }

  it("two exchanges in flight with the same id each get their own reply, as each has its own socket", () => {
    const { sim, dns, net, node } = server(`.:53 {\n  kubernetes cluster.local\n}\n`);
    const upstream = new Upstream(sim);
    const host = net.addHost({ name: "upstream", node });
    net.bind(upstream, host, DNS_PORT);
    const got: string[] = [];
    for (const name of ["a.example.org", "bb.example.org"]) {
      dns.exchange(address(host.ip, DNS_PORT), makeQuery(name, "A", { id: 7 }), "udp", SECOND, (reply) => {
        got.push(reply ? `${reply.questions![0]!.name} ${(reply.answers![0] as { data: string }).data}` : "timeout");
      });
    }
    sim.runFor(SECOND);
    expect([...got].sort()).toEqual(["a.example.org 192.0.2.13", "bb.example.org 192.0.2.14"]);
  });
});

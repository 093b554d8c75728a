import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCorefile } from "../../src/dns/corefile.js";
import { federationCorefile, type FederatedCluster, type FederationPlan } from "../../src/dns/federation.js";
import { IMPLEMENTED_PLUGINS } from "../../src/dns/plugins/index.js";
import { FEDERATION_SERVICE, PATTERN_SOURCE } from "../../src/scenario/federation.js";
import { ScenarioError, loadScenario } from "../../src/scenario/load.js";
import { runScenario } from "../../src/scenario/run.js";
import type { Scenario } from "../../src/scenario/spec.js";

/**
 * spec.patterns.dnsFederation (dns.md §4.2): the Corefiles and Services it writes, the errors of
 * a badly written one, and what federated lookups do when all is well and when a member is cut off.
 */

const FILE = fileURLToPath(new URL("../../scenarios/federation-test.yaml", import.meta.url));

/** Two or three clusters (east, west, and south when `three`), federated by `federation` (YAML flow text). */
function federated(federation: string, rest = "", three = false): Scenario {
  const south = three ? "\n    - {name: south, region: ap-south-1, zones: [ap-south-1a]}" : "";
  const text = `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: federation-test}
spec:
  duration: 60s
  warmup: 10s
  clusters:
    - {name: east, region: us-east-1, zones: [us-east-1a]}
    - {name: west, region: eu-west-1, zones: [eu-west-1a]}${south}
  patterns:
    dnsFederation: ${federation}
  manifests:
    - {clusters: [east, west${three ? ", south" : ""}], file: manifests/myservice.yaml}
${rest}`;
  return loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") });
}

function loadError(federation: string, rest = "", three = false): ScenarioError {
  try {
    federated(federation, rest, three);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("the scenario loaded");
}

const member = (name: string, domain: string, dnsAddress: string, zones: string[]): FederatedCluster => ({ name, domain, dnsAddress, zones });
const PLAN: FederationPlan = { answer: "zone", cache: 30, forward: {} };

describe("federation Corefiles (dns.md §4.2)", () => {
  const east = member("east", "cluster.local", "203.0.113.200", ["east.local", "east.example.com"]);
  const west = member("west", "cluster.local", "203.0.113.201", ["west.local", "west.example.com"]);

  it("§4.2: answer zone makes the member's zones extra zones of its kubernetes plugin, after the cluster domain", () => {
    const text = federationCorefile(east, [east, west], PLAN);
    expect(text).toContain("    kubernetes cluster.local east.local east.example.com in-addr.arpa ip6.arpa {\n");
    expect(text).not.toContain("rewrite");
  });

  it("§4.2: answer rewrite maps each zone onto the cluster domain with answer auto", () => {
    const text = federationCorefile(east, [east, west], { ...PLAN, answer: "rewrite" });
    expect(text).toContain("    rewrite name suffix .east.local. .cluster.local. answer auto\n");
    expect(text).toContain("    rewrite name suffix .east.example.com. .cluster.local. answer auto\n");
    expect(text).toContain("    kubernetes cluster.local in-addr.arpa ip6.arpa {\n");
  });

  it("§4.2: a stub block per zone of every other member, with its own cache, forwarding to that member's address", () => {
    const text = federationCorefile(east, [east, west], PLAN);
    expect(text).toContain("west.local:53 {\n    errors\n    cache 30\n    forward . 203.0.113.201\n}\n");
    expect(text).toContain("west.example.com:53 {\n    errors\n    cache 30\n    forward . 203.0.113.201\n}\n");
    expect(text).not.toContain("east.local:53");
  });

  it("§4.1: forward's knobs and serve_stale go into the stub blocks", () => {
    const text = federationCorefile(east, [east, west], { answer: "zone", cache: 10, serveStale: "1m", forward: { maxFails: 3, healthCheck: "250ms", expire: "5s", forceTcp: true } });
    expect(text).toContain(
      "west.local:53 {\n    errors\n    cache 10 {\n       serve_stale 1m\n    }\n    forward . 203.0.113.201 {\n       max_fails 3\n       health_check 250ms\n       expire 5s\n       force_tcp\n    }\n}\n",
    );
  });

  it("a zone that is the member's cluster domain is answered as it is, not added again", () => {
    const own = member("east", "east.local", "203.0.113.200", ["east.local"]);
    expect(federationCorefile(own, [own, west], PLAN)).toContain("    kubernetes east.local in-addr.arpa ip6.arpa {\n");
  });

  it("every generated Corefile parses with the implemented plugins", () => {
    for (const answer of ["zone", "rewrite"] as const) {
      const text = federationCorefile(east, [east, west], { answer, cache: 30, serveStale: "1h", forward: { maxFails: 2, healthCheck: "500ms" } });
      const parsed = parseCorefile(text, "generated", { plugins: IMPLEMENTED_PLUGINS });
      expect(parsed.servers.map((b) => b.keys.map((k) => k.zone).join(" "))).toEqual([".", "west.local.", "west.example.com."]);
    }
  });
});

describe("spec.patterns.dnsFederation in a scenario", () => {
  it("writes each member's Corefile and a LoadBalancer Service exposing its DNS at a pinned address", () => {
    const s = federated("{zones: ['{cluster}.local']}");
    const [east, west] = s.spec.clusters;
    expect(east!.dns.corefile).toContain("west.local:53 {");
    expect(east!.dns.corefile).toContain("forward . 203.0.113.201");
    expect(west!.dns.corefile).toContain("forward . 203.0.113.200");
    const exposures = s.spec.manifests.filter((m) => m.source === PATTERN_SOURCE);
    expect(exposures.map((m) => [m.clusters, m.objects[0]!.metadata.name])).toEqual([
      [["east"], FEDERATION_SERVICE],
      [["west"], FEDERATION_SERVICE],
    ]);
    expect(exposures[1]!.objects[0]).toMatchObject({ spec: { type: "LoadBalancer" }, status: { loadBalancer: { ingress: [{ ip: "203.0.113.201" }] } } });
  });

  it("keeps a member's own Corefile: the per-cluster override", () => {
    const text = `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: federation-test}
spec:
  duration: 20s
  clusters:
    - name: east
      region: us-east-1
      zones: [us-east-1a]
      dns:
        corefile: |
          .:53 {
              errors
              kubernetes cluster.local
          }
    - {name: west, region: eu-west-1, zones: [eu-west-1a]}
  patterns:
    dnsFederation: {}
`;
    const s = loadScenario(text, FILE);
    expect(s.spec.clusters[0]!.dns.corefile).toBe(".:53 {\n    errors\n    kubernetes cluster.local\n}\n");
    expect(s.spec.clusters[1]!.dns.corefile).toContain("east.local:53 {");
  });

  it("names a misspelt field and suggests the right one", () => {
    const e = loadError("{zone: ['{cluster}.local']}");
    expect(e.message).toMatch(/federation-test\.yaml:\d+:\d+/);
    expect(e.message).toContain('"zone"');
    expect(e.message).toContain('did you mean "zones"');
  });

  it("refuses a zone without {cluster}: every member would forward it to the others, a loop", () => {
    expect(loadError("{zones: [shared.example.com]}").message).toContain("a loop");
  });

  it("refuses a federation of one cluster, and a member that is not a cluster", () => {
    expect(loadError("{clusters: [east]}").message).toContain("at least 2");
    expect(loadError("{clusters: [east, wset]}").message).toContain('did you mean "west"');
  });

  it("refuses an answer mode it does not know", () => {
    expect(loadError("{answer: forward}").message).toMatch(/zone.*rewrite/);
  });
});

describe("federated lookups (dns.md §4.2)", () => {
  const traffic = (names: Record<string, string>) =>
    `  traffic:\n${Object.entries(names)
      .map(([stream, name], i) => `    - {name: ${stream}, from: {cluster: east, pod: client${i === 0 ? ", create: {image: 'debian:12'}" : ""}}, resolve: ${name}, type: A, rate: 10}`)
      .join("\n")}\n`;

  for (const answer of ["zone", "rewrite"] as const) {
    it(`resolve in both naming styles with answer ${answer}, to the other cluster's addresses`, () => {
      const s = federated(
        `{zones: ['{cluster}.local', '{cluster}.example.com'], answer: ${answer}}`,
        traffic({ local: "myservice.production.svc.cluster.local.", perCluster: "myservice.production.svc.west.local.", shared: "myservice.production.svc.west.example.com." }),
      );
      const r = runScenario(s, { traceLevel: "off" });
      for (const stream of r.streams) {
        expect(stream.failed, stream.name).toBe(0);
        expect(stream.count, stream.name).toBeGreaterThan(300);
        expect(stream.byPair.map((p) => p.to), stream.name).toEqual([stream.name === "local" ? "east" : "west"]);
      }
    });
  }

  it("a cut-off member's names fail with SERVFAIL once cached answers expire; local and other members' names keep resolving", () => {
    const s = federated(
      "{}",
      `${traffic({ local: "myservice.production.svc.cluster.local.", west: "myservice.production.svc.west.local.", south: "myservice.production.svc.south.local." })}  faults:
    - {name: cut, at: 20s, partition: {from: west, to: {clusters: [east, south]}}}
`,
      true,
    );
    const r = runScenario(s, { traceLevel: "off" });
    const byName = new Map(r.streams.map((x) => [x.name, x]));
    expect(byName.get("local")!.failed).toBe(0);
    expect(byName.get("south")!.failed).toBe(0);
    const during = byName.get("west")!.byPhase.find((p) => p.fault === "cut" && p.phase === "during")!;
    // The cache (30s at most) answers for a while, then forward's timeouts become SERVFAIL.
    expect(during.codes.NOERROR).toBeGreaterThan(0);
    expect(during.codes.SERVFAIL).toBeGreaterThan(50);
  });

  it("§4.3 serve_stale: with it, a cut-off member's cached names keep resolving", () => {
    const s = federated(
      "{serveStale: 1h}",
      `${traffic({ west: "myservice.production.svc.west.local." })}  faults:
    - {name: cut, at: 20s, partition: {from: west, to: east}}
`,
    );
    const r = runScenario(s, { traceLevel: "off" });
    const during = r.streams[0]!.byPhase.find((p) => p.fault === "cut" && p.phase === "during")!;
    expect(during.count).toBeGreaterThan(300);
    expect(during.failed).toBe(0);
  });
});

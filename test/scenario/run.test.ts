import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { LookupResult, QueryRecord } from "../../src/dns/resolver/types.js";
import { loadScenario } from "../../src/scenario/load.js";
import { phaseWindows, type StreamReport } from "../../src/scenario/report.js";
import { runScenario, type RunScenarioOptions, type ScenarioReport } from "../../src/scenario/run.js";
import type { Scenario } from "../../src/scenario/spec.js";
import { clientPods, outcomeCode } from "../../src/scenario/traffic.js";
import { MILLISECOND, SECOND } from "../../src/sim/time.js";

/**
 * The scenario runner's pieces, each driven by a small scenario written here: arrival processes,
 * client pods, every fault action, phase windows, per-pair destinations, outcome codes,
 * expectations, partial runs and determinism.
 */

/** Scenarios here live next to the shipped ones, so that `file: manifests/web.yaml` reads the real file. */
const FILE = fileURLToPath(new URL("../../scenarios/run-test.yaml", import.meta.url));

/** A scenario from the body of its `spec` (written flush left). */
function scenario(spec: string): Scenario {
  const body = spec.replace(/^\n/, "").replace(/^/gm, "  ");
  const text = `apiVersion: mcsim/v1alpha1\nkind: Scenario\nmetadata:\n  name: run-test\nspec:\n${body}`;
  return loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") });
}

function run(spec: string, options: RunScenarioOptions = {}): ScenarioReport {
  return runScenario(scenario(spec), { traceLevel: "summary", ...options });
}

function stream(r: ScenarioReport, name: string): StreamReport {
  const s = r.streams.find((x) => x.name === name);
  if (!s) throw new Error(`no stream ${name} in the report; there are ${r.streams.map((x) => x.name).join(", ")}`);
  return s;
}

function phase(r: ScenarioReport, name: string, fault: string, which: "before" | "during" | "after"): StreamReport["byPhase"][number] {
  const p = stream(r, name).byPhase.find((x) => x.fault === fault && x.phase === which);
  if (!p) throw new Error(`no ${which} phase of ${fault} for ${name}`);
  return p;
}

/** One cluster, pods ready 100ms after creation, one CoreDNS replica, the shop/web Service. */
const EAST = `
clusters:
  - name: east
    region: us-east-1
    zones: [us-east-1a]
    nodesPerZone: 2
    podStartup: 100ms
    dns:
      replicas: 1
manifests:
  - cluster: east
    file: manifests/web.yaml
`;

/** A client pod created by the stream, looking up web's FQDN. */
const LOOKUP = (name: string, extra = "rate: 20", pod = "client") => `
  - name: ${name}
    from:
      cluster: east
      pod: ${pod}
      create:
        image: debian:12
    resolve: web.shop.svc.cluster.local.
    ${extra.replace(/\n/g, "\n    ")}
`;

/**
 * Two clusters in two regions; east's CoreDNS forwards west.local to west's DNS on a
 * LoadBalancer address, as the quickstart does.
 */
const EAST_WEST = `
clusters:
  - name: east
    region: us-east-1
    zones: [us-east-1a]
    podStartup: 100ms
    dns:
      replicas: 1
      corefile: |
        .:53 {
            errors
            kubernetes cluster.local in-addr.arpa ip6.arpa {
               pods insecure
               fallthrough in-addr.arpa ip6.arpa
               ttl 30
            }
            forward . /etc/resolv.conf
            cache 30
        }
        west.local:53 {
            errors
            forward . 203.0.113.53
        }
  - name: west
    region: eu-west-1
    zones: [eu-west-1a]
    podStartup: 100ms
    domain: west.local
    dns:
      replicas: 1
manifests:
  - clusters: [east, west]
    file: manifests/web.yaml
  - cluster: west
    inline: |
      apiVersion: v1
      kind: Service
      metadata:
        name: kube-dns-external
        namespace: kube-system
      spec:
        type: LoadBalancer
        selector:
          k8s-app: kube-dns
        ports:
          - name: dns
            port: 53
            protocol: UDP
      status:
        loadBalancer:
          ingress:
            - ip: 203.0.113.53
`;

const REMOTE_AND_LOCAL = `
traffic:
  - name: local
    from:
      cluster: east
      pod: client
      create:
        image: debian:12
    resolve: web.shop.svc.cluster.local.
    type: A
    rate: 20
  - name: remote
    from:
      cluster: east
      pod: client
    resolve: web.shop.svc.west.local.
    type: A
    rate: 20
`;

describe("arrivals", () => {
  it("constant: exactly rate × window lookups, from start to end", () => {
    const r = run(`
duration: 20s
${EAST}
traffic:
${LOOKUP("c", "arrival: constant\nrate: 10\nstart: 5s\nend: 15s")}
`);
    expect(stream(r, "c").count).toBe(100);
    expect(stream(r, "c").skipped).toBe(0);
  });

  it("poisson: close to rate × window, and a different count for another seed", () => {
    const spec = `
duration: 20s
${EAST}
traffic:
${LOOKUP("p", "rate: 50\nstart: 1s\nend: 19s")}
`;
    const a = stream(run(spec), "p").count;
    const b = stream(run(spec, { seed: 2 }), "p").count;
    // 900 expected; a Poisson count has a standard deviation of 30.
    expect(a).toBeGreaterThan(810);
    expect(a).toBeLessThan(990);
    expect(b).not.toBe(a);
  });

  it("closed: concurrency N with think time T gives about N × window / (latency + T)", () => {
    const r = run(`
duration: 21s
warmup: 1s
${EAST}
traffic:
${LOOKUP("loop", "arrival: closed\nconcurrency: 4\nthink: 100ms")}
`);
    const s = stream(r, "loop");
    const expected = (4 * 20 * SECOND) / (s.latencyMs.mean! * MILLISECOND + 100 * MILLISECOND);
    expect(s.count / expected).toBeGreaterThan(0.98);
    expect(s.count / expected).toBeLessThan(1.02);
    // A loop waits for its answer: never more than N in flight.
    expect(s.inFlight).toBeLessThanOrEqual(4);
  });
});

describe("client pods", () => {
  it("from.create makes the pods, named pod-0, pod-1, … when there are several, with the stream's labels", () => {
    const pods = clientPods({ cluster: "east", namespace: "team", pod: "client", labels: { app: "load" }, create: { image: "alpine:3.20", replicas: 3 } });
    expect(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(["team/client-0", "team/client-1", "team/client-2"]);
    expect(pods.every((p) => p.metadata.labels?.app === "load" && p.spec.containers[0]!.image === "alpine:3.20")).toBe(true);
    expect(clientPods({ cluster: "east", namespace: "default", pod: "one", create: { image: "debian:12", replicas: 1 } }).map((p) => p.metadata.name)).toEqual(["one"]);
    expect(clientPods({ cluster: "east", namespace: "default", pod: "existing" })).toEqual([]);
  });

  it("creates them in the cluster before the run, and sends from each in turn", () => {
    // The kill names the pods it found: the three the stream created. DNSChaos fails the lookups
    // of one of them (from the start, before it has an address): every third lookup.
    const r = run(`
duration: 10s
${EAST}
traffic:
  - name: many
    from:
      cluster: east
      pod: client
      labels:
        role: client
      create:
        image: debian:12
        replicas: 3
    resolve: web.shop.svc.cluster.local.
    rate: 30
faults:
  - name: census
    at: 9s
    kill:
      cluster: east
      labels:
        role: client
      mode: all
  - name: one-of-three
    at: 0s
    dnsChaos:
      cluster: east
      action: error
      from:
        pod: client-1
`);
    expect(r.faults.map((f) => f.target)).toEqual(["east: error for every name from default/client-1", "east: default/client-0, default/client-1, default/client-2"]);
    const many = stream(r, "many");
    expect(Math.abs(many.failed - many.count / 3)).toBeLessThanOrEqual(1);
    expect(Object.keys(many.codes).sort()).toEqual(["NOERROR", "SERVFAIL"]);
  });

  it("skips arrivals while no client pod runs: before it starts, and after it is deleted", () => {
    const r = run(`
duration: 20s
${EAST}
traffic:
${LOOKUP("c", "arrival: constant\nrate: 10")}
  - name: nobody
    from:
      cluster: east
      pod: ghost
    resolve: web.shop.svc.cluster.local.
    arrival: constant
    rate: 10
faults:
  - name: kill-client
    at: 10s
    kill:
      cluster: east
      pod: client
`);
    const c = stream(r, "c");
    // The pod runs from about 0.1s (podStartup plus watch delays) until the kill: a bare Pod is not replaced.
    expect(c.count).toBeGreaterThanOrEqual(98);
    expect(c.count).toBeLessThanOrEqual(100);
    expect(c.count + c.skipped).toBe(200);
    expect(phase(r, "c", "kill-client", "after").count).toBeLessThanOrEqual(1);
    expect(stream(r, "nobody")).toMatchObject({ count: 0, skipped: 200 });
  });

  it("counts skipped arrivals after warmup only, as it measures lookups", () => {
    const r = run(`
duration: 20s
warmup: 5s
${EAST}
traffic:
  - name: nobody
    from:
      cluster: east
      pod: ghost
    resolve: web.shop.svc.cluster.local.
    arrival: constant
    rate: 10
`);
    expect(stream(r, "nobody")).toMatchObject({ count: 0, skipped: 150 });
  });
});

describe("fault actions", () => {
  it("partition fails cross-cluster lookups and not local ones; heal restores them", () => {
    const r = run(`
duration: 40s
warmup: 2s
${EAST_WEST}
${REMOTE_AND_LOCAL}
faults:
  - name: split
    at: 10s
    partition:
      from: east
      to: west
  - name: mend
    at: 20s
    heal: split
`);
    expect(r.faults.find((f) => f.name === "split")).toMatchObject({ at: 10 * SECOND, until: 20 * SECOND, instant: false });
    expect(phase(r, "remote", "split", "before").successRatio).toBe(1);
    // Lookups started in the last seconds of the partition succeed on a retry after the heal.
    expect(phase(r, "remote", "split", "during").successRatio).toBeLessThan(0.6);
    expect(phase(r, "remote", "mend", "after").successRatio).toBe(1);
    expect(phase(r, "local", "split", "during").successRatio).toBe(1);
    expect(r.network.dropped.get("partition")).toBeGreaterThan(0);
  });

  it("delay adds its latency to each message it matches, for its duration", () => {
    const r = run(`
duration: 30s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 20")}
faults:
  - name: slow
    at: 10s
    for: 10s
    delay:
      from: east
      to: east
      latency: 50ms
`);
    expect(phase(r, "c", "slow", "before").latencyMs.p99).toBeLessThan(5);
    // Query and answer each wait 50ms.
    expect(phase(r, "c", "slow", "during").latencyMs.p50).toBeGreaterThan(100);
    expect(phase(r, "c", "slow", "during").latencyMs.p99).toBeLessThan(105);
    expect(phase(r, "c", "slow", "after").latencyMs.p99).toBeLessThan(5);
  });

  it("loss makes lookups resend; duplicate delivers copies that change nothing for the client", () => {
    const r = run(`
duration: 30s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 20")}
faults:
  - name: lossy
    at: 5s
    for: 10s
    loss:
      from: east
      to: east
      loss: 30
  - name: twice
    at: 15s
    for: 10s
    duplicate:
      from: east
      to: east
      duplicate: 100
`);
    const lossy = phase(r, "c", "lossy", "during");
    expect(lossy.queriesPerLookup).toBeGreaterThan(1.2);
    expect(lossy.latencyMs.max).toBeGreaterThan(5000);
    const twice = phase(r, "c", "twice", "during");
    expect(twice.successRatio).toBe(1);
    expect(twice.queriesPerLookup).toBe(1);
    expect(twice.latencyMs.p99).toBeLessThan(5);
    expect(r.network.duplicated).toBeGreaterThan(0);
    expect(r.network.dropped.get("loss")).toBeGreaterThan(0);
  });

  it("hold keeps messages until the release, then delivers them", () => {
    const r = run(`
duration: 30s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\narrival: constant\nrate: 20")}
faults:
  - name: stuck
    at: 10s
    hold:
      from: east
      to: east
  - name: go
    at: 12s
    release: stuck
`);
    expect(r.faults.find((f) => f.name === "stuck")!.until).toBe(12 * SECOND);
    const held = phase(r, "c", "stuck", "during");
    // Started between 10s and 12s, answered at 12s: latencies from 0 to 2s, none lost.
    expect(held.count).toBe(40);
    expect(held.successRatio).toBe(1);
    expect(held.latencyMs.max).toBeGreaterThan(1900);
    expect(held.latencyMs.max).toBeLessThan(2010);
    expect(r.network.held).toBeGreaterThan(0);
  });
});

describe("pod and workload faults", () => {
  it("kill deletes the pods it picks, and their Deployment replaces them", () => {
    const r = run(`
duration: 10s
${EAST}
faults:
  - name: first
    at: 2s
    kill:
      cluster: east
      namespace: shop
      labels:
        app: web
      mode: fixed
      value: 2
  - name: census
    at: 8s
    kill:
      cluster: east
      namespace: shop
      labels:
        app: web
      mode: all
`);
    const pods = (target: string) => target.replace(/^east: /, "").split(", ");
    const killed = pods(r.faults[0]!.target);
    const later = pods(r.faults[1]!.target);
    expect(killed).toHaveLength(2);
    expect(r.faults[0]!.instant).toBe(true);
    // Three web pods again, and the two killed are not among them.
    expect(later).toHaveLength(3);
    expect(later.filter((p) => killed.includes(p))).toEqual([]);
  });

  it("failure makes a pod unreachable and not ready until for ends", () => {
    const r = run(`
duration: 40s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 20")}
faults:
  - name: down
    at: 10s
    for: 10s
    failure:
      cluster: east
      namespace: kube-system
      labels:
        k8s-app: kube-dns
`);
    expect(r.faults[0]).toMatchObject({ at: 10 * SECOND, until: 20 * SECOND, instant: false });
    expect(phase(r, "c", "down", "before").successRatio).toBe(1);
    // The only CoreDNS pod answers nothing: lookups started in the first half of the failure
    // time out on both tries (5 s apart); the rest succeed on a retry after it ends.
    const during = phase(r, "c", "down", "during");
    expect(during.codes.TIMEOUT).toBeGreaterThan(80);
    expect(during.codes.NOERROR ?? 0).toBeGreaterThan(80);
    expect(during.latencyMs.p50).toBeGreaterThan(1000);
    expect(phase(r, "c", "down", "after").successRatio).toBe(1);
    expect(phase(r, "c", "down", "after").latencyMs.p99).toBeLessThan(5);
    // Unreachable at once (host-down), then not ready: kube-proxy has no endpoint left to send to.
    expect(r.network.dropped.get("host-down")).toBeGreaterThan(0);
    expect(r.network.dropped.get("no-endpoints")).toBeGreaterThan(0);
  });

  it("scale sets a Deployment's replicas and puts them back after for", () => {
    const r = run(`
duration: 40s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 20")}
faults:
  - name: no-dns
    at: 10s
    for: 10s
    scale:
      cluster: east
      namespace: kube-system
      name: coredns
      replicas: 0
`);
    expect(r.faults[0]).toMatchObject({ target: "east: Deployment kube-system/coredns to 0", until: 20 * SECOND });
    expect(phase(r, "c", "no-dns", "before").successRatio).toBe(1);
    expect(phase(r, "c", "no-dns", "during").codes.TIMEOUT).toBeGreaterThan(80);
    // Back to one replica, which takes its startup and the watch delays to serve.
    expect(phase(r, "c", "no-dns", "after").successRatio).toBe(1);
  });

  it("a fault that cannot act is recorded with the reason, and the run goes on", () => {
    const r = run(`
duration: 10s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 20")}
faults:
  - name: nothing-to-scale
    at: 2s
    for: 2s
    scale:
      cluster: east
      name: no-such-app
      replicas: 3
`);
    expect(r.faults[0]!.error).toMatch(/no Deployment default\/no-such-app/);
    expect(r.partial).toBe(false);
    expect(stream(r, "c").successRatio).toBe(1);
  });

  it("a fault that cannot be undone (its Deployment deleted meanwhile) says so at its end, and the run goes on", () => {
    const r = run(`
duration: 10s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 20")}
faults:
  - name: up
    at: 2s
    for: 4s
    scale:
      cluster: east
      namespace: shop
      name: web
      replicas: 5
  - name: gone
    at: 4s
    delete:
      cluster: east
      kind: Deployment
      namespace: shop
      name: web
`);
    expect(r.faults[0]).toMatchObject({ name: "up", until: 6 * SECOND, undoError: "cluster east has no Deployment shop/web to scale" });
    expect(r.faults[0]!.error).toBeUndefined();
    expect(r.partial).toBe(false);
  });
});

describe("DNS and object faults", () => {
  it("dnsChaos error answers SERVFAIL for matching names only, and from limits it to some clients", () => {
    const r = run(`
duration: 20s
warmup: 2s
${EAST}
traffic:
${LOOKUP("web-a", "type: A\nrate: 20", "a")}
${LOOKUP("web-b", "type: A\nrate: 20", "b")}
  - name: other-a
    from:
      cluster: east
      pod: a
    resolve: kubernetes.default.svc.cluster.local.
    type: A
    rate: 20
faults:
  - name: chaos
    at: 5s
    for: 10s
    dnsChaos:
      cluster: east
      action: error
      patterns: [web.shop.svc.cluster.local]
      from:
        pod: a
`);
    const hit = phase(r, "web-a", "chaos", "during");
    expect(hit.successRatio).toBe(0);
    expect(hit.codes).toEqual({ SERVFAIL: hit.count });
    expect(phase(r, "web-a", "chaos", "after").successRatio).toBe(1);
    // Another client, and another name from the same client, are left alone.
    expect(phase(r, "web-b", "chaos", "during").successRatio).toBe(1);
    expect(phase(r, "other-a", "chaos", "during").successRatio).toBe(1);
  });

  it("dnsChaos random answers with made-up addresses, IPv6 ones included, which belong to no cluster", () => {
    const r = run(`
duration: 10s
warmup: 2s
${EAST}
traffic:
${LOOKUP("web", "type: A+AAAA\nrate: 20")}
faults:
  - name: chaos
    at: 5s
    dnsChaos:
      cluster: east
      action: random
      patterns: [web.shop.svc.cluster.local]
`);
    const web = stream(r, "web");
    expect(phase(r, "web", "chaos", "during").successRatio).toBe(1);
    expect(web.byPair.map((p) => p.to).sort()).toEqual(["east", "external"]);
    expect(web.byPair.find((p) => p.to === "external")!.count).toBe(phase(r, "web", "chaos", "during").count);
  });

  it("delete and apply change objects at their instant: a Service deleted is NXDOMAIN until applied again", () => {
    const r = run(`
duration: 30s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\narrival: constant\nrate: 20")}
faults:
  - name: gone
    at: 10s
    delete:
      cluster: east
      kind: Service
      namespace: shop
      name: web
  - name: back
    at: 20s
    apply:
      cluster: east
      file: manifests/web.yaml
`);
    expect(r.faults.map((f) => [f.name, f.instant, f.error])).toEqual([
      ["gone", true, undefined],
      ["back", true, undefined],
    ]);
    expect(phase(r, "c", "gone", "before").successRatio).toBe(1);
    // 10 s of constant arrivals, shifted by the watch delay before CoreDNS hears of each change.
    const nxdomain = stream(r, "c").codes.NXDOMAIN;
    expect(nxdomain).toBeGreaterThanOrEqual(199);
    expect(nxdomain).toBeLessThanOrEqual(201);
    expect(phase(r, "c", "back", "after").codes.NXDOMAIN ?? 0).toBeLessThan(2);
  });
});

describe("phases and pairs", () => {
  it("phase windows go by start time: before from warmup, during until reverted, after; instant faults have no during", () => {
    const s = scenario(`
duration: 60s
warmup: 5s
${EAST}
faults:
  - name: early
    at: 2s
    for: 6s
    delay:
      from: east
      to: east
      latency: 1ms
  - name: timed
    at: 10s
    for: 5s
    delay:
      from: east
      to: east
      latency: 1ms
  - name: kill
    at: 20s
    kill:
      cluster: east
      namespace: shop
      labels:
        app: web
  - name: late
    at: 50s
    kill:
      cluster: east
      namespace: shop
      labels:
        app: web
`);
    const sec = (x: number) => x * SECOND;
    const record = (name: string, at: number, until: number | undefined, instant: boolean) => ({
      name,
      action: "x",
      target: "",
      at: sec(at),
      ...(until ? { until: sec(until) } : {}),
      instant,
    });
    // The run stopped before "late": it has no record.
    const w = phaseWindows(s.spec, [record("early", 2, 8, false), record("timed", 10, 15, false), record("kill", 20, undefined, true)]);
    // A fault that started in the warmup: its before is empty, its during starts with the measurements.
    expect(w.get("early")).toEqual({ before: [sec(5), sec(5)], during: [sec(5), sec(8)], after: [sec(8), Infinity] });
    expect(w.get("timed")).toEqual({ before: [sec(5), sec(10)], during: [sec(10), sec(15)], after: [sec(15), Infinity] });
    expect(w.get("kill")).toEqual({ before: [sec(5), sec(20)], during: [Infinity, Infinity], after: [sec(20), Infinity] });
    expect(w.get("late")).toEqual({ before: [sec(5), Infinity], during: [Infinity, Infinity], after: [Infinity, Infinity] });
  });

  it("the report lists before and after for an instant fault, before, during and after for a timed one, and no empty phase", () => {
    const r = run(`
duration: 20s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 20")}
faults:
  - name: slow
    at: 5s
    for: 5s
    delay:
      from: east
      to: east
      latency: 1ms
  - name: kill
    at: 12s
    kill:
      cluster: east
      namespace: shop
      labels:
        app: web
  - name: warm
    at: 1s
    for: 2s
    delay:
      from: east
      to: east
      latency: 1ms
`);
    // warm started in the warmup: nothing was measured before it.
    const phases = stream(r, "c").byPhase.map((p) => `${p.fault} ${p.phase}`);
    expect(phases).toEqual(["slow before", "slow during", "slow after", "kill before", "kill after", "warm during", "warm after"]);
    const [before, during, after] = stream(r, "c").byPhase;
    expect(before!.count + during!.count + after!.count).toBe(stream(r, "c").count);
  });

  it("byPair names the cluster that owns the first address of each answer, and - for lookups without one", () => {
    const r = run(`
duration: 30s
warmup: 2s
${EAST_WEST}
${REMOTE_AND_LOCAL}
faults:
  - name: split
    at: 10s
    for: 10s
    partition:
      from: east
      to: west
`);
    expect(stream(r, "local").byPair.map((p) => [p.from, p.to])).toEqual([["east", "east"]]);
    const remote = stream(r, "remote").byPair;
    expect(remote.map((p) => [p.from, p.to]).sort()).toEqual([["east", "-"], ["east", "west"]]);
    expect(remote.find((p) => p.to === "west")!.successRatio).toBe(1);
    expect(remote.find((p) => p.to === "-")!.successRatio).toBe(0);
    expect(remote.reduce((n, p) => n + p.count, 0)).toBe(stream(r, "remote").count);
    // Cross-region: the remote answers take a round trip between regions.
    expect(remote.find((p) => p.to === "west")!.latencyMs.p50).toBeGreaterThan(40);
  });
});

describe("outcome codes", () => {
  it("NOERROR, NXDOMAIN, NODATA, SERVFAIL and TIMEOUT, as each lookup ended", () => {
    // Long enough for the unanswered lookups (10 s each) to end: those in flight are not measured.
    const r = run(`
duration: 16s
warmup: 2s
clusters:
  - name: east
    region: us-east-1
    zones: [us-east-1a]
    podStartup: 100ms
  - name: dark
    region: us-east-1
    zones: [us-east-1a]
    podStartup: 100ms
    dns:
      replicas: 0
manifests:
  - cluster: east
    file: manifests/web.yaml
traffic:
${LOOKUP("ok", "type: A\nrate: 10")}
  - name: missing
    from:
      cluster: east
      pod: client
    resolve: nope.shop.svc.cluster.local.
    type: A
    rate: 10
  - name: no-aaaa
    from:
      cluster: east
      pod: client
    resolve: web.shop.svc.cluster.local.
    type: AAAA
    rate: 10
  - name: broken
    from:
      cluster: east
      pod: client
    resolve: broken.example.com.
    type: A
    rate: 10
  - name: unanswered
    from:
      cluster: dark
      pod: client
      create:
        image: debian:12
    resolve: web.shop.svc.cluster.local.
    type: A
    rate: 10
    end: 5s
faults:
  - name: chaos
    at: 0s
    dnsChaos:
      cluster: east
      action: error
      patterns: [broken.example.com]
`);
    const only = (name: string) => Object.keys(stream(r, name).codes);
    expect(only("ok")).toEqual(["NOERROR"]);
    expect(only("missing")).toEqual(["NXDOMAIN"]);
    expect(only("no-aaaa")).toEqual(["NODATA"]);
    expect(only("broken")).toEqual(["SERVFAIL"]);
    expect(only("unanswered")).toEqual(["TIMEOUT"]);
    // glibc: two tries, 5 s apart, then it gives up (dns.md §5.2).
    expect(stream(r, "unanswered").queriesPerLookup).toBe(2);
  });

  it("the code of a failed lookup is its last reply's, TIMEOUT when none came, ERROR when nothing was sent", () => {
    const q = (outcome: QueryRecord["outcome"]): QueryRecord => ({ tx: 1, id: 1, name: "x.", qtype: "A", server: "10.0.0.10", transport: "udp", sentAt: 0, outcome });
    const result = (ok: boolean, queries: QueryRecord[], error?: LookupResult["error"]): LookupResult => ({
      behaviour: "glibc",
      name: "x",
      ok,
      ...(error ? { error } : {}),
      addresses: [],
      queries,
      startedAt: 0,
      finishedAt: 0,
    });
    expect(outcomeCode(result(true, [q("NXDOMAIN"), q("NOERROR")]))).toBe("NOERROR");
    expect(outcomeCode(result(false, [q("NOERROR")], "no-data"))).toBe("NODATA");
    expect(outcomeCode(result(false, [q("REFUSED"), q("timeout")], "fail"))).toBe("REFUSED");
    expect(outcomeCode(result(false, [q("timeout"), q("timeout")], "try-again"))).toBe("TIMEOUT");
    expect(outcomeCode(result(false, [], "fail"))).toBe("ERROR");
  });
});

describe("expectations", () => {
  it("pass or fail with the value measured and what it covers", () => {
    const r = run(`
duration: 12s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\narrival: constant\nrate: 10")}
  - name: nobody
    from:
      cluster: east
      pod: ghost
    resolve: web.shop.svc.cluster.local.
    rate: 10
faults:
  - name: slow
    at: 6s
    for: 2s
    delay:
      from: east
      to: east
      latency: 10ms
expect:
  - stream: c
    count:
      atLeast: 100
      atMost: 100
  - stream: c
    count:
      atLeast: 1000000
  - stream: c
    queriesPerLookup:
      atMost: 1
  - stream: c
    rcode:
      code: NXDOMAIN
      atMost: 0
  - stream: c
    latency:
      percentile: 99
      below: 1us
  - stream: c
    fault: slow
    phase: during
    latency:
      percentile: 50
      below: 25ms
  - stream: c
    window:
      from: 6s
      to: 8s
    count:
      atLeast: 20
      atMost: 20
  - description: nothing to measure
    stream: nobody
    successRatio:
      atLeast: 1
  - stream: nobody
    latency:
      percentile: 50
      below: 1s
  - stream: c
    fault: slow
    phase: during
    latency:
      percentile: 50
      above: 20ms
  - stream: c
    fault: slow
    phase: before
    latency:
      percentile: 50
      above: 20ms
`);
    expect(r.expectations.map((e) => [e.pass, e.measured])).toEqual([
      [true, 100],
      [false, 100],
      [true, 1],
      [true, 0],
      [false, expect.any(Number)],
      [true, expect.any(Number)],
      [true, 20],
      [false, null],
      [false, null],
      [true, expect.any(Number)],
      [false, expect.any(Number)],
    ]);
    expect(r.expectations[0]).toMatchObject({ description: "100 <= count of c <= 100", detail: "100" });
    expect(r.expectations[4]!.measured).toBeGreaterThan(0.1);
    // In milliseconds: the delay's 10ms each way, plus the round trip there was anyway.
    expect(r.expectations[5]!.measured).toBeGreaterThan(20);
    expect(r.expectations[5]!.detail).toMatch(/^20\.\d+ms over 20 successful of 20 actions$/);
    expect(r.expectations[7]).toMatchObject({ description: "nothing to measure", detail: "no action in the window" });
    expect(r.expectations[8]!.detail).toMatch(/^no successful action of 0 actions/);
  });
});

describe("runs", () => {
  const SPEC = `
duration: 20s
warmup: 2s
${EAST}
traffic:
${LOOKUP("c", "type: A\nrate: 50")}
faults:
  - name: slow
    at: 15s
    for: 2s
    delay:
      from: east
      to: east
      latency: 10ms
`;

  it("until stops early with a partial report that says so", () => {
    const r = run(SPEC, { until: 10 * SECOND });
    expect(r).toMatchObject({ partial: true, simulated: 10 });
    expect(r.stopReason).toMatch(/stopped at 10s as asked \(--until\), before the end of the run at 20s/);
    // The fault was never reached: no record, and only its before phase.
    expect(r.faults).toEqual([]);
    expect(stream(r, "c").byPhase.map((p) => p.phase)).toEqual(["before"]);
    expect(stream(r, "c").count).toBeGreaterThan(300);
  });

  it("maxEvents stops a runaway run with a partial report naming the budget", () => {
    const r = run(SPEC, { maxEvents: 2000 });
    expect(r.partial).toBe(true);
    expect(r.events).toBeLessThanOrEqual(2000);
    expect(r.stopReason).toMatch(/event budget of 2000 events ran out/);
  });

  it("the same seed gives the same digest and report; another seed another digest", () => {
    const a = run(SPEC);
    const b = run(SPEC);
    const c = run(SPEC, { seed: 2 });
    expect(b.digest).toBe(a.digest);
    expect(b.streams).toEqual(a.streams);
    expect(c.digest).not.toBe(a.digest);
    expect(c.seed).toBe(2);
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ScenarioError, loadScenario, relativeTo } from "../../src/scenario/load.js";
import type { FaultAction, Scenario } from "../../src/scenario/spec.js";

// ---------------------------------------------------------------------------------------------
// Helpers: scenarios are written as text, files live in a map, and places are found in the text
// by what is written there, so that every expected line and column is checked against the text.

const FILE = "lab/s.yaml";

/** Strips the indentation common to a template's lines (and its first and last empty line). */
function dedent(text: string): string {
  const lines = text.replace(/^\n/, "").replace(/\n[ ]*$/, "\n").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join("\n");
}

const indented = (text: string, n: number) =>
  text
    .split("\n")
    .map((l) => (l ? " ".repeat(n) + l : l))
    .join("\n");

const HEAD = dedent(`
  apiVersion: mcsim/v1alpha1
  kind: Scenario
  metadata:
    name: t
  spec:
    duration: 60s
    clusters:
      - name: east
        region: us-east-1
        zones: [us-east-1a, us-east-1b]
      - name: west
        region: eu-west-1
        zones: [eu-west-1a]
        network: other
`);

/** Two clusters (east on network default, west on network other), with `spec` added under spec:. */
function scenario(spec = ""): string {
  return HEAD + indented(dedent(spec), 2);
}

/** A stream, so that expectations have something to look at. */
const STREAM = `
  traffic:
    - name: local
      from: {cluster: east, pod: client, create: {}}
      resolve: web.shop.svc.cluster.local.
      rate: 10
`;

const WEB = dedent(`
  apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
  ---
  apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: shop
  spec:
    selector:
      app: web
    ports:
      - port: 80
`);

/** A `readFile` over a map; other paths fail as a missing file does. */
function files(map: Readonly<Record<string, string>>): (path: string) => string {
  return (path) => {
    if (Object.hasOwn(map, path)) return map[path]!;
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  };
}

const FILES = files({ "lab/manifests/web.yaml": WEB, "lab/Corefile": ".:53 {\n    errors\n    forward . 8.8.8.8\n}\n" });

function load(text: string, readFile = FILES): Scenario {
  return loadScenario(text, FILE, { readFile });
}

function failure(text: string, readFile = FILES): ScenarioError {
  try {
    load(text, readFile);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("the scenario loaded without an error");
}

/**
 * `line:column` of the `nth` (0-based) occurrence of `needle` in `text`; with a `^` in the needle,
 * of the character after it (`to: ^0}` is the 0 of `to: 0}`).
 */
function at(text: string, needle: string, nth = 0): string {
  const caret = Math.max(needle.indexOf("^"), 0);
  const plain = needle.replace("^", "");
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = text.indexOf(plain, offset + 1);
    if (offset < 0) throw new Error(`${JSON.stringify(plain)} is not in the text ${nth + 1} times`);
  }
  const before = text.slice(0, offset + caret).split("\n");
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

interface Wanted {
  /** `line:column`. */
  readonly at: string;
  readonly path: string;
  readonly detail: string | RegExp;
  readonly file?: string;
}

function rejects(text: string, want: Wanted, readFile = FILES): void {
  const e = failure(text, readFile);
  expect(`${e.file}:${e.line}:${e.column}`, e.message).toBe(`${want.file ?? FILE}:${want.at}`);
  expect(e.path, e.message).toBe(want.path);
  if (typeof want.detail === "string") expect(e.detail).toBe(want.detail);
  else expect(e.detail).toMatch(want.detail);
  expect(e.message).toBe(`${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.detail}`);
}

/** The action of the one fault of a scenario with `fault` (YAML, under `- `) as its timeline. */
function faultOf(fault: string): { name: string; at: number; for?: number; action: FaultAction } {
  const text = scenario(`faults:\n  - ${indented(dedent(fault), 4).trimStart()}`);
  return load(text).spec.faults[0]!;
}

// ---------------------------------------------------------------------------------------------

describe("loadScenario: the document, metadata and run settings", () => {
  it("reads a minimal scenario and fills in every default", () => {
    const s = load(HEAD);
    expect(s.apiVersion).toBe("mcsim/v1alpha1");
    expect(s.kind).toBe("Scenario");
    expect(s.metadata).toEqual({ name: "t" });
    expect(s.spec.seed).toBe(1);
    expect(s.spec.duration).toBe(60_000_000);
    expect(s.spec.warmup).toBe(0);
    expect(s.spec.network).toEqual({ links: {}, clusterPairs: [] });
    expect(s.spec.manifests).toEqual([]);
    expect(s.spec.traffic).toEqual([]);
    expect(s.spec.faults).toEqual([]);
    expect(s.spec.expect).toEqual([]);
    expect(s.spec.clusters[0]).toEqual({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: 1, dns: { replicas: 2 } });
  });

  it("reads metadata, seed, duration and warmup, durations in microseconds", () => {
    const text = HEAD.replace("  name: t\n", "  name: t\n  description: what it shows\n").replace("duration: 60s", "seed: 42\n  duration: 1m30s\n  warmup: 1.5s");
    const s = load(text);
    expect(s.metadata).toEqual({ name: "t", description: "what it shows" });
    expect(s.spec.seed).toBe(42);
    expect(s.spec.duration).toBe(90_000_000);
    expect(s.spec.warmup).toBe(1_500_000);
  });

  it("reads the quickstart scenario with the files it names", () => {
    const s = loadScenario(readFileSync("scenarios/quickstart.yaml", "utf8"), "scenarios/quickstart.yaml", { readFile: (p) => readFileSync(p, "utf8") });
    expect(s.metadata.name).toBe("quickstart");
    expect(s.spec.manifests[0]!.source).toBe("scenarios/manifests/web.yaml");
    expect(s.spec.manifests[1]!.source).toMatch(/^scenarios\/quickstart\.yaml:\d+$/);
    expect(s.spec.faults.map((f) => f.name)).toEqual(["partition"]);
  });

  it("refuses an empty file, and one of only comments", () => {
    rejects("", { at: "1:1", path: "", detail: /^the file is empty; a scenario starts with apiVersion: mcsim\/v1alpha1/ });
    rejects("# nothing yet\n", { at: "1:1", path: "", detail: /^the file is empty/ });
  });

  it("refuses a second YAML document, at its start", () => {
    const text = `${HEAD}---\napiVersion: mcsim/v1alpha1\n`;
    rejects(text, { at: at(text, "apiVersion", 1), path: "", detail: "a scenario file holds one document; remove the second (after ---)" });
  });

  it("reports a YAML syntax error where the parser found it", () => {
    const text = HEAD.replace("zones: [eu-west-1a]", "zones: [eu-west-1a]]");
    rejects(text, { at: at(text, "eu-west-1a]^]"), path: "", detail: 'YAML syntax error: Unexpected flow-seq-end token in YAML stream: "]"' });
    const tab = HEAD.replace("    - name: west", "\t- name: west");
    rejects(tab, { at: at(tab, "\t"), path: "", detail: /^YAML syntax error: Tabs are not allowed as indentation/ });
  });

  it("expands aliases, and refuses an alias to no anchor where the alias is written", () => {
    const text = HEAD.replace("zones: [us-east-1a, us-east-1b]", "zones: &zones [us-east-1a, us-east-1b]").replace("zones: [eu-west-1a]", "zones: *zones");
    expect(load(text).spec.clusters[1]!.zones).toEqual(["us-east-1a", "us-east-1b"]);
    const bad = HEAD.replace("zones: [eu-west-1a]", "zones: *nowhere");
    rejects(bad, { at: at(bad, "*nowhere"), path: "spec.clusters[1].zones", detail: "alias *nowhere refers to no anchor before it" });
  });

  it("refuses aliases that expand without bound", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const text = `${bomb.join("\n")}\napiVersion: mcsim/v1alpha1\n`;
    const e = failure(text);
    expect(e.detail).toMatch(/aliases expand to more than/);
  });

  it("refuses a document that is not a map", () => {
    rejects("- a\n- b\n", { at: "1:1", path: "", detail: /^expected a map of fields \(apiVersion, kind, metadata, spec\), got a list$/ });
  });

  it("names the expected apiVersion and kind", () => {
    const text = HEAD.replace("mcsim/v1alpha1", "mcsim/v1");
    rejects(text, { at: at(text, "mcsim/v1"), path: "apiVersion", detail: 'expected one of mcsim/v1alpha1, got "mcsim/v1"' });
    const kind = HEAD.replace("kind: Scenario", "kind: Senario");
    rejects(kind, { at: at(kind, "Senario"), path: "kind", detail: 'expected one of Scenario, got "Senario" (did you mean "Scenario"?)' });
  });

  it("suggests the nearest field for a misspelt one, at the key", () => {
    const text = HEAD.replace("metadata:", "metdata:");
    rejects(text, { at: at(text, "metdata"), path: "metdata", detail: 'unknown field "metdata" (did you mean "metadata"?)' });
    const spec = scenario("trafic: []\n");
    rejects(spec, { at: at(spec, "trafic"), path: "spec.trafic", detail: 'unknown field "trafic" (did you mean "traffic"?)' });
    const far = scenario("banana: 1\n");
    rejects(far, { at: at(far, "banana"), path: "spec.banana", detail: /^unknown field "banana"; the fields here are seed, duration, warmup, network, clusters, patterns, manifests, apps, traffic, faults, expect$/ });
  });

  it("reports missing required fields where they belong", () => {
    const noName = HEAD.replace("  name: t\n", "  description: d\n");
    rejects(noName, { at: at(noName, "metadata"), path: "metadata.name", detail: "required field missing" });
    const noSpec = "apiVersion: mcsim/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n";
    rejects(noSpec, { at: "1:1", path: "spec", detail: "required field missing" });
    const noDuration = HEAD.replace("  duration: 60s\n", "");
    rejects(noDuration, { at: at(noDuration, "spec"), path: "spec.duration", detail: "required field missing" });
    const noClusters = HEAD.slice(0, HEAD.indexOf("  clusters:"));
    rejects(noClusters, { at: at(noClusters, "spec"), path: "spec.clusters", detail: "required field missing" });
  });

  it("refuses wrong types with what was expected", () => {
    const seed = HEAD.replace("duration: 60s", "seed: one\n  duration: 60s");
    rejects(seed, { at: at(seed, "one"), path: "spec.seed", detail: /^expected a number from 0 to 9007199254740991, got "one"$/ });
    const quotedSeed = HEAD.replace("duration: 60s", 'seed: "7"\n  duration: 60s');
    rejects(quotedSeed, { at: at(quotedSeed, '"7"'), path: "spec.seed", detail: /got "7" \(write 7 without quotes\)$/ });
    const negative = HEAD.replace("duration: 60s", "seed: -1\n  duration: 60s");
    rejects(negative, { at: at(negative, "-1"), path: "spec.seed", detail: /^expected a number from 0 to .*, got -1$/ });
    const clusters = HEAD.slice(0, HEAD.indexOf("  clusters:")) + "  clusters: east\n";
    rejects(clusters, { at: at(clusters, "east"), path: "spec.clusters", detail: /^expected a list, got "east"$/ });
    const map = HEAD.slice(0, HEAD.indexOf("  clusters:")) + "  clusters:\n    name: east\n";
    rejects(map, { at: at(map, "name: east"), path: "spec.clusters", detail: "expected a list, got a map (start each item with '- ')" });
  });

  it("refuses durations without a unit, suggesting one", () => {
    const bare = HEAD.replace("duration: 60s", "duration: 10");
    rejects(bare, { at: at(bare, "10"), path: "spec.duration", detail: /^expected a duration \(.*\), got 10 \(add a unit: 10ms or 10s\)$/ });
    const quoted = HEAD.replace("duration: 60s", 'duration: "10"');
    rejects(quoted, { at: at(quoted, '"10"'), path: "spec.duration", detail: /, got "10" \(add a unit: 10ms or 10s\)$/ });
    const fine = HEAD.replace("duration: 60s", "duration: 1.5us");
    rejects(fine, { at: at(fine, "1.5us"), path: "spec.duration", detail: /, got "1.5us" \(it is finer than the simulation's resolution of 1us\)$/ });
    const words = HEAD.replace("duration: 60s", "duration: a minute");
    rejects(words, { at: at(words, "a minute"), path: "spec.duration", detail: /, got "a minute" \(cannot read "a minute"\)$/ });
    const zero = HEAD.replace("duration: 60s", "duration: 0");
    rejects(zero, { at: at(zero, "0\n"), path: "spec.duration", detail: "expected a duration of at least 1us, got 0" });
  });

  it("refuses a warmup as long as the run", () => {
    const text = HEAD.replace("duration: 60s", "duration: 60s\n  warmup: 1m");
    rejects(text, { at: at(text, "1m"), path: "spec.warmup", detail: "must be shorter than the run (duration 1m)" });
  });
});

describe("loadScenario: network", () => {
  it("reads a link per scope, with each distribution form, and turns percents into probabilities", () => {
    const s = load(
      scenario(`
        network:
          links:
            sameNode: {latency: 50us}
            sameZone: {latency: {uniform: {min: 100us, max: 300us}}, jitter: 20us}
            crossZone: {latency: {normal: {mean: 1ms, stddev: 200us}}, loss: 1, duplicate: 2}
            crossRegion: {latency: {lognormal: {median: 30ms, p99: 80ms}}, reorder: {percent: 5, delay: 1ms}}
      `),
    );
    expect(s.spec.network.links).toEqual({
      "same-node": { latency: { kind: "constant", value: 50 } },
      "same-zone": { latency: { kind: "uniform", min: 100, max: 300 }, jitter: 20 },
      "cross-zone": { latency: { kind: "normal", mean: 1000, stddev: 200 }, loss: 0.01, duplicate: 0.02 },
      "cross-region": { latency: { kind: "lognormal", median: 30_000, p99: 80_000 }, reorder: { probability: 0.05, delay: 1000 } },
    });
  });

  it("reads the constant, exponential and pareto forms, and a bare 0", () => {
    const s = load(
      scenario(`
        network:
          links:
            sameNode: {latency: {constant: 2ms}}
            sameZone: {latency: {exponential: {mean: 2ms, min: 1ms}}}
            crossZone: {latency: {pareto: {scale: 1ms, shape: 1.5}}}
            crossRegion: {latency: 0}
      `),
    );
    expect(s.spec.network.links).toEqual({
      "same-node": { latency: { kind: "constant", value: 2000 } },
      "same-zone": { latency: { kind: "exponential", mean: 2000, min: 1000 } },
      "cross-zone": { latency: { kind: "pareto", scale: 1000, shape: 1.5 } },
      "cross-region": { latency: { kind: "constant", value: 0 } },
    });
  });

  it("reads cluster pairs, both ways unless oneWay", () => {
    const s = load(
      scenario(`
        network:
          clusterPairs:
            - clusters: [east, west]
              latency: {lognormal: {median: 40ms, p99: 90ms}}
              loss: 0.5
            - clusters: [west, east]
              oneWay: true
              latency: 45ms
      `),
    );
    expect(s.spec.network.clusterPairs).toEqual([
      { clusters: ["east", "west"], latency: { kind: "lognormal", median: 40_000, p99: 90_000 }, loss: 0.005 },
      { clusters: ["west", "east"], oneWay: true, latency: { kind: "constant", value: 45_000 } },
    ]);
  });

  it("refuses a misspelt scope, a misspelt or doubled distribution kind, and bad parameters", () => {
    const scope = scenario("network:\n  links:\n    crossregion: {latency: 1ms}\n");
    rejects(scope, { at: at(scope, "crossregion"), path: "spec.network.links.crossregion", detail: 'unknown field "crossregion" (did you mean "crossRegion"?)' });
    const kind = scenario("network:\n  links:\n    sameZone: {latency: {lognormel: {median: 1ms, p99: 2ms}}}\n");
    rejects(kind, { at: at(kind, "lognormel"), path: "spec.network.links.sameZone.latency.lognormel", detail: 'unknown field "lognormel" (did you mean "lognormal"?)' });
    const two = scenario("network:\n  links:\n    sameZone: {latency: {constant: 1ms, uniform: {min: 1ms, max: 2ms}}}\n");
    rejects(two, {
      at: at(two, "uniform"),
      path: "spec.network.links.sameZone.latency.uniform",
      detail: "only one distribution kind is allowed, but constant and uniform are both given",
    });
    const none = scenario("network:\n  links:\n    sameZone: {latency: {}}\n");
    rejects(none, { at: at(none, "latency"), path: "spec.network.links.sameZone.latency", detail: /^expected a distribution kind: one of constant, uniform, normal, lognormal, exponential, pareto$/ });
    const p99 = scenario("network:\n  links:\n    sameZone: {latency: {lognormal: {median: 5ms, p99: 1ms}}}\n");
    rejects(p99, { at: at(p99, "{lognormal"), path: "spec.network.links.sameZone.latency", detail: /p99 must be at least the median$/ });
    const missing = scenario("network:\n  links:\n    sameZone: {latency: {lognormal: {median: 5ms}}}\n");
    rejects(missing, { at: at(missing, "lognormal"), path: "spec.network.links.sameZone.latency.lognormal.p99", detail: "required field missing" });
    const list = scenario("network:\n  links:\n    sameZone: {latency: [1ms]}\n");
    rejects(list, { at: at(list, "[1ms]"), path: "spec.network.links.sameZone.latency", detail: /^expected a duration, or a map of fields \(constant, uniform, normal, lognormal, …\), got a list$/ });
    const noLatency = scenario("network:\n  links:\n    sameZone: {loss: 1}\n");
    rejects(noLatency, { at: at(noLatency, "sameZone"), path: "spec.network.links.sameZone.latency", detail: "required field missing" });
  });

  it("refuses percents out of range and pairs of other than two known clusters", () => {
    const loss = scenario("network:\n  links:\n    sameZone: {latency: 1ms, loss: 101}\n");
    rejects(loss, { at: at(loss, "101"), path: "spec.network.links.sameZone.loss", detail: "expected a number at least 0 and at most 100, got 101" });
    const one = scenario("network:\n  clusterPairs:\n    - {clusters: [east], latency: 1ms}\n");
    rejects(one, { at: at(one, "[east]"), path: "spec.network.clusterPairs[0].clusters", detail: "expected at least 2 items, got 1" });
    const unknown = scenario("network:\n  clusterPairs:\n    - {clusters: [east, wset], latency: 1ms}\n");
    rejects(unknown, {
      at: at(unknown, "wset"),
      path: "spec.network.clusterPairs[0].clusters[1]",
      detail: 'no cluster named "wset" (did you mean "west"?); the clusters are east, west',
    });
  });
});

describe("loadScenario: clusters", () => {
  it("reads every cluster setting", () => {
    const s = load(
      HEAD.replace(
        "      network: other\n",
        indented(
          dedent(`
            network: other
            nodesPerZone: 3
            podCidr: 10.20.0.0/16
            serviceCidr: 10.120.0.0/16
            domain: west.local
            nodeSearch: [eu-west-1.compute.internal]
            podStartup: {lognormal: {median: 1s, p99: 3s}}
            watchDelay: 5ms
            dns:
              replicas: 3
              workers: 4
              serviceTime: {exponential: {mean: 200us}}
              queueLimit: 100
          `),
          6,
        ),
      ),
    );
    expect(s.spec.clusters[1]).toEqual({
      name: "west",
      region: "eu-west-1",
      zones: ["eu-west-1a"],
      nodesPerZone: 3,
      network: "other",
      podCidr: "10.20.0.0/16",
      serviceCidr: "10.120.0.0/16",
      domain: "west.local",
      nodeSearch: ["eu-west-1.compute.internal"],
      podStartup: { kind: "lognormal", median: 1_000_000, p99: 3_000_000 },
      watchDelay: { kind: "constant", value: 5000 },
      dns: { replicas: 3, workers: 4, serviceTime: { kind: "exponential", mean: 200 }, queueLimit: 100 },
    });
  });

  it("reads a Corefile written inline or from a file relative to the scenario", () => {
    const inline = load(HEAD.replace("      network: other\n", "      dns:\n        corefile: |\n          .:53 {\n              forward . 8.8.8.8\n          }\n"));
    expect(inline.spec.clusters[1]!.dns).toEqual({ replicas: 2, corefile: ".:53 {\n    forward . 8.8.8.8\n}\n" });
    const file = load(HEAD.replace("      network: other\n", "      dns: {corefileFile: Corefile}\n"));
    expect(file.spec.clusters[1]!.dns).toEqual({ replicas: 2, corefile: ".:53 {\n    errors\n    forward . 8.8.8.8\n}\n" });
  });

  it("refuses a cluster without zones, a zone twice, and a name twice", () => {
    const noZones = HEAD.replace("      zones: [eu-west-1a]\n", "");
    rejects(noZones, { at: at(noZones, "name: west"), path: "spec.clusters[1].zones", detail: "required field missing" });
    const twice = HEAD.replace("zones: [eu-west-1a]", "zones: [eu-west-1a, eu-west-1a]");
    rejects(twice, { at: at(twice, "eu-west-1a", 1), path: "spec.clusters[1].zones[1]", detail: 'duplicate zone "eu-west-1a": spec.clusters[1].zones[0] has it too' });
    const same = HEAD.replace("name: west", "name: east");
    rejects(same, { at: at(same, "name: east", 1), path: "spec.clusters[1]", detail: 'duplicate cluster name "east": spec.clusters[0] has it too' });
  });

  it("refuses a name that is not a DNS label, ranges that are not ranges, and the external network", () => {
    const upper = HEAD.replace("name: west", "name: West");
    rejects(upper, { at: at(upper, "West"), path: "spec.clusters[1].name", detail: /^expected a DNS-1123 label .*, got "West"$/ });
    const hostBits = HEAD.replace("network: other", "network: other\n      podCidr: 10.20.1.0/16");
    rejects(hostBits, {
      at: at(hostBits, "10.20.1.0/16"),
      path: "spec.clusters[1].podCidr",
      detail: 'expected an IPv4 range in CIDR notation, e.g. 10.10.0.0/16, got "10.20.1.0/16" (it has host bits set; did you mean 10.20.0.0/16?)',
    });
    const banana = HEAD.replace("network: other", "network: other\n      serviceCidr: banana");
    rejects(banana, { at: at(banana, "banana"), path: "spec.clusters[1].serviceCidr", detail: 'expected an IPv4 range in CIDR notation, e.g. 10.10.0.0/16, got "banana"' });
    const external = HEAD.replace("network: other", "network: external");
    rejects(external, { at: at(external, "external"), path: "spec.clusters[1].network", detail: /^expected a network name other than "external" .*, got "external"$/ });
    const nodes = HEAD.replace("network: other", "network: other\n      nodesPerZone: 0");
    rejects(nodes, { at: at(nodes, "0\n"), path: "spec.clusters[1].nodesPerZone", detail: "expected a number from 1 to 1000, got 0" });
  });

  it("refuses both corefile and corefileFile, a Corefile that is not text, and a Corefile file that is missing", () => {
    const both = HEAD.replace("      network: other\n", "      dns:\n        corefile: |\n          .:53 {\n          }\n        corefileFile: Corefile\n");
    rejects(both, { at: at(both, "Corefile\n"), path: "spec.clusters[1].dns.corefileFile", detail: "give corefile or corefileFile, not both" });
    const map = HEAD.replace("      network: other\n", "      dns:\n        corefile: {forward: x}\n");
    rejects(map, { at: at(map, "{forward"), path: "spec.clusters[1].dns.corefile", detail: "expected the Corefile's text (a YAML block starting with |), got a map" });
    const missing = HEAD.replace("      network: other\n", "      dns: {corefileFile: conf/Corefile}\n");
    rejects(missing, { at: at(missing, "conf/Corefile"), path: "spec.clusters[1].dns.corefileFile", detail: "cannot read lab/conf/Corefile: no such file; paths are relative to the scenario file" });
  });

  it("reports a Corefile error inside an inline block at its place in the scenario file", () => {
    const text = HEAD.replace("      network: other\n", "      dns:\n        corefile: |\n          .:53 {\n              errors\n              whoami\n          }\n");
    rejects(text, { at: at(text, "whoami"), path: "", detail: /^Corefile: plugin 'whoami' is a CoreDNS plugin that mcsim does not implement/ });
  });

  it("checks each plugin's arguments as CoreDNS's setup does, at load time, not when a CoreDNS pod starts", () => {
    const text = HEAD.replace("      network: other\n", "      dns:\n        corefile: |\n          .:53 {\n              kubernetes cluster.local\n              forward . bogus\n          }\n");
    rejects(text, { at: at(text, "forward . bogus"), path: "", detail: "Corefile: forward: hostname upstreams (bogus) are not supported by mcsim: write the upstream's IP address" });
    const cache = HEAD.replace("      network: other\n", "      dns:\n        corefile: |\n          .:53 {\n              cache 0\n          }\n");
    rejects(cache, { at: at(cache, "cache 0"), path: "", detail: "Corefile: cache: cache TTL can not be zero or negative: 0" });
  });

  it("reports a Corefile error inside a file in that file", () => {
    const corefile = ".:53 {\n    errors\n    whoami\n}\n";
    const text = HEAD.replace("      network: other\n", "      dns: {corefileFile: dns/Corefile}\n");
    rejects(text, { file: "lab/dns/Corefile", at: at(corefile, "whoami"), path: "", detail: /^Corefile: plugin 'whoami' is a CoreDNS plugin that mcsim does not implement/ }, files({ "lab/dns/Corefile": corefile }));
  });
});

describe("loadScenario: manifests", () => {
  it("reads a file (relative to the scenario) into several clusters, and an inline block into one", () => {
    const text = scenario(`
      manifests:
        - clusters: [east, west]
          file: manifests/web.yaml
        - cluster: west
          inline: |
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              mode: fast
    `);
    const [file, inline] = load(text).spec.manifests;
    expect(file!.clusters).toEqual(["east", "west"]);
    expect(file!.source).toBe("lab/manifests/web.yaml");
    expect(file!.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["Namespace/shop", "Service/web"]);
    expect(inline!.clusters).toEqual(["west"]);
    expect(inline!.source).toBe(`${FILE}:${at(text, "|").split(":")[0]}`);
    expect(inline!.objects).toMatchObject([{ kind: "ConfigMap", metadata: { name: "settings", namespace: "default" }, data: { mode: "fast" } }]);
  });

  it("refuses an entry without a cluster, with both forms, or without exactly one of file and inline", () => {
    const none = scenario("manifests:\n  - file: manifests/web.yaml\n");
    rejects(none, { at: at(none, "file: manifests"), path: "spec.manifests[0].cluster", detail: "required: the cluster to apply them to (cluster: NAME, or clusters: [A, B])" });
    const both = scenario("manifests:\n  - cluster: east\n    clusters: [west]\n    file: manifests/web.yaml\n");
    rejects(both, { at: at(both, "[west]"), path: "spec.manifests[0].clusters", detail: "give cluster or clusters, not both" });
    const neither = scenario("manifests:\n  - cluster: east\n");
    rejects(neither, { at: at(neither, "cluster: east"), path: "spec.manifests[0]", detail: "expected a source of manifests: one of file, inline" });
    const two = scenario("manifests:\n  - cluster: east\n    file: manifests/web.yaml\n    inline: '{apiVersion: v1, kind: Namespace, metadata: {name: x}}'\n");
    rejects(two, {
      at: at(two, "inline"),
      path: "spec.manifests[0].inline",
      detail: "only one source of manifests is allowed, but file and inline are both given; give each its own entry",
    });
  });

  it("refuses an unknown cluster where it is written, with the nearest name", () => {
    const one = scenario("manifests:\n  - cluster: eats\n    file: manifests/web.yaml\n");
    rejects(one, { at: at(one, "eats"), path: "spec.manifests[0].cluster", detail: 'no cluster named "eats" (did you mean "east"?); the clusters are east, west' });
    const list = scenario("manifests:\n  - clusters: [mars]\n    file: manifests/web.yaml\n");
    rejects(list, { at: at(list, "mars"), path: "spec.manifests[0].clusters[0]", detail: 'no cluster named "mars"; the clusters are east, west' });
    const twice = scenario("manifests:\n  - clusters: [east, east]\n    file: manifests/web.yaml\n");
    rejects(twice, { at: at(twice, "east]"), path: "spec.manifests[0].clusters[1]", detail: 'duplicate cluster "east": spec.manifests[0].clusters[0] has it too' });
  });

  it("refuses a file that does not exist, and files when there is no way to read them", () => {
    const text = scenario("manifests:\n  - cluster: east\n    file: ../missing.yaml\n");
    rejects(text, { at: at(text, "../missing.yaml"), path: "spec.manifests[0].file", detail: "cannot read missing.yaml: no such file; paths are relative to the scenario file" });
    const e = (() => {
      try {
        loadScenario(text, FILE);
      } catch (e) {
        return e as ScenarioError;
      }
      throw new Error("loaded");
    })();
    expect(e).toBeInstanceOf(ScenarioError);
    expect(e.detail).toBe('cannot read "../missing.yaml": this scenario was given without a way to read the files it names');
    const denied = files({});
    const eacces = () => {
      throw Object.assign(new Error("EACCES"), { code: "EACCES" });
    };
    expect(failure(text, eacces).detail).toBe("cannot read missing.yaml (EACCES); paths are relative to the scenario file");
    expect(failure(text, denied).path).toBe("spec.manifests[0].file");
  });

  it("reports an error inside a referenced file in that file, with its document", () => {
    const read = files({ "lab/web.yaml": WEB.replace("port: 80", "port: 0") });
    const text = scenario("manifests:\n  - cluster: east\n    file: web.yaml\n");
    rejects(text, { file: "lab/web.yaml", at: at(WEB, "80"), path: "spec.ports[0].port (document 2)", detail: "expected a number from 1 to 65535, got 0" }, read);
  });

  /** A scenario with one inline manifest written with `header`, and its Service's port 70000. */
  const inlineWith = (header: string, body: string) => scenario(`manifests:\n  - cluster: east\n    inline: ${header}\n${body}`);
  const SERVICE = ["apiVersion: v1", "kind: Service", "metadata:", "  name: web", "spec:", "  ports:", "    - port: 70000"];
  const block = (indent: number, lines = SERVICE) => lines.map((l) => (l ? " ".repeat(indent) + l : "")).join("\n") + "\n";
  const PORT = { path: "spec.ports[0].port", detail: "expected a number from 1 to 65535, got 70000" };

  it("reports an error inside an inline block (|) at its line and column in the scenario file", () => {
    const text = inlineWith("|", block(6));
    rejects(text, { at: at(text, "70000"), ...PORT });
    // The arithmetic, spelt out: the block's 7th line is 7 lines below the header, and the block is
    // indented 8 (6 in the spec's text, which is under spec:), so column 13 in it is column 21.
    const header = Number(at(text, "inline: |").split(":")[0]);
    expect(at(text, "70000")).toBe(`${header + 7}:${8 + 13}`);
  });

  it("counts leading blank lines and ignores chomping indicators (|-, |+)", () => {
    for (const header of ["|-", "|+", "|  # a comment"]) {
      const text = inlineWith(header, `\n   \n${block(6)}`);
      rejects(text, { at: at(text, "70000"), ...PORT });
    }
  });

  it("honours indentation indicators (|2, |-2, |2-): text indented beyond them keeps its spaces", () => {
    for (const header of ["|2", "|-2", "|2-"]) {
      // The entry's map is indented 6 in the file, so the block's indentation is 6 + 2 = 8; its
      // text is indented 10, keeping 2 spaces.
      const text = inlineWith(header, block(8));
      rejects(text, { at: at(text, "70000"), ...PORT });
    }
    const first = scenario(`manifests:\n  - inline: |2\n${block(8)}    cluster: east\n`);
    rejects(first, { at: at(first, "70000"), ...PORT });
  });

  it("reports an error in a block's second document at its place, naming the document", () => {
    const text = inlineWith("|", block(6, ["apiVersion: v1", "kind: Namespace", "metadata:", "  name: shop", "---", ...SERVICE]));
    rejects(text, { at: at(text, "70000"), path: "spec.ports[0].port (document 2)", detail: PORT.detail });
  });

  it("maps a one-line string exactly, and reports other texts at their start", () => {
    const plain = scenario('manifests:\n  - cluster: east\n    inline: "{apiVersion: v1, kind: Namespace, metadata: {name: Shop}}"\n');
    rejects(plain, { at: at(plain, "Shop"), path: "metadata.name", detail: /^expected a DNS-1123 label/ });
    const escaped = scenario('manifests:\n  - cluster: east\n    inline: "apiVersion: v1\\nkind: Servic\\n"\n');
    rejects(escaped, { at: at(escaped, '"apiVersion'), path: "kind", detail: /^unknown kind "Servic" \(did you mean "Service"\?\)/ });
    const folded = inlineWith(">", block(6));
    expect(`${failure(folded).line}:${failure(folded).column}`).toBe(at(folded, ">"));
  });

  it("reports an error in an aliased block at the alias", () => {
    const text = scenario(`manifests:\n  - cluster: east\n    file: manifests/web.yaml\n  - cluster: west\n    inline: *bad\n`).replace("  name: t\n", `  name: t\n  description: &bad |\n${block(4)}`);
    rejects(text, { at: at(text, "*bad"), ...PORT });
  });
});

describe("loadScenario: traffic", () => {
  const stream = (body: string) => load(scenario(`traffic:\n  - ${indented(dedent(body), 4).trimStart()}`)).spec.traffic[0]!;

  it("reads a Poisson stream with its defaults, ending with the run", () => {
    expect(stream("name: s\nfrom: {cluster: east, pod: client}\nresolve: web\nrate: 20\n")).toEqual({
      name: "s",
      from: { cluster: "east", namespace: "default", pod: "client" },
      action: { kind: "resolve", names: ["web"], type: "A+AAAA" },
      arrival: { kind: "poisson", rate: 20 },
      start: 0,
      end: 60_000_000,
    });
  });

  it("reads a constant stream with a window, a record type, a resolver and a list of names", () => {
    const s = stream("name: s\nfrom: {cluster: west, namespace: apps, labels: {app: client}}\nresolve: [a.example., b.example.]\ntype: AAAA\nresolver: musl\narrival: constant\nrate: 0.5\nstart: 10s\nend: 20s\n");
    expect(s.from).toEqual({ cluster: "west", namespace: "apps", labels: { app: "client" } });
    expect(s.action).toEqual({ kind: "resolve", names: ["a.example.", "b.example."], type: "AAAA", resolver: "musl" });
    expect(s.arrival).toEqual({ kind: "constant", rate: 0.5 });
    expect([s.start, s.end]).toEqual([10_000_000, 20_000_000]);
  });

  it("reads a closed loop, with think time 0 unless given", () => {
    expect(stream("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\narrival: closed\nconcurrency: 4\n").arrival).toEqual({ kind: "closed", concurrency: 4, think: { kind: "constant", value: 0 } });
    expect(stream("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\narrival: closed\nconcurrency: 2\nthink: {uniform: {min: 1ms, max: 2ms}}\n").arrival).toEqual({
      kind: "closed",
      concurrency: 2,
      think: { kind: "uniform", min: 1000, max: 2000 },
    });
  });

  it("reads client pods to create, with their defaults", () => {
    expect(stream("name: s\nfrom: {cluster: east, pod: c, create: {}}\nresolve: web\nrate: 1\n").from.create).toEqual({ image: "debian:12", replicas: 1 });
    expect(stream("name: s\nfrom: {cluster: east, pod: c, labels: {role: client}, create: {image: alpine:3.20, replicas: 3}}\nresolve: web\nrate: 1\n").from).toEqual({
      cluster: "east",
      namespace: "default",
      pod: "c",
      labels: { role: "client" },
      create: { image: "alpine:3.20", replicas: 3 },
    });
  });

  const bad = (body: string) => scenario(`traffic:\n  - ${indented(dedent(body), 4).trimStart()}`);

  it("refuses a rate that the arrival does not take or needs, and a concurrency it does not take", () => {
    const noRate = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\n");
    rejects(noRate, { at: at(noRate, "name: s"), path: "spec.traffic[0].rate", detail: "required with arrival poisson" });
    const closedRate = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\narrival: closed\nconcurrency: 1\nrate: 5\n");
    rejects(closedRate, { at: at(closedRate, "5\n"), path: "spec.traffic[0].rate", detail: "a closed loop has no rate: its pace is set by concurrency and think" });
    const noConcurrency = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\narrival: closed\n");
    rejects(noConcurrency, { at: at(noConcurrency, "name: s"), path: "spec.traffic[0].concurrency", detail: "required with arrival closed" });
    const concurrency = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: 1\nconcurrency: 2\n");
    rejects(concurrency, { at: at(concurrency, "2\n"), path: "spec.traffic[0].concurrency", detail: "only with arrival closed, not poisson" });
    const think = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\narrival: constant\nrate: 1\nthink: 1ms\n");
    rejects(think, { at: at(think, "1ms"), path: "spec.traffic[0].think", detail: "only with arrival closed, not constant" });
    const zero = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: 0\n");
    rejects(zero, { at: at(zero, "0\n"), path: "spec.traffic[0].rate", detail: "expected a number more than 0 and at most 10000000, got 0" });
    const quoted = bad('name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: "2.5"\n');
    rejects(quoted, { at: at(quoted, '"2.5"'), path: "spec.traffic[0].rate", detail: 'expected a number more than 0 and at most 10000000, got "2.5" (write 2.5 without quotes)' });
    const arrival = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\narrival: closd\n");
    rejects(arrival, { at: at(arrival, "closd"), path: "spec.traffic[0].arrival", detail: 'expected one of poisson, constant, closed, got "closd" (did you mean "closed"?)' });
  });

  it("refuses clients that name no pods, an unknown cluster, and creating pods without a name", () => {
    const cluster = bad("name: s\nfrom: {cluster: esat, pod: c}\nresolve: web\nrate: 1\n");
    rejects(cluster, { at: at(cluster, "esat"), path: "spec.traffic[0].from.cluster", detail: 'no cluster named "esat" (did you mean "east"?); the clusters are east, west' });
    const nobody = bad("name: s\nfrom: {cluster: east}\nresolve: web\nrate: 1\n");
    rejects(nobody, { at: at(nobody, "from"), path: "spec.traffic[0].from.pod", detail: "name the client pods: pod or labels" });
    const create = bad("name: s\nfrom: {cluster: east, labels: {app: c}, create: {}}\nresolve: web\nrate: 1\n");
    rejects(create, { at: at(create, "from"), path: "spec.traffic[0].from.pod", detail: "required with create: it names the pods created" });
    const noAction = bad("name: s\nfrom: {cluster: east, pod: c}\nrate: 1\n");
    rejects(noAction, { at: at(noAction, "name: s"), path: "spec.traffic[0]", detail: "expected an action: one of resolve, request" });
    const type = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: 1\ntype: SRV\n");
    rejects(type, { at: at(type, "SRV"), path: "spec.traffic[0].type", detail: 'expected one of A, AAAA, A+AAAA, got "SRV"' });
  });

  it("refuses an end before the start (given or not), and times outside the run", () => {
    const before = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: 1\nstart: 10s\nend: 5s\n");
    rejects(before, { at: at(before, "5s"), path: "spec.traffic[0].end", detail: "must be after start (10s)" });
    const zero = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: 1\nend: 0\n");
    rejects(zero, { at: at(zero, "0\n"), path: "spec.traffic[0].end", detail: "must be after start (0s)" });
    const late = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: 1\nstart: 2m\n");
    rejects(late, { at: at(late, "2m"), path: "spec.traffic[0].start", detail: "the stream starts at or after the end of the run (duration 1m)" });
    const end = bad("name: s\nfrom: {cluster: east, pod: c}\nresolve: web\nrate: 1\nend: 61s\n");
    rejects(end, { at: at(end, "61s"), path: "spec.traffic[0].end", detail: "1m1s is after the end of the run (duration 1m)" });
  });

  it("refuses two streams of one name", () => {
    const text = scenario(`${dedent(STREAM)}  - name: local\n    from: {cluster: west, pod: c}\n    resolve: web\n    rate: 1\n`);
    rejects(text, { at: at(text, "name: local", 1), path: "spec.traffic[1]", detail: 'duplicate stream name "local": spec.traffic[0] has it too' });
  });
});

describe("loadScenario: faults", () => {
  it("reads a partition: both ways by default, clusters by name or hosts by selector, named <action>@<at>", () => {
    const f = faultOf("at: 10s\nfor: 5s\npartition:\n  from: east\n  to: {regions: [eu-west-1], zones: [eu-west-1a], networks: [other], nodes: [west-eu-west-1a-0]}\n");
    expect(f).toEqual({
      name: "partition@10s",
      at: 10_000_000,
      for: 5_000_000,
      action: {
        kind: "partition",
        from: { clusters: ["east"] },
        to: { regions: ["eu-west-1"], zones: ["eu-west-1a"], nodes: ["west-eu-west-1a-0"], networks: ["other"] },
        direction: "both",
      },
    });
  });

  it("reads heal and release, of all or of one by name", () => {
    const text = scenario(`
      faults:
        - {name: cut, at: 1s, partition: {from: east, to: west, direction: to}}
        - {at: 2s, heal: cut}
        - {at: 3s, heal: all}
        - {name: wait, at: 4s, hold: {from: east, to: {networks: [external]}}}
        - {at: 5s, release: wait}
        - {at: 6s, release: all}
    `);
    expect(load(text).spec.faults.map((f) => [f.name, f.action])).toEqual([
      ["cut", { kind: "partition", from: { clusters: ["east"] }, to: { clusters: ["west"] }, direction: "to" }],
      ["heal@2s", { kind: "heal", fault: "cut" }],
      ["heal@3s", { kind: "heal" }],
      ["wait", { kind: "hold", from: { clusters: ["east"] }, to: { networks: ["external"] }, direction: "both" }],
      ["release@5s", { kind: "release", fault: "wait" }],
      ["release@6s", { kind: "release" }],
    ]);
  });

  it("reads delay, loss and duplicate: one way (to) by default, percents kept as written", () => {
    expect(faultOf("at: 1s\ndelay: {from: east, to: west, latency: 100ms}\n").action).toEqual({
      kind: "delay",
      from: { clusters: ["east"] },
      to: { clusters: ["west"] },
      direction: "to",
      latency: 100_000,
      jitter: 0,
      correlation: 0,
    });
    expect(faultOf("at: 1s\ndelay: {from: east, to: west, direction: both, latency: 1ms, jitter: 500us, correlation: 25}\n").action).toMatchObject({
      direction: "both",
      latency: 1000,
      jitter: 500,
      correlation: 25,
    });
    expect(faultOf("at: 1s\nloss: {from: east, to: west, loss: 30, correlation: 50}\n").action).toEqual({
      kind: "loss",
      from: { clusters: ["east"] },
      to: { clusters: ["west"] },
      direction: "to",
      loss: 30,
      correlation: 50,
    });
    expect(faultOf("at: 1s\nduplicate: {from: west, to: east, direction: from, duplicate: 10}\n").action).toEqual({
      kind: "duplicate",
      from: { clusters: ["west"] },
      to: { clusters: ["east"] },
      direction: "from",
      duplicate: 10,
      correlation: 0,
    });
  });

  it("reads pod kills and failures with Chaos Mesh's modes", () => {
    expect(faultOf("at: 1s\nkill: {cluster: east, labels: {app: web}}\n").action).toEqual({
      kind: "kill",
      target: { cluster: "east", namespace: "default", labels: { app: "web" }, mode: "one" },
    });
    expect(faultOf("at: 1s\nfor: 2s\nfailure: {cluster: west, namespace: shop, pod: web-0, mode: all}\n")).toEqual({
      name: "failure@1s",
      at: 1_000_000,
      for: 2_000_000,
      action: { kind: "failure", target: { cluster: "west", namespace: "shop", pod: "web-0", mode: "all" } },
    });
    expect(faultOf("at: 1s\nkill: {cluster: east, labels: {app: web}, mode: fixed, value: 2}\n").action).toMatchObject({ target: { mode: "fixed", value: 2 } });
    expect(faultOf("at: 1s\nkill: {cluster: east, labels: {app: web}, mode: fixed-percent, value: 50}\n").action).toMatchObject({ target: { mode: "fixed-percent", value: 50 } });
  });

  it("reads scale, dnsChaos, apply and delete with their defaults", () => {
    expect(faultOf("at: 1s\nfor: 1s\nscale: {cluster: east, name: web, replicas: 0}\n").action).toEqual({
      kind: "scale",
      cluster: "east",
      workload: "Deployment",
      namespace: "default",
      name: "web",
      replicas: 0,
    });
    expect(faultOf("at: 1s\nscale: {cluster: east, kind: StatefulSet, namespace: db, name: pg, replicas: 3}\n").action).toMatchObject({ workload: "StatefulSet", namespace: "db" });
    expect(faultOf("at: 1s\ndnsChaos: {cluster: east, action: error}\n").action).toEqual({ kind: "dnsChaos", cluster: "east", action: "error", patterns: [] });
    expect(faultOf("at: 1s\ndnsChaos: {cluster: west, action: random, patterns: [web.*, 'chaos-mes?.org'], from: {labels: {app: c}}}\n").action).toEqual({
      kind: "dnsChaos",
      cluster: "west",
      action: "random",
      patterns: ["web.*", "chaos-mes?.org"],
      from: { namespace: "default", labels: { app: "c" } },
    });
    expect(faultOf("at: 1s\napply: {clusters: [east, west], file: manifests/web.yaml}\n").action).toMatchObject({
      kind: "apply",
      clusters: ["east", "west"],
      source: "lab/manifests/web.yaml",
      objects: [{ kind: "Namespace" }, { kind: "Service" }],
    });
    expect(faultOf("at: 1s\ndelete: {cluster: east, kind: Service, name: web}\n").action).toEqual({
      kind: "delete",
      cluster: "east",
      object: { kind: "Service", namespace: "default", name: "web" },
    });
  });

  const faults = (body: string) => scenario(`faults:\n${indented(dedent(body), 2)}`);

  it("refuses two actions in one entry, and an entry with none", () => {
    const two = faults("- at: 1s\n  partition: {from: east, to: west}\n  heal: all\n");
    rejects(two, {
      at: at(two, "heal"),
      path: "spec.faults[0].heal",
      detail: "only one fault action is allowed, but partition and heal are both given; split them into separate entries at the same time",
    });
    const none = faults("- at: 1s\n  name: nothing\n");
    rejects(none, {
      at: at(none, "at: 1s"),
      path: "spec.faults[0]",
      detail: "expected a fault action: one of partition, heal, delay, loss, duplicate, hold, release, kill, failure, scale, dnsChaos, httpFault, apply, delete, leave, join",
    });
    const misspelt = faults("- at: 1s\n  partiton: {from: east, to: west}\n");
    rejects(misspelt, { at: at(misspelt, "partiton"), path: "spec.faults[0].partiton", detail: 'unknown field "partiton" (did you mean "partition"?)' });
  });

  it("refuses for on a fault that happens at one instant, a zero for, and a start after the run", () => {
    const kill = faults("- at: 1s\n  for: 5s\n  kill: {cluster: east, pod: web-0}\n");
    rejects(kill, { at: at(kill, "5s"), path: "spec.faults[0].for", detail: "kill happens at one instant and has no duration; remove for" });
    const zero = faults("- at: 1s\n  for: 0\n  partition: {from: east, to: west}\n");
    rejects(zero, { at: at(zero, "0\n"), path: "spec.faults[0].for", detail: "expected a duration of at least 1us, got 0" });
    const late = faults("- at: 90s\n  partition: {from: east, to: west}\n");
    rejects(late, { at: at(late, "90s"), path: "spec.faults[0].at", detail: "1m30s is after the end of the run (duration 1m)" });
    const noAt = faults("- partition: {from: east, to: west}\n");
    rejects(noAt, { at: at(noAt, "partition"), path: "spec.faults[0].at", detail: "required field missing" });
  });

  it("refuses heals and releases of faults that are not partitions or holds, with the nearest name", () => {
    const heal = faults("- {name: cut, at: 1s, partition: {from: east, to: west}}\n- {at: 2s, heal: cat}\n");
    rejects(heal, { at: at(heal, "cat"), path: "spec.faults[1].heal", detail: 'no partition named "cat" (did you mean "cut"?); write all, or one of: cut' });
    const delay = faults("- {name: slow, at: 1s, delay: {from: east, to: west, latency: 1ms}}\n- {at: 2s, heal: slow}\n");
    rejects(delay, { at: at(delay, "slow}"), path: "spec.faults[1].heal", detail: 'no partition named "slow"; write all, or one of: (no partition in this scenario)' });
    const release = faults("- {at: 2s, release: wait}\n");
    rejects(release, { at: at(release, "wait"), path: "spec.faults[0].release", detail: 'no hold named "wait"; write all, or one of: (no hold in this scenario)' });
  });

  it("refuses two faults that default to one name, saying which", () => {
    const text = faults("- {at: 1s, partition: {from: east, to: west}}\n- {at: 1s, partition: {from: west, to: east}}\n");
    rejects(text, { at: at(text, "{at: 1s", 1), path: "spec.faults[1]", detail: 'duplicate fault name "partition@1s": spec.faults[0] has it too' });
  });

  it("refuses selectors naming clusters, regions, zones or networks that no cluster has", () => {
    const cases: [string, string, string, string][] = [
      ["from: wset", "wset", "spec.faults[0].partition.from", 'no cluster named "wset" (did you mean "west"?); the clusters are east, west'],
      ["from: {clusters: [east, mars]}", "mars", "spec.faults[0].partition.from.clusters[1]", 'no cluster named "mars"; the clusters are east, west'],
      ["from: {regions: [us-east-2]}", "us-east-2", "spec.faults[0].partition.from.regions[0]", 'no region named "us-east-2" (did you mean "us-east-1"?); the regions are us-east-1, eu-west-1'],
      ["from: {zones: [eu-west-1c]}", "eu-west-1c", "spec.faults[0].partition.from.zones[0]", 'no zone named "eu-west-1c" (did you mean "eu-west-1a"?); the zones are us-east-1a, us-east-1b, eu-west-1a'],
      ["from: {networks: [othre]}", "othre", "spec.faults[0].partition.from.networks[0]", 'no network named "othre" (did you mean "other"?); the networks are default, other, external'],
    ];
    for (const [from, value, path, detail] of cases) {
      const text = faults(`- at: 1s\n  partition:\n    ${from}\n    to: east\n`);
      rejects(text, { at: at(text, value), path, detail });
    }
    const except = faults("- at: 1s\n  partition: {from: {except: {clusters: [east]}}, to: east}\n");
    rejects(except, { at: at(except, "{except"), path: "spec.faults[0].partition.from", detail: "except is not supported in scenario selectors; list what to include instead" });
    const direction = faults("- at: 1s\n  partition: {from: east, to: west, drection: to}\n");
    rejects(direction, { at: at(direction, "drection"), path: "spec.faults[0].partition.drection", detail: 'unknown field "drection" (did you mean "direction"?)' });
    const way = faults("- at: 1s\n  partition: {from: east, to: west, direction: both-ways}\n");
    rejects(way, { at: at(way, "both-ways"), path: "spec.faults[0].partition.direction", detail: 'expected one of to, from, both, got "both-ways"' });
    const noTo = faults("- at: 1s\n  partition: {from: east}\n");
    rejects(noTo, { at: at(noTo, "partition"), path: "spec.faults[0].partition.to", detail: "required field missing" });
  });

  it("refuses pod targets that name no pods or count them wrong, and unknown clusters", () => {
    const nobody = faults("- at: 1s\n  kill: {cluster: east}\n");
    rejects(nobody, { at: at(nobody, "kill"), path: "spec.faults[0].kill.labels", detail: "name the pods: pod or labels" });
    const noValue = faults("- at: 1s\n  kill: {cluster: east, pod: a, mode: fixed}\n");
    rejects(noValue, { at: at(noValue, "kill"), path: "spec.faults[0].kill.value", detail: "required with mode fixed" });
    const half = faults("- at: 1s\n  kill: {cluster: east, pod: a, mode: fixed, value: 1.5}\n");
    rejects(half, { at: at(half, "1.5"), path: "spec.faults[0].kill.value", detail: "a number of pods: a whole number, not 1.5" });
    const percent = faults("- at: 1s\n  failure: {cluster: east, pod: a, mode: fixed-percent, value: 150}\n");
    rejects(percent, { at: at(percent, "150"), path: "spec.faults[0].failure.value", detail: "a percent: at most 100" });
    const cluster = faults("- at: 1s\n  failure: {cluster: weast, pod: a}\n");
    rejects(cluster, { at: at(cluster, "weast"), path: "spec.faults[0].failure.cluster", detail: /^no cluster named "weast" \(did you mean "(east|west)"\?\)/ });
  });

  /** `faults` with an MCS pattern over `members` (every cluster when empty). */
  const mcsFaults = (members: string, body: string) => scenario(`patterns:\n  mcs: {${members}}\nfaults:\n${indented(dedent(body), 2)}`);

  it("reads leave (with for: it joins again after) and join of an MCS member", () => {
    const text = mcsFaults("", "- {at: 1s, for: 10s, leave: {cluster: west}}\n- {at: 20s, leave: {cluster: east}}\n- {at: 30s, join: {cluster: east}}\n");
    expect(load(text).spec.faults).toEqual([
      { name: "leave@1s", at: 1_000_000, for: 10_000_000, action: { kind: "leave", cluster: "west" } },
      { name: "leave@20s", at: 20_000_000, action: { kind: "leave", cluster: "east" } },
      { name: "join@30s", at: 30_000_000, action: { kind: "join", cluster: "east" } },
    ]);
  });

  it("refuses join and leave without an MCS pattern, of a cluster that is not a member, and join with for", () => {
    const none = faults("- at: 1s\n  leave: {cluster: east}\n");
    rejects(none, { at: at(none, "{cluster: east}"), path: "spec.faults[0].leave", detail: "leave acts on the MCS clusterset, and this scenario has none: add spec.patterns.mcs" });
    const outsider = mcsFaults("clusters: [east]", "- at: 1s\n  join: {cluster: west}\n");
    rejects(outsider, {
      at: at(outsider, "west}"),
      path: "spec.faults[0].join.cluster",
      detail: "cluster west is not a member of the MCS clusterset; the members (spec.patterns.mcs.clusters) are east",
    });
    const unknown = mcsFaults("", "- at: 1s\n  leave: {cluster: eats}\n");
    rejects(unknown, { at: at(unknown, "eats"), path: "spec.faults[0].leave.cluster", detail: 'no cluster named "eats" (did you mean "east"?); the clusters are east, west' });
    const timed = mcsFaults("", "- at: 1s\n  for: 5s\n  join: {cluster: east}\n");
    rejects(timed, { at: at(timed, "5s"), path: "spec.faults[0].for", detail: "join happens at one instant and has no duration; remove for" });
    const noCluster = mcsFaults("", "- at: 1s\n  leave: {}\n");
    rejects(noCluster, { at: at(noCluster, "leave"), path: "spec.faults[0].leave.cluster", detail: "required field missing" });
  });

  it("refuses misspelt kinds, unknown clusters and bad DNSChaos patterns where they are written", () => {
    const scale = faults("- at: 1s\n  scale: {cluster: east, kind: Deploymnet, name: web, replicas: 1}\n");
    rejects(scale, { at: at(scale, "Deploymnet"), path: "spec.faults[0].scale.kind", detail: 'expected one of Deployment, StatefulSet, got "Deploymnet" (did you mean "Deployment"?)' });
    const del = faults("- at: 1s\n  delete: {cluster: east, kind: Servce, name: web}\n");
    rejects(del, { at: at(del, "Servce"), path: "spec.faults[0].delete.kind", detail: /^expected one of .*Service.*, got "Servce" \(did you mean "Service"\?\)$/ });
    const delCluster = faults("- at: 1s\n  delete: {cluster: nowhere, kind: Service, name: web}\n");
    rejects(delCluster, { at: at(delCluster, "nowhere"), path: "spec.faults[0].delete.cluster", detail: 'no cluster named "nowhere"; the clusters are east, west' });
    const pattern = faults("- at: 1s\n  dnsChaos: {cluster: east, action: error, patterns: [web.local, '*.example.com']}\n");
    rejects(pattern, { at: at(pattern, "'*.example.com'"), path: "spec.faults[0].dnsChaos.patterns[1]", detail: /^invalid DNSChaos pattern "\*\.example\.com": '\*' may only be the last character/ });
    const chars = faults("- at: 1s\n  dnsChaos: {cluster: east, action: error, patterns: ['web/x']}\n");
    rejects(chars, { at: at(chars, "'web/x'"), path: "spec.faults[0].dnsChaos.patterns[0]", detail: /holds a character no domain template has/ });
    const action = faults("- at: 1s\n  dnsChaos: {cluster: east, action: fail}\n");
    rejects(action, { at: at(action, "fail"), path: "spec.faults[0].dnsChaos.action", detail: 'expected one of error, random, got "fail"' });
    const apply = faults("- at: 1s\n  apply: {cluster: est, file: manifests/web.yaml}\n");
    rejects(apply, { at: at(apply, "est,"), path: "spec.faults[0].apply.cluster", detail: 'no cluster named "est" (did you mean "east"?); the clusters are east, west' });
    const replicas = faults("- at: 1s\n  scale: {cluster: east, name: web, replicas: -1}\n");
    rejects(replicas, { at: at(replicas, "-1}"), path: "spec.faults[0].scale.replicas", detail: "expected a number from 0 to 10000, got -1" });
  });
});

describe("loadScenario: expectations", () => {
  const expectations = (body: string) => scenario(`${dedent(STREAM)}faults:\n  - {name: cut, at: 20s, for: 10s, partition: {from: east, to: west}}\n  - {name: boom, at: 30s, kill: {cluster: east, pod: web-0}}\nexpect:\n${indented(dedent(body), 2)}`);

  it("reads each check, over the run, a window or a fault's phase, with a description made from it", () => {
    const s = load(
      expectations(`
        - {stream: local, latency: {percentile: 99, below: 5ms}}
        - {stream: local, successRatio: {atLeast: 0.99}, window: {from: 10s, to: 20s}}
        - {stream: local, count: {atLeast: 10, atMost: 1000}, window: {from: 30s}}
        - {stream: local, rcode: {code: SERVFAIL, atMost: 0}, fault: cut, phase: during}
        - {stream: local, queriesPerLookup: {atMost: 2}, fault: boom, phase: after, description: few queries}
        - {stream: local, latency: {percentile: 100, below: 1s}}
        - {stream: local, latency: {percentile: 50, above: 2ms}}
        - {stream: local, latency: {percentile: 90, above: 2ms, below: 1s}}
      `),
    );
    expect(s.spec.expect).toEqual([
      { stream: "local", window: { kind: "run" }, check: { kind: "latency", percentile: 99, below: 5000 }, description: "p99 latency of local < 5ms" },
      { stream: "local", window: { kind: "window", from: 10_000_000, to: 20_000_000 }, check: { kind: "successRatio", atLeast: 0.99 }, description: "success ratio of local >= 0.99 from 10s to 20s" },
      { stream: "local", window: { kind: "window", from: 30_000_000, to: 60_000_000 }, check: { kind: "count", atLeast: 10, atMost: 1000 }, description: "10 <= count of local <= 1000 from 30s" },
      { stream: "local", window: { kind: "phase", fault: "cut", phase: "during" }, check: { kind: "rcode", code: "SERVFAIL", atMost: 0 }, description: "SERVFAIL count of local <= 0 during cut" },
      { stream: "local", window: { kind: "phase", fault: "boom", phase: "after" }, check: { kind: "queriesPerLookup", atMost: 2 }, description: "few queries" },
      { stream: "local", window: { kind: "run" }, check: { kind: "latency", percentile: 100, below: 1_000_000 }, description: "max latency of local < 1s" },
      { stream: "local", window: { kind: "run" }, check: { kind: "latency", percentile: 50, above: 2000 }, description: "p50 latency of local > 2ms" },
      { stream: "local", window: { kind: "run" }, check: { kind: "latency", percentile: 90, above: 2000, below: 1_000_000 }, description: "p90 latency of local > 2ms and < 1s" },
    ]);
  });

  it("refuses unknown streams and faults with the nearest name, and during of an instant fault", () => {
    const stream = expectations("- {stream: lcoal, count: {atLeast: 1}}\n");
    rejects(stream, { at: at(stream, "lcoal"), path: "spec.expect[0].stream", detail: 'no stream named "lcoal" (did you mean "local"?); the streams are local' });
    const fault = expectations("- {stream: local, count: {atLeast: 1}, fault: cat, phase: before}\n");
    rejects(fault, { at: at(fault, "cat"), path: "spec.expect[0].fault", detail: 'no fault named "cat" (did you mean "cut"?); the faults are cut, boom' });
    const instant = expectations("- {stream: local, count: {atLeast: 1}, fault: boom, phase: during}\n");
    rejects(instant, { at: at(instant, "during"), path: "spec.expect[0].phase", detail: "boom (kill) happens at one instant and has no during; use before or after, or a window" });
  });

  it("refuses a phase without its fault, a window with a phase, and windows out of order or outside the run", () => {
    const phase = expectations("- {stream: local, count: {atLeast: 1}, phase: during}\n");
    rejects(phase, { at: at(phase, "{stream: local, count"), path: "spec.expect[0].fault", detail: "fault and phase go together: phase: during, fault: NAME" });
    const both = expectations("- {stream: local, count: {atLeast: 1}, fault: cut, phase: during, window: {from: 1s}}\n");
    rejects(both, { at: at(both, "{from: 1s}"), path: "spec.expect[0].window", detail: "give a window or a fault's phase, not both" });
    const order = expectations("- {stream: local, count: {atLeast: 1}, window: {from: 20s, to: 10s}}\n");
    rejects(order, { at: at(order, "10s}"), path: "spec.expect[0].window.to", detail: "must be after from (20s)" });
    const defaultFrom = expectations("- {stream: local, count: {atLeast: 1}, window: {to: 0}}\n");
    rejects(defaultFrom, { at: at(defaultFrom, "{to: ^0}"), path: "spec.expect[0].window.to", detail: "must be after from (0s)" });
    const lateFrom = expectations("- {stream: local, count: {atLeast: 1}, window: {from: 60s}}\n");
    rejects(lateFrom, { at: at(lateFrom, "60s}"), path: "spec.expect[0].window.from", detail: "the window starts at or after the end of the run (duration 1m)" });
    const lateTo = expectations("- {stream: local, count: {atLeast: 1}, window: {to: 2m}}\n");
    rejects(lateTo, { at: at(lateTo, "2m"), path: "spec.expect[0].window.to", detail: "2m is after the end of the run (duration 1m)" });
  });

  it("refuses no check, two checks, and checks out of range", () => {
    const none = expectations("- {stream: local}\n");
    rejects(none, { at: at(none, "{stream: local}"), path: "spec.expect[0]", detail: "expected a check: one of latency, successRatio, count, rcode, queriesPerLookup, status, error" });
    const two = expectations("- {stream: local, count: {atLeast: 1}, successRatio: {atLeast: 1}}\n");
    rejects(two, { at: at(two, "successRatio"), path: "spec.expect[0].successRatio", detail: "only one check is allowed, but count and successRatio are both given; split them into separate expectations" });
    const ratio = expectations("- {stream: local, successRatio: {atLeast: 1.5}}\n");
    rejects(ratio, { at: at(ratio, "1.5"), path: "spec.expect[0].successRatio.atLeast", detail: "a ratio is at most 1" });
    const empty = expectations("- {stream: local, count: {}}\n");
    rejects(empty, { at: at(empty, "count: ^{}"), path: "spec.expect[0].count", detail: "give atLeast, atMost or both" });
    const percentile = expectations("- {stream: local, latency: {percentile: 0, below: 1ms}}\n");
    rejects(percentile, { at: at(percentile, "0,"), path: "spec.expect[0].latency.percentile", detail: "expected a number more than 0 and at most 100, got 0" });
    const bound = expectations("- {stream: local, latency: {percentile: 99}}\n");
    rejects(bound, { at: at(bound, "latency: {percentile"), path: "spec.expect[0].latency.below", detail: "give below, above or both" });
    const crossed = expectations("- {stream: local, latency: {percentile: 99, above: 5ms, below: 1ms}}\n");
    rejects(crossed, { at: at(crossed, "5ms"), path: "spec.expect[0].latency.above", detail: "must be less than below" });
    const code = expectations("- {stream: local, rcode: {code: SERVFIAL, atLeast: 1}}\n");
    rejects(code, { at: at(code, "SERVFIAL"), path: "spec.expect[0].rcode.code", detail: /^expected a lookup's outcome: NOERROR, .*, got "SERVFIAL" \(did you mean "SERVFAIL"\?\)$/ });
    expect(load(expectations("- {stream: local, rcode: {code: RCODE_9, atMost: 0}}\n")).spec.expect[0]!.check).toEqual({ kind: "rcode", code: "RCODE_9", atMost: 0 });
  });
});

describe("relativeTo", () => {
  it("resolves paths against the scenario's folder", () => {
    expect(relativeTo("lab/s.yaml", "manifests/a.yaml")).toBe("lab/manifests/a.yaml");
    expect(relativeTo("s.yaml", "./a.yaml")).toBe("a.yaml");
    expect(relativeTo("lab/s.yaml", "../a.yaml")).toBe("a.yaml");
    expect(relativeTo("s.yaml", "../a.yaml")).toBe("../a.yaml");
    expect(relativeTo("lab/s.yaml", "../../a.yaml")).toBe("../a.yaml");
    expect(relativeTo("/abs/lab/s.yaml", "a.yaml")).toBe("/abs/lab/a.yaml");
    expect(relativeTo("lab/s.yaml", "/etc/a.yaml")).toBe("/etc/a.yaml");
  });
});

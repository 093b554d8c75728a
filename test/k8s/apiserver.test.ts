import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError, deepFreeze, INITIAL_NAMESPACES, type Admission, type WatchEvent } from "../../src/k8s/apiserver.js";
import type { ConfigMap, K8sObject } from "../../src/k8s/objects.js";
import { formatTimestamp } from "../../src/k8s/timestamp.js";
import { constant, type Distribution } from "../../src/sim/distribution.js";
import { bareApi, configMap, namespace, pod } from "./cluster-world.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Catches what `fn` throws, or fails when it throws nothing. */
function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error("expected an ApiError, nothing was thrown");
}

describe("ApiServer: create", () => {
  it("starts with the four usual namespaces, listed in name order", () => {
    const { api } = bareApi();
    expect(api.list("Namespace").map((n) => n.metadata.name)).toEqual([...INITIAL_NAMESPACES]);
    for (const n of api.list("Namespace")) expect(n.metadata.namespace).toBeUndefined();
  });

  it("assigns a v4 UUID, the creation time and a resourceVersion, and defaults the namespace", () => {
    const { api, sim } = bareApi();
    sim.runFor(90_500_000);
    const stored = api.create(configMap("cfg", undefined, { a: "1" }));
    expect(stored.metadata.uid).toMatch(UUID_V4);
    expect(stored.metadata.creationTimestamp).toBe("2026-01-01T00:01:30Z");
    expect(stored.metadata.namespace).toBe("default");
    expect(stored.metadata.resourceVersion).toBe(api.resourceVersion);
    expect(api.get("ConfigMap", "default", "cfg")).toEqual(stored);
  });

  it("gives every object its own UUID, all of version 4 and RFC 4122 variant", () => {
    const { api } = bareApi(7);
    const uids = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const uid = api.create(configMap(`c${i}`)).metadata.uid!;
      expect(uid).toMatch(UUID_V4);
      uids.add(uid);
    }
    expect(uids.size).toBe(500);
    // The variant nibble takes all four values 8, 9, a, b (it is drawn, not fixed).
    const variants = new Set([...uids].map((u) => u[19]));
    expect([...variants].sort()).toEqual(["8", "9", "a", "b"]);
  });

  it("draws UUIDs from the seed and the cluster's name only: same seed same UUIDs, other seed or cluster other UUIDs", () => {
    const uids = (seed: number, cluster = "east", watchers = 0) => {
      const { api } = bareApi(seed, {}, cluster);
      for (let i = 0; i < watchers; i++) api.watch("ConfigMap", `w${i}`, () => {});
      return [0, 1, 2, 3].map((i) => api.create(configMap(`c${i}`)).metadata.uid);
    };
    expect(uids(1)).toEqual(uids(1));
    expect(uids(1, "east", 3)).toEqual(uids(1)); // other streams' draws change nothing
    const other = uids(2);
    const otherCluster = uids(1, "west");
    for (let i = 0; i < 4; i++) {
      expect(other[i]).not.toBe(uids(1)[i]);
      expect(otherCluster[i]).not.toBe(uids(1)[i]);
    }
  });

  it("stores a copy: changing the caller's object afterwards changes nothing stored", () => {
    const { api } = bareApi();
    const mine = configMap("cfg", "default", { a: "1" });
    api.create(mine);
    mine.data!.a = "changed";
    mine.metadata.name = "renamed";
    expect(api.get("ConfigMap", "default", "cfg")!.data).toEqual({ a: "1" });
    expect(api.get("ConfigMap", "default", "renamed")).toBeUndefined();
  });

  it("refuses an object that exists, in kubectl's words, and writes nothing", () => {
    const { api } = bareApi();
    api.create(pod("web", { app: "web" }));
    const rv = api.resourceVersion;
    const e = thrown(() => api.create(pod("web", { app: "other" })));
    expect(e.reason).toBe("AlreadyExists");
    expect(e.message).toBe('Error from server (AlreadyExists): pods "web" already exists');
    expect(api.resourceVersion).toBe(rv);
    expect(api.get("Pod", "default", "web")!.metadata.labels).toEqual({ app: "web" });
  });

  it("allows the same name in two namespaces and for two kinds", () => {
    const { api } = bareApi();
    api.create(namespace("team"));
    api.create(configMap("x", "default"));
    api.create(configMap("x", "team"));
    api.create(pod("x", {}));
    expect(api.list("ConfigMap").map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual(["default/x", "team/x"]);
    expect(api.get("Pod", "default", "x")).toBeDefined();
  });

  it("refuses a namespaced object in a namespace that does not exist", () => {
    const { api } = bareApi();
    const e = thrown(() => api.create(configMap("cfg", "nope")));
    expect(e.reason).toBe("NotFound");
    expect(e.message).toBe('Error from server (NotFound): namespaces "nope" not found');
    expect(api.list("ConfigMap")).toEqual([]);
    api.create(namespace("nope"));
    expect(api.create(configMap("cfg", "nope")).metadata.namespace).toBe("nope");
  });

  it("keeps cluster-scoped objects out of namespaces even when the manifest names one", () => {
    const { api } = bareApi();
    api.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team", namespace: "default" } });
    const ns = api.get("Namespace", "", "team");
    expect(ns).toBeDefined();
    expect(ns!.metadata.namespace).toBeUndefined();
    // ... and it works as a namespace.
    expect(api.create(configMap("cfg", "team")).metadata.namespace).toBe("team");
    api.update({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team", namespace: "default", labels: { a: "b" } } });
    expect(api.list("Namespace").filter((n) => n.metadata.name === "team")).toHaveLength(1);
  });
});

describe("ApiServer: update, apply, delete, get, list", () => {
  it("raises the resourceVersion on every write, create, update and delete alike", () => {
    const { api } = bareApi();
    const seen: number[] = [Number(api.resourceVersion)];
    const note = (rv: string | undefined) => {
      expect(rv).toBe(api.resourceVersion);
      seen.push(Number(rv));
    };
    note(api.create(configMap("a")).metadata.resourceVersion);
    note(api.create(configMap("b")).metadata.resourceVersion);
    note(api.update(configMap("a", "default", { k: "v" })).metadata.resourceVersion);
    note(api.apply(configMap("a", "default", { k: "w" })).metadata.resourceVersion);
    note(api.delete("ConfigMap", "default", "b").metadata.resourceVersion);
    note(api.apply(configMap("b")).metadata.resourceVersion);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    expect(api.get("ConfigMap", "default", "a")!.metadata.resourceVersion).toBe(String(seen[4]));
  });

  it("keeps uid and creation time across updates, whatever the caller sends", () => {
    const { api, sim } = bareApi();
    const created = api.create(configMap("a"));
    sim.runFor(3_600_000_000);
    const forged = configMap("a", "default", { k: "v" });
    forged.metadata.uid = "00000000-0000-4000-8000-000000000000";
    forged.metadata.creationTimestamp = "1999-01-01T00:00:00Z";
    forged.metadata.resourceVersion = "1";
    const updated = api.update(forged);
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(updated.metadata.creationTimestamp).toBe("2026-01-01T00:00:00Z");
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(updated.data).toEqual({ k: "v" });
  });

  it("writes nothing for an update that changes nothing: same resourceVersion, no event, no trace line", () => {
    const { api, sim } = bareApi();
    const writes: string[] = [];
    sim.trace.on("k8s.write", (e) => writes.push(`${e.verb} ${e.name}`));
    const created = api.create<ConfigMap>({ ...configMap("a", "default", { x: "1", y: "2" }), metadata: { name: "a", namespace: "default", labels: { l: "1" } } });
    const events: string[] = [];
    api.watch("ConfigMap", "w", (e) => events.push(`${e.type} ${e.object.metadata.resourceVersion}`), { delay: constant(1000) });
    sim.runFor(10_000);
    const rv = api.resourceVersion;
    // Same content, keys in another order, an explicit undefined (absent in JSON), no namespace (defaulted).
    const same = api.update({ data: { y: "2", x: "1" }, kind: "ConfigMap", apiVersion: "v1", metadata: { labels: { l: "1" }, name: "a", annotations: undefined } } as ConfigMap);
    expect(same).toBe(api.get("ConfigMap", "default", "a"));
    expect(api.resourceVersion).toBe(rv);
    expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    api.apply(configMap("b"));
    api.apply(configMap("b"));
    sim.runFor(10_000);
    expect(events).toEqual([`ADDED ${created.metadata.resourceVersion}`, `ADDED ${api.get("ConfigMap", "default", "b")!.metadata.resourceVersion}`]);
    expect(writes).toEqual(["create a", "create b"]);
    // A real change is written.
    api.update(configMap("a", "default", { x: "1" }));
    expect(Number(api.resourceVersion)).toBe(Number(rv) + 2);
  });

  it("refuses to update or delete what does not exist, in kubectl's words", () => {
    const { api } = bareApi();
    const u = thrown(() => api.update(configMap("ghost")));
    expect(u.reason).toBe("NotFound");
    expect(u.message).toBe('Error from server (NotFound): configmaps "ghost" not found');
    const d = thrown(() => api.delete("Service", "default", "x"));
    expect(d.message).toBe('Error from server (NotFound): services "x" not found');
    expect(thrown(() => api.delete("Namespace", "", "nope")).message).toBe('Error from server (NotFound): namespaces "nope" not found');
    expect(thrown(() => api.delete("EndpointSlice", "default", "s")).message).toBe('Error from server (NotFound): endpointslices.discovery.k8s.io "s" not found');
    expect(thrown(() => api.delete("Deployment", "default", "d")).message).toBe('Error from server (NotFound): deployments.apps "d" not found');
  });

  it("applies: creates when missing, replaces when present", () => {
    const { api } = bareApi();
    const first = api.apply(configMap("a", "default", { k: "1" }));
    const second = api.apply(configMap("a", "default", { j: "2" }));
    expect(second.metadata.uid).toBe(first.metadata.uid);
    expect(api.get("ConfigMap", "default", "a")!.data).toEqual({ j: "2" });
  });

  it("keeps what the cluster filled in when a manifest is applied again (status, a pod's node)", () => {
    const { api } = bareApi();
    const manifest = pod("web", { app: "web" });
    api.apply(manifest);
    const current = api.get("Pod", "default", "web")!;
    api.update({ ...current, spec: { ...current.spec, nodeName: "n1" }, status: { phase: "Running", podIP: "10.10.0.5", podIPs: [{ ip: "10.10.0.5" }] } });
    const rv = api.resourceVersion;
    api.apply(manifest);
    expect(api.resourceVersion).toBe(rv);
    expect(api.get("Pod", "default", "web")!.status?.podIP).toBe("10.10.0.5");
    // A changed manifest changes what it says and keeps the rest.
    api.apply(pod("web", { app: "web", v: "2" }));
    const after = api.get("Pod", "default", "web")!;
    expect(after.metadata.labels).toEqual({ app: "web", v: "2" });
    expect(after.spec.nodeName).toBe("n1");
    expect(after.status?.podIP).toBe("10.10.0.5");
    // A manifest that pins a status replaces it.
    api.apply(pod("web", { app: "web", v: "2" }, { podIP: "10.10.0.9" }));
    expect(api.get("Pod", "default", "web")!.status).toEqual({ podIP: "10.10.0.9" });
  });

  it("deletes: gone from get and list, the returned object carries the delete's resourceVersion", () => {
    const { api } = bareApi();
    const created = api.create(configMap("a"));
    api.create(configMap("b"));
    const deleted = api.delete("ConfigMap", "default", "a");
    expect(deleted.metadata.uid).toBe(created.metadata.uid);
    expect(deleted.metadata.resourceVersion).toBe(api.resourceVersion);
    expect(api.get("ConfigMap", "default", "a")).toBeUndefined();
    expect(api.list("ConfigMap").map((c) => c.metadata.name)).toEqual(["b"]);
    // A new object of the same name is a new object.
    expect(api.create(configMap("a")).metadata.uid).not.toBe(created.metadata.uid);
  });

  it("deletes everything in a namespace with it, and nothing outside it", () => {
    const { api, sim } = bareApi();
    api.create(namespace("team"));
    api.create(configMap("a", "team"));
    api.create(configMap("b", "team"));
    api.create(pod("p", {}));
    api.create({ ...pod("p", {}), metadata: { name: "p", namespace: "team" } });
    api.create(configMap("a", "default"));
    const deleted: string[] = [];
    api.watch("ConfigMap", "w", (e) => e.type === "DELETED" && deleted.push(`${e.object.metadata.namespace}/${e.object.metadata.name}`));
    api.watch("Pod", "w", (e) => e.type === "DELETED" && deleted.push(`pod ${e.object.metadata.namespace}/${e.object.metadata.name}`));
    api.delete("Namespace", "", "team");
    sim.runFor(1_000_000);
    expect(api.list("ConfigMap").map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual(["default/a"]);
    expect(api.list("Pod").map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual(["default/p"]);
    expect(deleted.sort()).toEqual(["pod team/p", "team/a", "team/b"]);
    expect(thrown(() => api.create(configMap("c", "team"))).message).toBe('Error from server (NotFound): namespaces "team" not found');
  });

  it("lists sorted by namespace then name, whatever the order of creation", () => {
    const { api } = bareApi();
    for (const ns of ["zeta", "alpha", "mid"]) api.create(namespace(ns));
    const made = [
      ["zeta", "b"],
      ["alpha", "z"],
      ["default", "m"],
      ["zeta", "a"],
      ["alpha", "a"],
      ["mid", "q"],
      ["default", "b"],
    ];
    for (const [ns, name] of made) api.create(configMap(name!, ns));
    expect(api.list("ConfigMap").map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual([
      "alpha/a",
      "alpha/z",
      "default/b",
      "default/m",
      "mid/q",
      "zeta/a",
      "zeta/b",
    ]);
    expect(api.list("ConfigMap", "zeta").map((c) => c.metadata.name)).toEqual(["a", "b"]);
    expect(api.list("ConfigMap", "kube-system")).toEqual([]);
  });

  it("lists in (namespace, name) order for any set of objects (property)", () => {
    const nameArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom("default", "a", "b-c", "kube-system"), nameArb), { selector: ([n, m]) => `${n}/${m}`, maxLength: 30 }), (pairs) => {
        const { api } = bareApi();
        for (const ns of ["a", "b-c"]) api.create(namespace(ns));
        for (const [ns, name] of pairs) api.create(configMap(name, ns));
        const listed = api.list("ConfigMap").map((c) => [c.metadata.namespace!, c.metadata.name] as const);
        const expected = [...pairs].sort(([na, ma], [nb, mb]) => (na !== nb ? (na < nb ? -1 : 1) : ma < mb ? -1 : ma > mb ? 1 : 0));
        expect(listed).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});

describe("ApiServer: watches", () => {
  it("with a selector, delivers what it accepts: an object that comes to match is ADDED, one that stops is DELETED, and each change carries the version last delivered", () => {
    const { api, sim } = bareApi();
    const seen: string[] = [];
    const labelled = (name: string, tier: string | undefined, v: string): ConfigMap => ({ ...configMap(name, "default", { v }), metadata: { name, namespace: "default", ...(tier ? { labels: { tier } } : {}) } });
    api.create(labelled("before", "web", "0"));
    api.create(labelled("other", "db", "0"));
    api.watch("ConfigMap", "t", (e) => seen.push(`${e.type} ${e.object.metadata.name} v${e.object.data?.v} after ${e.previous ? `v${e.previous.data?.v}` : "-"}`), { selects: (o) => o.metadata.labels?.tier === "web" });
    sim.runFor(1_000_000);
    api.update(labelled("before", "web", "1"));
    api.update(labelled("other", "web", "1"));
    api.update(labelled("before", undefined, "2"));
    api.update(labelled("before", undefined, "3"));
    api.delete("ConfigMap", "default", "other");
    sim.runFor(1_000_000);
    expect(seen).toEqual(["ADDED before v0 after -", "MODIFIED before v1 after v0", "ADDED other v1 after -", "DELETED before v1 after v1", "DELETED other v1 after v1"]);
  });

  it("sends an ADDED event for each existing object, in list order, after the watch delay and not before", () => {
    const { api, sim } = bareApi();
    api.create(configMap("b"));
    api.create(configMap("a"));
    const got: string[] = [];
    api.watch("ConfigMap", "w", (e) => got.push(`${sim.now} ${e.type} ${e.object.metadata.name}`), { delay: constant(7_000) });
    expect(got).toEqual([]);
    sim.runFor(6_999);
    expect(got).toEqual([]);
    sim.runFor(1);
    expect(got).toEqual(["7000 ADDED a", "7000 ADDED b"]);
  });

  it("delivers each change after the watch delay, with the object as it was written", () => {
    const { api, sim } = bareApi(1, { watchDelay: constant(10_000) });
    const got: [number, WatchEvent<"ConfigMap">][] = [];
    api.watch("ConfigMap", "w", (e) => got.push([sim.now, e]));
    sim.runFor(1_000);
    api.create(configMap("a", "default", { v: "1" }));
    sim.runFor(2_000);
    api.update(configMap("a", "default", { v: "2" }));
    api.delete("ConfigMap", "default", "a");
    sim.runFor(100_000);
    expect(got.map(([t, e]) => `${t} ${e.type} ${e.object.data?.v}`)).toEqual(["11000 ADDED 1", "13000 MODIFIED 2", "13000 DELETED 2"]);
  });

  it("by default delivers 5–15 ms after the write", () => {
    const { api, sim } = bareApi(3);
    const lags: number[] = [];
    let writtenAt = 0;
    api.watch("ConfigMap", "w", () => lags.push(sim.now - writtenAt));
    for (let i = 0; i < 200; i++) {
      writtenAt = sim.now;
      api.create(configMap(`c${i}`));
      sim.runFor(50_000);
    }
    expect(lags).toHaveLength(200);
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(5_000);
    expect(Math.max(...lags)).toBeLessThanOrEqual(15_000);
    // A spread, not a constant.
    expect(Math.max(...lags) - Math.min(...lags)).toBeGreaterThan(5_000);
  });

  it("only sends events of the watched kind", () => {
    const { api, sim } = bareApi();
    const got: string[] = [];
    api.watch("Pod", "w", (e) => got.push(e.object.kind));
    api.create(configMap("a"));
    api.create(pod("p", {}));
    api.create(namespace("team"));
    sim.runFor(1_000_000);
    expect(got).toEqual(["Pod"]);
  });

  it("never delivers out of order, whatever the writes and delay distributions (property)", () => {
    type Op = { readonly verb: "put" | "delete" | "touch"; readonly name: number; readonly value: number; readonly gap: number };
    const opArb: fc.Arbitrary<Op> = fc.record({
      verb: fc.constantFrom("put", "put", "delete", "touch"),
      name: fc.integer({ min: 0, max: 4 }),
      value: fc.integer({ min: 0, max: 2 }),
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30_000 })),
    });
    const delayArb: fc.Arbitrary<Distribution> = fc.oneof(
      fc.integer({ min: 0, max: 20_000 }).map((v) => constant(v)),
      fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 50_000 })).map(([a, b]) => ({ kind: "uniform", min: a, max: a + b }) as const),
      fc.integer({ min: 1, max: 30_000 }).map((mean) => ({ kind: "exponential", mean }) as const),
      fc.tuple(fc.integer({ min: 100, max: 10_000 }), fc.integer({ min: 1, max: 20 })).map(([median, k]) => ({ kind: "lognormal", median, p99: median * k }) as const),
      fc.tuple(fc.integer({ min: 100, max: 5_000 }), fc.double({ min: 0.5, max: 3, noNaN: true })).map(([scale, shape]) => ({ kind: "pareto", scale, shape }) as const),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.array(opArb, { maxLength: 40 }), fc.array(delayArb, { minLength: 1, maxLength: 3 }), delayArb, (seed, ops, delays, lateDelay) => {
        const { api, sim } = bareApi(seed);
        type Seen = { type: string; name: string; rv: string; at: number };
        const log: (Seen & { writtenAt: number })[] = [];
        const watchers = delays.map((delay, i) => {
          const seen: Seen[] = [];
          api.watch("ConfigMap", `w${i}`, (e) => seen.push({ type: e.type, name: e.object.metadata.name, rv: e.object.metadata.resourceVersion!, at: sim.now }), { delay });
          return { delay, seen };
        });
        const late: Seen[] = [];
        const stateAtLateStart = new Map<string, string>();
        let lateStartRv = 0;
        ops.forEach((op, i) => {
          if (i === Math.floor(ops.length / 2)) {
            for (const c of api.list("ConfigMap")) stateAtLateStart.set(c.metadata.name, c.metadata.resourceVersion!);
            lateStartRv = Number(api.resourceVersion);
            api.watch("ConfigMap", "late", (e) => late.push({ type: e.type, name: e.object.metadata.name, rv: e.object.metadata.resourceVersion!, at: sim.now }), { delay: lateDelay });
          }
          sim.runFor(op.gap);
          const name = `c${op.name}`;
          const exists = api.get("ConfigMap", "default", name) !== undefined;
          const before = api.resourceVersion;
          if (op.verb === "delete") {
            if (!exists) return;
            api.delete("ConfigMap", "default", name);
          } else if (op.verb === "touch") {
            if (!exists) return;
            api.update({ ...api.get("ConfigMap", "default", name)! }); // no change: no write
          } else {
            api.apply(configMap(name, "default", { v: String(op.value) }));
          }
          if (api.resourceVersion === before) return;
          const type = op.verb === "delete" ? "DELETED" : exists ? "MODIFIED" : "ADDED";
          log.push({ type, name, rv: api.resourceVersion, at: sim.now, writtenAt: sim.now });
        });
        sim.runUntilIdle();
        for (const w of watchers) {
          // Exactly the writes, in the order written.
          expect(w.seen.map(({ type, name, rv }) => ({ type, name, rv }))).toEqual(log.map(({ type, name, rv }) => ({ type, name, rv })));
          w.seen.forEach((s, i) => {
            if (i > 0) expect(s.at).toBeGreaterThanOrEqual(w.seen[i - 1]!.at);
            expect(s.at).toBeGreaterThanOrEqual(log[i]!.writtenAt);
            if (w.delay.kind === "constant") expect(s.at).toBe(log[i]!.writtenAt + w.delay.value);
            if (w.delay.kind === "uniform") {
              expect(s.at).toBeGreaterThanOrEqual(log[i]!.writtenAt + w.delay.min);
              expect(s.at).toBeLessThanOrEqual(log[i]!.writtenAt + w.delay.max);
            }
          });
        }
        // A watch opened mid-way: first what existed then, then every later write, in order.
        if (ops.length > 0) {
          const initial = late.slice(0, stateAtLateStart.size);
          expect(initial.every((s) => s.type === "ADDED")).toBe(true);
          expect(new Map(initial.map((s) => [s.name, s.rv]))).toEqual(stateAtLateStart);
          const laterWrites = log.filter((l) => Number(l.rv) > lateStartRv);
          expect(late.slice(stateAtLateStart.size).map((s) => s.rv)).toEqual(laterWrites.map((l) => l.rv));
          for (let i = 1; i < late.length; i++) expect(late[i]!.at).toBeGreaterThanOrEqual(late[i - 1]!.at);
          // Replaying its events gives the API's state.
          const replayed = new Map<string, string>();
          for (const s of late) s.type === "DELETED" ? replayed.delete(s.name) : replayed.set(s.name, s.rv);
          expect(replayed).toEqual(new Map(api.list("ConfigMap").map((c) => [c.metadata.name, c.metadata.resourceVersion!])));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("stops delivering when unsubscribed, including events already on their way", () => {
    const { api, sim } = bareApi(1, { watchDelay: constant(10_000) });
    const got: string[] = [];
    const stop = api.watch("ConfigMap", "w", (e) => got.push(e.object.metadata.name));
    api.create(configMap("a"));
    sim.runFor(20_000);
    api.create(configMap("b")); // due at +10 ms
    sim.runFor(5_000);
    stop();
    api.create(configMap("c"));
    sim.runFor(100_000);
    expect(got).toEqual(["a"]);
  });

  it("unsubscribing twice does not stop another watch", () => {
    const { api, sim } = bareApi();
    const got: string[] = [];
    const stopA = api.watch("ConfigMap", "a", () => got.push("a"));
    api.watch("ConfigMap", "b", () => got.push("b"));
    stopA();
    stopA();
    api.create(configMap("x"));
    sim.runFor(1_000_000);
    expect(got).toEqual(["b"]);
  });

  it("draws each watcher's delays from its own stream: adding a watcher leaves another's delivery times alone", () => {
    const times = (extra: boolean, seed = 5) => {
      const { api, sim } = bareApi(seed);
      if (extra) api.watch("ConfigMap", "newcomer", () => {}, { delay: { kind: "exponential", mean: 8_000 } });
      const at: number[] = [];
      api.watch("ConfigMap", "observer", () => at.push(sim.now));
      if (extra) api.watch("Pod", "observer", () => {});
      for (let i = 0; i < 30; i++) {
        api.create(configMap(`c${i}`));
        if (extra) api.create(pod(`p${i}`, {}));
        sim.runFor(20_000);
      }
      sim.runUntilIdle();
      return at;
    };
    const alone = times(false);
    expect(alone).toHaveLength(30);
    expect(times(true)).toEqual(alone);
    // The draws really are random and seeded: another seed gives other times.
    expect(times(false, 6)).not.toEqual(alone);
  });

  it("gives two watchers with different names different delays for the same writes", () => {
    const { api, sim } = bareApi(9);
    const a: number[] = [];
    const b: number[] = [];
    api.watch("ConfigMap", "a", () => a.push(sim.now));
    api.watch("ConfigMap", "b", () => b.push(sim.now));
    for (let i = 0; i < 20; i++) {
      api.create(configMap(`c${i}`));
      sim.runFor(20_000);
    }
    expect(a).toHaveLength(20);
    expect(b).toHaveLength(20);
    expect(a.filter((t, i) => t !== b[i]).length).toBeGreaterThan(15);
  });
});

describe("ApiServer: admission", () => {
  it("runs on create, update and delete with the object and what is stored, in the order added", () => {
    const { api } = bareApi();
    const calls: string[] = [];
    const record =
      (tag: string): Admission =>
      (object, current) =>
        calls.push(`${tag} ${object ? object.metadata.name : "null"} ${current ? (current as ConfigMap).data?.v : "-"}`);
    api.addAdmission(record("first"));
    api.addAdmission(record("second"));
    api.create(configMap("a", "default", { v: "1" }));
    api.update(configMap("a", "default", { v: "2" }));
    api.delete("ConfigMap", "default", "a");
    expect(calls).toEqual(["first a -", "second a -", "first a 1", "second a 1", "first null 2", "second null 2"]);
  });

  it("may fill in fields, and what it fills in is stored", () => {
    const { api } = bareApi();
    api.addAdmission((object) => {
      if (object?.kind === "ConfigMap") object.data = { ...object.data, stamped: "yes" };
    });
    api.create(configMap("a", "default", { v: "1" }));
    expect(api.get("ConfigMap", "default", "a")!.data).toEqual({ v: "1", stamped: "yes" });
  });

  it("may refuse a create, an update or a delete: nothing is written and no watcher hears of it", () => {
    const { api, sim } = bareApi();
    api.create(configMap("keep", "default", { v: "1" }));
    let refuse = false;
    api.addAdmission((object, current) => {
      if (refuse) throw new ApiError("Invalid", `configmaps "${(object ?? current!).metadata.name}" is refused`);
    });
    const events: string[] = [];
    api.watch("ConfigMap", "w", (e) => events.push(`${e.type} ${e.object.metadata.name}`));
    sim.runFor(1_000_000);
    refuse = true;
    const rv = api.resourceVersion;
    expect(() => api.create(configMap("new"))).toThrow('Error from server (Invalid): configmaps "new" is refused');
    expect(() => api.update(configMap("keep", "default", { v: "2" }))).toThrow(ApiError);
    expect(() => api.delete("ConfigMap", "default", "keep")).toThrow(ApiError);
    expect(() => api.apply(configMap("new"))).toThrow(ApiError);
    sim.runFor(1_000_000);
    expect(api.resourceVersion).toBe(rv);
    expect(api.get("ConfigMap", "default", "new")).toBeUndefined();
    expect(api.get("ConfigMap", "default", "keep")!.data).toEqual({ v: "1" });
    expect(events).toEqual(["ADDED keep"]);
  });

  it("runs for each object a namespace deletion takes with it", () => {
    const { api } = bareApi();
    api.create(namespace("team"));
    api.create(configMap("a", "team"));
    api.create(pod("p", {}));
    const deletes: string[] = [];
    api.addAdmission((object, current) => {
      if (object === null) deletes.push(`${current!.kind} ${current!.metadata.name}`);
    });
    api.delete("Namespace", "", "team");
    expect(deletes.sort()).toEqual(["ConfigMap a", "Namespace team"]);
  });
});

describe("ApiServer: trace", () => {
  it("records each write at summary level with its verb and resourceVersion", () => {
    const { api, sim } = bareApi();
    const lines: string[] = [];
    sim.trace.on("k8s.write", (e) => lines.push(`${e.t} ${e.cluster} ${e.verb} ${e.kind} ${e.namespace}/${e.name} ${e.resourceVersion}`));
    api.create(configMap("a"));
    sim.runFor(1_000);
    api.update(configMap("a", "default", { v: "1" }));
    api.delete("ConfigMap", "default", "a");
    const rv = Number(api.resourceVersion);
    expect(lines).toEqual([`0 east create ConfigMap default/a ${rv - 2}`, `1000 east update ConfigMap default/a ${rv - 1}`, `1000 east delete ConfigMap default/a ${rv}`]);
  });
});

// The creation timestamp is the formatted instant: checked once more against the formatter itself here.
describe("ApiServer: creation time", () => {
  it("stamps objects with the simulated instant of creation", () => {
    const { api, sim } = bareApi();
    const stamps: [number, string][] = [];
    for (const step of [0, 999_999, 1, 86_400_000_000, 59_000_000]) {
      sim.runFor(step);
      const o: K8sObject = api.create(configMap(`c${stamps.length}`));
      stamps.push([sim.now, o.metadata.creationTimestamp!]);
    }
    expect(stamps.map(([, s]) => s)).toEqual(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-02T00:00:01Z", "2026-01-02T00:01:00Z"]);
    for (const [t, s] of stamps) expect(s).toBe(formatTimestamp(t));
  });
});

describe("ApiServer: indexes and store observers", () => {
  const owned = (name: string, owner: string, labels: Record<string, string>): K8sObject => ({
    ...pod(name, labels),
    metadata: { name, namespace: "default", labels, ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: owner, uid: "u", controller: true }] },
  });

  it("lists by label and by controller exactly as filtering list() would, through relabels, owner changes and deletes", () => {
    const { api } = bareApi();
    const same = () => {
      for (const app of ["a", "b", "c"]) {
        expect(api.listByLabel("Pod", "default", "app", app)).toEqual(api.list("Pod", "default").filter((p) => p.metadata.labels?.app === app));
        expect(api.countByLabel("Pod", "default", "app", app)).toBe(api.listByLabel("Pod", "default", "app", app).length);
      }
      for (const d of ["d1", "d2"]) {
        expect(api.listByOwner("Pod", "default", "Deployment", d)).toEqual(api.list("Pod", "default").filter((p) => p.metadata.ownerReferences?.find((o) => o.controller)?.name === d));
      }
    };
    for (const [name, app] of [["p3", "a"], ["p1", "b"], ["p2", "a"]] as const) api.create(owned(name, "d1", { app }));
    same();
    api.update(owned("p2", "d2", { app: "b" }));
    same();
    api.update({ ...api.get("Pod", "default", "p1")!, status: { phase: "Running" } });
    same();
    api.delete("Pod", "default", "p3");
    same();
    expect(api.listByLabel("Pod", "other", "app", "a")).toEqual([]);
    expect(api.get("Pod", "default", "p3")).toBeUndefined();
  });

  it("tells observers of each write at once, in write order, with the version before it; an update that changes nothing is not a write", () => {
    const { api } = bareApi();
    const seen: string[] = [];
    api.observeStore("ConfigMap", (type, object, previous) => seen.push(`${type} ${object.metadata.name} ${object.metadata.resourceVersion} after ${previous?.metadata.resourceVersion ?? "-"}`));
    const a = api.create(configMap("a", "default", { x: "1" }));
    api.update(configMap("a", "default", { x: "1" }));
    const b = api.update(configMap("a", "default", { x: "2" }));
    const gone = api.delete("ConfigMap", "default", "a");
    expect(seen).toEqual([
      `ADDED a ${a.metadata.resourceVersion} after -`,
      `MODIFIED a ${b.metadata.resourceVersion} after ${a.metadata.resourceVersion}`,
      `DELETED a ${gone.metadata.resourceVersion} after ${b.metadata.resourceVersion}`,
    ]);
  });

  it("stores a copy: changing what was passed in changes nothing stored", () => {
    const { api } = bareApi();
    const input = configMap("c", "default", { x: "1" });
    api.create(input);
    input.data!.x = "2";
    input.metadata.labels = { l: "v" };
    expect(api.get("ConfigMap", "default", "c")!.data).toEqual({ x: "1" });
    expect(api.listByLabel("ConfigMap", "default", "l", "v")).toEqual([]);
  });

  it("shares what is frozen between the objects it stores, and copies the rest; its own fields go on a fresh top level and metadata", () => {
    const { api } = bareApi();
    const data = deepFreeze({ x: "1" });
    const labels = deepFreeze({ l: "v" });
    const shared = deepFreeze(configMap("shared", "default", { y: "2" }));
    const a = api.create({ ...configMap("a"), data, metadata: { name: "a", namespace: "default", labels } });
    const b = api.create({ ...configMap("b"), data, metadata: { name: "b", namespace: "default", labels } });
    expect(a.data).toBe(data);
    expect(b.data).toBe(data);
    expect(a.metadata.labels).toBe(labels);
    // A frozen object as a whole is stored on a top level and metadata of the store's own.
    const stored = api.create(shared);
    expect(stored).not.toBe(shared);
    expect(stored.metadata).not.toBe(shared.metadata);
    expect(stored.metadata.uid).toMatch(UUID_V4);
    expect(shared.metadata.uid).toBeUndefined();
    expect(stored.data).toBe(shared.data);
    // What is not frozen is still copied.
    const input = configMap("c", "default", { x: "1" });
    expect(api.create(input).data).not.toBe(input.data);
    expect(Object.isFrozen(deepFreeze({ a: { b: [{ c: 1 }] } }).a.b[0])).toBe(true);
  });

  it("indexes a label key from its first use: listByLabel and countByLabel agree with filtering list() whenever it is first asked (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.constantFrom("p1", "p2", "p3", "p4"), app: fc.option(fc.constantFrom("a", "b"), { nil: undefined }), tier: fc.constantFrom("x", "y"), del: fc.boolean() }), { maxLength: 20 }),
        fc.nat(20),
        (writes, firstAsk) => {
          const { api } = bareApi();
          const check = () => {
            for (const [key, value] of [["app", "a"], ["app", "b"], ["tier", "x"]] as const) {
              const expected = api.list("Pod", "default").filter((p) => p.metadata.labels?.[key] === value);
              expect(api.listByLabel("Pod", "default", key, value)).toEqual(expected);
              expect(api.countByLabel("Pod", "default", key, value)).toBe(expected.length);
            }
          };
          writes.forEach((w, i) => {
            if (i === firstAsk) check();
            const labels: Record<string, string> = { tier: w.tier, ...(w.app ? { app: w.app } : {}) };
            if (w.del && api.get("Pod", "default", w.name)) api.delete("Pod", "default", w.name);
            else api.apply(pod(w.name, labels));
          });
          check();
          expect(api.count("Pod", "default")).toBe(api.list("Pod", "default").length);
          expect(api.count("Namespace")).toBe(api.list("Namespace").length);
        },
      ),
    );
  });
});

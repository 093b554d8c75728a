import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregate, byPrecedence, type ExportRecord } from "../../src/mcs/aggregate.js";

const KEP = { portMerge: "union", rejectTypeConflicts: false } as const;

function record(cluster: string, createdAt: number, extra: Partial<ExportRecord> = {}): ExportRecord {
  return {
    cluster,
    createdAt,
    type: "ClusterSetIP",
    ports: [{ name: "http", protocol: "TCP", port: 80 }],
    sessionAffinity: "None",
    ipFamilies: ["IPv4"],
    exportedLabels: {},
    exportedAnnotations: {},
    endpoints: [],
    targetPorts: {},
    ...extra,
  };
}

describe("aggregating exports (mcs.md §1.4)", () => {
  it("takes the type from the oldest export and raises TypeConflict on the disagreeing export and the winner, with mcs-api's message", () => {
    const imp = aggregate([record("b", 20, { type: "Headless" }), record("a", 10)], KEP);
    expect(imp.type).toBe("ClusterSetIP");
    expect(imp.oldest).toBe("a");
    expect(imp.conflicts.get("b")!.reasons).toEqual(["TypeConflict"]);
    expect(imp.conflicts.get("a")!.message).toBe('Conflicting type. Using "ClusterSetIP" from oldest service export in "a". 1/2 clusters disagree.');
  });

  it("breaks a timestamp tie by cluster name", () => {
    expect(aggregate([record("zeta", 5, { sessionAffinity: "ClientIP" }), record("alpha", 5)], KEP).sessionAffinity).toBe("None");
  });

  it("merges ports by name first, then by (protocol, port), oldest first", () => {
    const imp = aggregate(
      [
        record("a", 1, { ports: [{ name: "http", protocol: "TCP", port: 80 }] }),
        record("b", 2, { ports: [{ name: "http", protocol: "TCP", port: 8080 }, { name: "grpc", protocol: "TCP", port: 9090 }, { name: "web", protocol: "TCP", port: 80 }] }),
      ],
      KEP,
    );
    expect(imp.ports).toEqual([{ name: "http", protocol: "TCP", port: 80 }, { name: "grpc", protocol: "TCP", port: 9090 }]);
    expect(imp.conflicts.get("b")!.reasons).toEqual(["PortConflict"]);
  });

  it("joins several reasons with commas in one condition", () => {
    const imp = aggregate([record("a", 1), record("b", 2, { type: "Headless", sessionAffinity: "ClientIP" })], KEP);
    expect(imp.conflicts.get("b")!.reasons.join(",")).toBe("TypeConflict,SessionAffinityConflict");
  });

  it("Lighthouse: intersects ports and leaves a type-conflicting cluster out (mcs.md §5.2)", () => {
    const imp = aggregate(
      [record("a", 1, { ports: [{ name: "http", protocol: "TCP", port: 80 }, { name: "x", protocol: "TCP", port: 81 }] }), record("b", 2), record("c", 3, { type: "Headless" })],
      { portMerge: "intersection", rejectTypeConflicts: true },
    );
    expect(imp.ports).toEqual([{ name: "http", protocol: "TCP", port: 80 }]);
    expect(imp.rejected).toEqual(["c"]);
    expect(imp.clusters).toEqual(["a", "b"]);
  });

  const arbRecord = fc.record({
    cluster: fc.constantFrom("a", "b", "c", "d"),
    createdAt: fc.integer({ min: 0, max: 5 }),
    type: fc.constantFrom("ClusterSetIP" as const, "Headless" as const),
    ports: fc.uniqueArray(fc.record({ name: fc.constantFrom("http", "grpc", "dns"), protocol: fc.constantFrom("TCP" as const, "UDP" as const), port: fc.constantFrom(53, 80, 443) }), {
      selector: (p) => p.name,
      maxLength: 3,
    }).filter((ps) => new Set(ps.map((p) => `${p.protocol}/${p.port}`)).size === ps.length),
    sessionAffinity: fc.constantFrom("None" as const, "ClientIP" as const),
  });
  const arbExports = fc.uniqueArray(arbRecord, { selector: (r) => r.cluster, minLength: 1, maxLength: 4 }).map((rs) => rs.map((r) => record(r.cluster, r.createdAt, r)));

  it("property: the import does not depend on the order exports arrive in", () => {
    fc.assert(
      fc.property(arbExports, (exports) => {
        const a = aggregate(exports, KEP);
        const b = aggregate([...exports].reverse(), KEP);
        expect(JSON.stringify({ ...b, conflicts: [...b.conflicts] })).toBe(JSON.stringify({ ...a, conflicts: [...a.conflicts] }));
      }),
    );
  });

  it("property: the merged ports keep a Service's rules (unique names, unique protocol and port) and include all the oldest export's ports", () => {
    fc.assert(
      fc.property(arbExports, (exports) => {
        const imp = aggregate(exports, KEP);
        expect(new Set(imp.ports.map((p) => p.name ?? "")).size).toBe(imp.ports.length);
        expect(new Set(imp.ports.map((p) => `${p.protocol}/${p.port}`)).size).toBe(imp.ports.length);
        const oldest = [...exports].sort(byPrecedence)[0]!;
        for (const p of oldest.ports) expect(imp.ports).toContainEqual(p);
      }),
    );
  });

  it("property: an export has a conflict exactly when some export disagrees with the oldest on a property", () => {
    fc.assert(
      fc.property(arbExports, (exports) => {
        const imp = aggregate(exports, KEP);
        const oldest = [...exports].sort(byPrecedence)[0]!;
        for (const e of exports) {
          const typeDiffers = e.type !== oldest.type;
          if (typeDiffers) expect(imp.conflicts.get(e.cluster)?.reasons).toContain("TypeConflict");
          if (e.cluster !== oldest.cluster && !imp.conflicts.has(e.cluster)) {
            expect(e.type).toBe(oldest.type);
            expect(e.sessionAffinity).toBe(oldest.sessionAffinity);
          }
        }
      }),
    );
  });
});

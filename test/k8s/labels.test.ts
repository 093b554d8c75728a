import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesLabels, matchesSelector } from "../../src/k8s/labels.js";
import type { LabelSelector, LabelSelectorRequirement, StringMap } from "../../src/k8s/objects.js";

describe("matchesLabels (a Service's selector)", () => {
  it("matches when every selector entry is among the labels", () => {
    expect(matchesLabels({ app: "web", tier: "fe" }, { app: "web" })).toBe(true);
    expect(matchesLabels({ app: "web", tier: "fe" }, { app: "web", tier: "fe" })).toBe(true);
    expect(matchesLabels({ app: "web" }, { app: "web", tier: "fe" })).toBe(false);
    expect(matchesLabels({ app: "web" }, { app: "api" })).toBe(false);
    expect(matchesLabels({ app: "" }, { app: "" })).toBe(true);
    expect(matchesLabels({}, { app: "" })).toBe(false);
  });

  it("matches anything with an empty selector, even no labels at all", () => {
    expect(matchesLabels(undefined, {})).toBe(true);
    expect(matchesLabels({ a: "b" }, {})).toBe(true);
    expect(matchesLabels(undefined, { a: "b" })).toBe(false);
  });

  it("is not fooled by keys every object has by inheritance", () => {
    expect(matchesLabels({}, { constructor: "x" })).toBe(false);
    expect(matchesLabels({ constructor: "x" }, { constructor: "x" })).toBe(true);
  });
});

describe("matchesSelector (a LabelSelector)", () => {
  const req = (key: string, operator: LabelSelectorRequirement["operator"], values?: string[]): LabelSelector => ({
    matchExpressions: [{ key, operator, ...(values ? { values } : {}) }],
  });

  it("In: the key is present with one of the values", () => {
    const s = req("env", "In", ["prod", "staging"]);
    expect(matchesSelector({ env: "prod" }, s)).toBe(true);
    expect(matchesSelector({ env: "staging" }, s)).toBe(true);
    expect(matchesSelector({ env: "dev" }, s)).toBe(false);
    expect(matchesSelector({}, s)).toBe(false);
    expect(matchesSelector(undefined, s)).toBe(false);
  });

  it("NotIn: the key is absent, or present with none of the values", () => {
    const s = req("env", "NotIn", ["prod"]);
    expect(matchesSelector({ env: "dev" }, s)).toBe(true);
    expect(matchesSelector({}, s)).toBe(true);
    expect(matchesSelector(undefined, s)).toBe(true);
    expect(matchesSelector({ env: "prod" }, s)).toBe(false);
  });

  it("Exists and DoesNotExist look at the key only", () => {
    expect(matchesSelector({ gpu: "" }, req("gpu", "Exists"))).toBe(true);
    expect(matchesSelector({ other: "x" }, req("gpu", "Exists"))).toBe(false);
    expect(matchesSelector(undefined, req("gpu", "Exists"))).toBe(false);
    expect(matchesSelector({ other: "x" }, req("gpu", "DoesNotExist"))).toBe(true);
    expect(matchesSelector(undefined, req("gpu", "DoesNotExist"))).toBe(true);
    expect(matchesSelector({ gpu: "a100" }, req("gpu", "DoesNotExist"))).toBe(false);
    // A key every object inherits is not a label.
    expect(matchesSelector({}, req("toString", "Exists"))).toBe(false);
    expect(matchesSelector({}, req("toString", "DoesNotExist"))).toBe(true);
  });

  it("matches everything with an empty selector", () => {
    for (const labels of [undefined, {}, { a: "b" }] as (StringMap | undefined)[]) {
      expect(matchesSelector(labels, {})).toBe(true);
      expect(matchesSelector(labels, { matchLabels: {}, matchExpressions: [] })).toBe(true);
    }
  });

  it("needs matchLabels and every expression to hold", () => {
    const s: LabelSelector = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod"] },
        { key: "canary", operator: "DoesNotExist" },
      ],
    };
    expect(matchesSelector({ app: "web", env: "prod" }, s)).toBe(true);
    expect(matchesSelector({ app: "api", env: "prod" }, s)).toBe(false);
    expect(matchesSelector({ app: "web", env: "dev" }, s)).toBe(false);
    expect(matchesSelector({ app: "web", env: "prod", canary: "true" }, s)).toBe(false);
  });

  it("agrees with a reference implementation of the API's rules (property)", () => {
    // The reference follows the Kubernetes documentation sentence by sentence, over entries.
    const reference = (labels: StringMap | undefined, selector: LabelSelector): boolean => {
      const entries = new Map(Object.entries(labels ?? {}));
      const okLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => entries.has(k) && entries.get(k) === v);
      const okExpr = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
        const value = entries.get(key);
        const present = entries.has(key);
        if (operator === "In") return present && new Set(values).has(value!);
        if (operator === "NotIn") return !present || !new Set(values).has(value!);
        if (operator === "Exists") return present;
        return !present;
      });
      return okLabels && okExpr;
    };
    const keys = fc.constantFrom("app", "env", "tier", "k8s.io/zone", "constructor", "toString");
    const values = fc.constantFrom("", "a", "b", "c");
    const labelsArb = fc.option(fc.dictionary(keys, values, { maxKeys: 4 }), { nil: undefined });
    const reqArb: fc.Arbitrary<LabelSelectorRequirement> = fc.oneof(
      fc.record({ key: keys, operator: fc.constantFrom("In" as const, "NotIn" as const), values: fc.array(values, { maxLength: 3 }) }),
      fc.record({ key: keys, operator: fc.constantFrom("Exists" as const, "DoesNotExist" as const) }),
    );
    const selectorArb: fc.Arbitrary<LabelSelector> = fc.record(
      { matchLabels: fc.dictionary(keys, values, { maxKeys: 2 }), matchExpressions: fc.array(reqArb, { maxLength: 3 }) },
      { requiredKeys: [] },
    );
    const outcomes = { true: 0, false: 0 };
    fc.assert(
      fc.property(labelsArb, selectorArb, (labels, selector) => {
        const got = matchesSelector(labels, selector);
        outcomes[String(got) as "true" | "false"]++;
        expect(got).toBe(reference(labels, selector));
        // A Service-style selector is a selector with matchLabels only.
        expect(matchesLabels(labels, selector.matchLabels ?? {})).toBe(reference(labels, { matchLabels: selector.matchLabels ?? {} }));
      }),
      { numRuns: 2000 },
    );
    // The generators reach both answers often, so the agreement means something.
    expect(outcomes.true).toBeGreaterThan(200);
    expect(outcomes.false).toBeGreaterThan(200);
  });
});

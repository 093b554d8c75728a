import { readFileSync, readdirSync } from "node:fs";
import { Ajv } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ScenarioError, loadScenario } from "../../src/scenario/load.js";
import { scenarioJsonSchema } from "../../src/scenario/schema.js";
import { pathsIn, replaceAt } from "./documents.js";

const SCHEMA_FILE = "scenarios/scenario.schema.json";
const schema = scenarioJsonSchema();

/** Compiles the schema as an editor would, failing on any warning ajv has about it. */
function compile() {
  const warnings: unknown[] = [];
  const ajv = new Ajv({ allErrors: true, logger: { log: () => {}, warn: (...w: unknown[]) => warnings.push(w), error: (...e: unknown[]) => warnings.push(e) } });
  const validate = ajv.compile(schema);
  expect(warnings).toEqual([]);
  return { ajv, validate };
}

const { ajv, validate } = compile();

/** The scenario files shipped in scenarios/ (not the Kubernetes manifests they name). */
const SCENARIOS = readdirSync("scenarios")
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => `scenarios/${f}`);

const readFile = (path: string) => readFileSync(path, "utf8");

/** What mcsim says about a scenario: null when it loads, else the error's path. */
function mcsim(text: string, file = "scenarios/quickstart.yaml"): string | null {
  try {
    loadScenario(text, file, { readFile });
    return null;
  } catch (e) {
    if (e instanceof ScenarioError) return e.path;
    throw e;
  }
}

describe("the scenario JSON Schema", () => {
  it("is draft-07, and ajv compiles it without a warning", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it("is the committed scenarios/scenario.schema.json, byte for byte", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8"), `${SCHEMA_FILE} is out of date: regenerate it with npm run mcsim -- schema > ${SCHEMA_FILE}`).toBe(
      `${JSON.stringify(schema, null, 2)}\n`,
    );
  });

  it("accepts every scenario under scenarios/, as mcsim does", () => {
    expect(SCENARIOS).toContain("scenarios/quickstart.yaml");
    for (const file of SCENARIOS) {
      const text = readFile(file);
      expect(mcsim(text, file), file).toBeNull();
      expect(validate(parse(text)), `${file}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  const QUICKSTART = readFile("scenarios/quickstart.yaml");
  const wrong: [string, string, string][] = [
    ["an unknown field", "  warmup: 10s\n", "  warmup: 10s\n  trafic: []\n"],
    ["a misspelt field in a list item", "      nodesPerZone: 2\n      domain: west.local", "      nodesPerZone: 2\n      domian: west.local"],
    ["a string for a number", "  seed: 1\n", "  seed: one\n"],
    ["a duration without a unit", "  duration: 80s\n", "  duration: 80\n"],
    ["a value outside its enumeration", "      type: A\n      rate: 20\n    - name: remote", "      type: MX\n      rate: 20\n    - name: remote"],
    ["two fault actions in one entry", "      for: 20s\n", "      for: 20s\n      heal: all\n"],
    ["a fault without an action", "      partition:\n        from: east\n        to: west\n", "\n"],
    ["a missing required field", "kind: Scenario\n", "\n"],
    ["a percentile out of range", "percentile: 99", "percentile: 101"],
  ];

  it.each(wrong)("and mcsim both refuse %s", (_, from, to) => {
    expect(QUICKSTART).toContain(from);
    const text = QUICKSTART.replace(from, to);
    expect(mcsim(text)).not.toBeNull();
    expect(validate(parse(text))).toBe(false);
  });

  it("accepts every document mcsim accepts: the quickstart with any one value replaced (property)", () => {
    const doc = parse(QUICKSTART) as unknown;
    const paths = pathsIn(doc);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom<unknown>("1s", "250ms", 0, "A", "closed", "during", "all", "east", [], {})), (path, value) => {
        const changed = replaceAt(doc, path, value);
        if (mcsim(stringify(changed)) === null) expect(validate(changed), ajv.errorsText(validate.errors)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});


import { readdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { mcsim } from "./run-mcsim.js";

describe("mcsim schema", () => {
  const r = mcsim(["schema"]);
  const schema = JSON.parse(r.stdout) as Record<string, unknown> & { properties: { spec: { properties: Record<string, unknown> } } };
  // Ajv's default strictness: an unknown keyword in the schema is an error too.
  const validate = new Ajv({ allErrors: true }).compile(schema);

  it("prints the scenario file's JSON Schema (draft-07), with exit 0 and nothing on stderr", () => {
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.required).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(Object.keys(schema.properties.spec.properties)).toEqual(
      expect.arrayContaining(["seed", "duration", "warmup", "network", "clusters", "manifests", "traffic", "faults", "expect"]),
    );
  });

  it("accepts every shipped scenario", () => {
    const files = readdirSync("scenarios").filter((f) => f.endsWith(".yaml"));
    expect(files).toContain("quickstart.yaml");
    for (const f of files) {
      validate(parse(readFileSync(`scenarios/${f}`, "utf8")));
      expect(validate.errors ?? [], f).toEqual([]);
    }
  });

  it("rejects an unknown field, as mcsim does, so that editors flag it", () => {
    const scenario = parse(readFileSync("scenarios/quickstart.yaml", "utf8").replace("nodesPerZone", "nodesPerZon")) as unknown;
    expect(validate(scenario)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({ instancePath: "/spec/clusters/0", keyword: "additionalProperties", params: { additionalProperty: "nodesPerZon" } }),
    );
  });
});

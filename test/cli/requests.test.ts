import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mcsim } from "./run-mcsim.js";
import { section } from "../report-section.js";

const dir = mkdtempSync(join(tmpdir(), "mcsim-requests-"));
cpSync("scenarios", dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe("mcsim run scenarios/requests.yaml", () => {
  const r = mcsim(["run", "scenarios/requests.yaml"]);

  it("meets every expectation and exits 0", () => {
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("PASS: all 8 expectations were met.");
  });

  it("prints the requests' statuses and error kinds per stream, fault phase and pair", () => {
    const requests = section(r.stdout, "Requests (HTTP calls");
    expect(requests[0]).toMatch(/^STREAM\s+REQUESTS\s+OK\s+FAILED\s+SUCCESS\s+P50\s+P90\s+P99\s+P99\.9\s+MAX\s+STATUS\s+ERRORS$/);
    expect(requests.find((l) => l.startsWith("web "))).toMatch(/200 [\d,]+, 503 [\d,]+\s+reset \d+$/);
    expect(requests.find((l) => l.startsWith("canary "))).toMatch(/0\.00%.*-\s+connect-refused \d+$/);
    const phases = section(r.stdout, "Requests by fault phase");
    expect(phases.filter((l) => l.startsWith("web ")).map((l) => l.split(/\s+/)[2])).toEqual(["before", "during", "after"]);
    expect(section(r.stdout, "Requests by cluster pair").some((l) => /^web\s+east\s+east\s/.test(l))).toBe(true);
    expect(r.stdout).not.toContain("QUERIES/LOOKUP");
  });

  it("gives statuses and errors apart in the JSON report, and the same digest for the same seed", () => {
    const a = mcsim(["run", "scenarios/requests.yaml", "--report", "json"]);
    const report = JSON.parse(a.stdout) as { digest: string; streams: { name: string; kind: string; statuses: Record<string, number>; errors: Record<string, number> }[] };
    const web = report.streams.find((s) => s.name === "web")!;
    expect(web.kind).toBe("request");
    expect(Object.keys(web.statuses)).toEqual(["200", "503"]);
    expect(Object.keys(web.errors)).toEqual(["reset"]);
    expect(r.stdout).toContain(report.digest);
  });

  it("exits 2 naming the file, line and column of a URL it cannot call", () => {
    const text = readFileSync("scenarios/requests.yaml", "utf8");
    writeFileSync(join(dir, "bad.yaml"), text.replace("request: http://web/", "request: ftp://web/"));
    const line = text.split("\n").findIndex((l) => l.includes("request: http://web/")) + 1;
    const bad = mcsim(["run", "bad.yaml"], { cwd: dir });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(new RegExp(`^mcsim: bad\\.yaml:${line}:\\d+: spec\\.traffic\\[0\\]\\.request: .*only http:// URLs are modelled, not ftp://`));
  });
});

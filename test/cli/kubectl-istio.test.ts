import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mcsim } from "./run-mcsim.js";

const dir = mkdtempSync(join(tmpdir(), "mcsim-istio-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A scenario whose manifests hold Istio's kinds and a remote secret, in the two clusters of a mesh. */
const SCENARIO = `apiVersion: mcsim/v1alpha1
kind: Scenario
metadata: {name: istio-kinds}
spec:
  seed: 1
  duration: 20s
  warmup: 5s
  clusters:
    - {name: east, region: us-east-1, zones: [us-east-1a]}
    - {name: west, region: eu-west-1, zones: [eu-west-1a]}
  manifests:
    - clusters: [east, west]
      inline: |
        apiVersion: v1
        kind: Namespace
        metadata: {name: istio-system}
        ---
        apiVersion: networking.istio.io/v1alpha3
        kind: ServiceEntry
        metadata: {name: httpbin-org}
        spec:
          hosts: [httpbin.org]
          location: MESH_EXTERNAL
          ports: [{number: 80, name: http, protocol: HTTP}]
          resolution: DNS
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec: {mtls: {mode: STRICT}}
    - cluster: east
      inline: |
        apiVersion: v1
        kind: Secret
        metadata:
          name: istio-remote-secret-west
          namespace: istio-system
          labels: {istio/multiCluster: "true"}
          annotations: {networking.istio.io/cluster: west}
        stringData: {west: "apiVersion: v1"}
`;

describe("mcsim kubectl SCENARIO -- get, on Istio's kinds from the scenario's manifests", () => {
  const file = join(dir, "istio.yaml");
  writeFileSync(file, SCENARIO);

  it("prints kubectl get serviceentries -A as mesh.md §2.3 shows it, at the end of warmup", () => {
    const run = mcsim(["kubectl", file, "--", "get", "serviceentries", "-A"]);
    expect(run).toEqual({ status: 0, stderr: "", stdout: 'NAMESPACE   NAME          HOSTS             LOCATION        RESOLUTION   AGE\ndefault     httpbin-org   ["httpbin.org"]   MESH_EXTERNAL   DNS          5s\n' });
  });

  it("reaches each cluster by --context, and the remote secret only where it was applied", () => {
    expect(mcsim(["kubectl", file, "--", "--context", "west", "get", "pa", "-n", "istio-system"]).stdout).toBe("NAME      MODE     AGE\ndefault   STRICT   5s\n");
    expect(mcsim(["kubectl", file, "--", "get", "secrets", "-n", "istio-system", "-o", "name"]).stdout).toBe("secret/istio-remote-secret-west\n");
    const west = mcsim(["kubectl", file, "--", "--context", "west", "get", "secret", "istio-remote-secret-west", "-n", "istio-system"]);
    expect(west).toEqual({ status: 1, stdout: "", stderr: 'Error from server (NotFound): secrets "istio-remote-secret-west" not found\n' });
  });

  it("refuses a scenario whose Istio manifest has a bad field, with exit code 2 and the place", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, SCENARIO.replace("resolution: DNS", "resolution: DSN"));
    const run = mcsim(["kubectl", bad, "--", "get", "se"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${bad}:25:23: spec.resolution`);
    expect(run.stderr).toContain('(did you mean "DNS"?)');
  });
});

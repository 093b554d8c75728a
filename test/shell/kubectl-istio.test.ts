import { describe, expect, it } from "vitest";
import { loadManifests } from "../../src/k8s/manifest.js";
import type { Secret } from "../../src/k8s/objects.js";
import { World } from "../../src/scenario/world.js";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";
import { SECOND } from "../../src/sim/time.js";

/** Istio's objects as a multi-cluster lab applies them, and a remote secret (mesh.md §1.2, §2.3). */
const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: sample}
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: httpbin-org, labels: {app: httpbin}}
spec:
  hosts: [httpbin.org]
  location: MESH_EXTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vms, namespace: sample, labels: {team: data}}
spec:
  hosts: [mongo.vms.internal, mongo-backup.vms.internal]
  addresses: [192.192.192.192/24]
  ports: [{number: 27018, name: mongodb, protocol: MONGO}]
  location: MESH_INTERNAL
  resolution: STATIC
  endpoints: [{address: 2.2.2.2}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: bare, namespace: sample}
spec: {hosts: [bare.example.com]}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: helloworld, namespace: sample}
spec:
  hosts: [helloworld]
  http: [{route: [{destination: {host: helloworld}}], timeout: 5s}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: sample}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway, mesh]
  http: [{route: [{destination: {host: productpage, port: {number: 9080}}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: sample}
spec:
  host: helloworld.sample.svc.cluster.local
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: cross-network-gateway, namespace: istio-system}
spec:
  selector: {istio: eastwestgateway}
  servers: [{port: {number: 15443, name: tls, protocol: TLS}, tls: {mode: AUTO_PASSTHROUGH}, hosts: ["*.local"]}]
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: finance, namespace: sample}
spec:
  selector: {matchLabels: {app: finance}}
  portLevelMtls: {8080: {mode: DISABLE}}
---
apiVersion: v1
kind: Secret
metadata:
  name: istio-remote-secret-west
  namespace: istio-system
  labels: {istio/multiCluster: "true"}
  annotations: {networking.istio.io/cluster: west}
stringData:
  west: |
    apiVersion: v1
    kind: Config
---
apiVersion: v1
kind: Secret
metadata: {name: cacerts, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: Y2VydA==, tls.key: a2V5}
stringData: {tls.key: replaced}
`;

/** One cluster holding {@link MANIFESTS}, 5 seconds after they were applied (the AGE of mesh.md §2.3's example). */
function meshWorld(): World {
  const world = new World({ seed: 1 });
  world.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], dns: false });
  world.apply("east", MANIFESTS, "mesh.yaml");
  world.runFor(5 * SECOND);
  return world;
}

describe("kubectl get for Istio's kinds and Secrets (mesh.md §2.3)", () => {
  const world = meshWorld();
  const run = (...args: string[]) => kubectl({ world, context: "east" }, args);
  const ok = (stdout: string) => ({ stdout, stderr: "", exitCode: 0 });

  it("lists ServiceEntries with -A as mesh.md §2.3 shows: HOSTS as JSON, LOCATION, RESOLUTION, blank when left out", () => {
    expect(run("get", "serviceentries", "-A")).toEqual(
      ok(
        "NAMESPACE   NAME          HOSTS                                                LOCATION        RESOLUTION   AGE\n" +
          'default     httpbin-org   ["httpbin.org"]                                      MESH_EXTERNAL   DNS          5s\n' +
          'sample      bare          ["bare.example.com"]                                                              5s\n' +
          'sample      vms           ["mongo.vms.internal","mongo-backup.vms.internal"]   MESH_INTERNAL   STATIC       5s\n',
      ),
    );
    // mesh.md §2.3's example, line for line.
    expect(run("get", "se", "-A", "-l", "app=httpbin")).toEqual(
      ok('NAMESPACE   NAME          HOSTS             LOCATION        RESOLUTION   AGE\ndefault     httpbin-org   ["httpbin.org"]   MESH_EXTERNAL   DNS          5s\n'),
    );
    const one = "NAME          HOSTS             LOCATION        RESOLUTION   AGE\nhttpbin-org   [\"httpbin.org\"]   MESH_EXTERNAL   DNS          5s\n";
    for (const name of ["serviceentries", "serviceentry", "se", "serviceentries.networking.istio.io", "ServiceEntry.networking.istio.io"]) expect(run("get", name)).toEqual(ok(one));
    // The CRD's printer columns all have priority 0: -o wide adds none.
    expect(run("get", "se", "-o", "wide")).toEqual(ok(one));
  });

  it("lists VirtualServices with GATEWAYS and HOSTS, blank when a rule names no gateway", () => {
    const table = 'NAME         GATEWAYS                      HOSTS            AGE\nbookinfo     ["bookinfo-gateway","mesh"]   ["*"]            5s\nhelloworld                                 ["helloworld"]   5s\n';
    expect(run("get", "vs", "-n", "sample")).toEqual(ok(table));
    expect(run("get", "virtualservices", "-n", "sample")).toEqual(ok(table));
  });

  it("lists DestinationRules with HOST, Gateways with AGE only, PeerAuthentications with MODE", () => {
    expect(run("get", "dr", "-n", "sample")).toEqual(ok("NAME         HOST                                  AGE\nhelloworld   helloworld.sample.svc.cluster.local   5s\n"));
    expect(run("get", "gw", "-n", "istio-system")).toEqual(ok("NAME                    AGE\ncross-network-gateway   5s\n"));
    expect(run("get", "pa", "-A")).toEqual(ok("NAMESPACE      NAME      MODE     AGE\nistio-system   default   STRICT   5s\nsample         finance            5s\n"));
    expect(run("get", "peerauthentications", "-n", "sample", "--no-headers")).toEqual(ok("finance         5s\n"));
  });

  it("lists Secrets with TYPE and how many keys data has, stringData merged into it", () => {
    expect(run("get", "secrets", "-n", "istio-system")).toEqual(
      ok("NAME                       TYPE                DATA   AGE\ncacerts                    kubernetes.io/tls   2      5s\nistio-remote-secret-west   Opaque              1      5s\n"),
    );
    expect(run("get", "secret", "-A", "-l", "istio/multiCluster=true", "-o", "name")).toEqual(ok("secret/istio-remote-secret-west\n"));
  });

  it("stores a Secret as the API server does: stringData base64-encoded into data, winning over data, and dropped", () => {
    const cacerts = world.cluster("east").api.get("Secret", "istio-system", "cacerts")!;
    expect(cacerts).not.toHaveProperty("stringData");
    expect(cacerts.data).toEqual({ "tls.crt": "Y2VydA==", "tls.key": Buffer.from("replaced").toString("base64") });
    const remote = JSON.parse(run("get", "secret", "istio-remote-secret-west", "-n", "istio-system", "-o", "json").stdout) as Secret;
    expect(Buffer.from(remote.data!.west!, "base64").toString()).toBe("apiVersion: v1\nkind: Config\n");
    expect(remote.metadata.annotations).toEqual({ "networking.istio.io/cluster": "west" });
  });

  it("writes -o name with each kind's API group", () => {
    expect(run("get", "se", "-n", "sample", "-o", "name")).toEqual(ok("serviceentry.networking.istio.io/bare\nserviceentry.networking.istio.io/vms\n"));
    expect(run("get", "vs,dr", "-n", "sample", "-o", "name")).toEqual(
      ok("virtualservice.networking.istio.io/bookinfo\nvirtualservice.networking.istio.io/helloworld\ndestinationrule.networking.istio.io/helloworld\n"),
    );
    expect(run("get", "gateway/cross-network-gateway", "pa/default", "-n", "istio-system", "-o", "name")).toEqual(
      ok("gateway.networking.istio.io/cross-network-gateway\npeerauthentication.security.istio.io/default\n"),
    );
  });

  it("prints -o yaml at v1, whichever version wrote the object, and it loads back as the same objects", () => {
    for (const [kind, name, ns] of [
      ["ServiceEntry", "httpbin-org", "default"],
      ["VirtualService", "helloworld", "sample"],
      ["DestinationRule", "helloworld", "sample"],
      ["Gateway", "cross-network-gateway", "istio-system"],
      ["PeerAuthentication", "default", "istio-system"],
      ["Secret", "cacerts", "istio-system"],
    ] as const) {
      const out = run("get", kind, name, "-n", ns, "-o", "yaml");
      expect(out.exitCode).toBe(0);
      const stored = world.cluster("east").api.get(kind, ns, name);
      expect(stored).toBeDefined();
      expect(out.stdout).toMatch(/^apiVersion: (networking\.istio\.io\/v1|security\.istio\.io\/v1|v1)\n/);
      expect(loadManifests(out.stdout, "get.yaml")).toEqual([stored]);
    }
    // Durations are printed as they were written.
    expect(run("get", "dr", "helloworld", "-n", "sample", "-o", "yaml").stdout).toContain("    outlierDetection:\n      baseEjectionTime: 1m\n      consecutive5xxErrors: 1\n      interval: 1s\n");
  });

  it("answers as kubectl does for a missing object, naming the resource with its group, and for an empty namespace", () => {
    const notFound = (resource: string, name: string) => ({ stdout: "", stderr: `Error from server (NotFound): ${resource} "${name}" not found\n`, exitCode: 1 });
    expect(run("get", "vs", "x")).toEqual(notFound("virtualservices.networking.istio.io", "x"));
    expect(run("get", "dr", "x")).toEqual(notFound("destinationrules.networking.istio.io", "x"));
    expect(run("get", "se", "x")).toEqual(notFound("serviceentries.networking.istio.io", "x"));
    expect(run("get", "gw", "x")).toEqual(notFound("gateways.networking.istio.io", "x"));
    expect(run("get", "pa", "x")).toEqual(notFound("peerauthentications.security.istio.io", "x"));
    expect(run("get", "secret", "x")).toEqual(notFound("secrets", "x"));
    expect(run("get", "gateways")).toEqual({ stdout: "", stderr: "No resources found in default namespace.\n", exitCode: 0 });
  });
});

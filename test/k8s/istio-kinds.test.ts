import { describe, expect, it } from "vitest";
import type { DestinationRule, Gateway, PeerAuthentication, ServiceEntry, VirtualService } from "../../src/k8s/istio.js";
import { ManifestError, loadManifests } from "../../src/k8s/manifest.js";
import type { Secret } from "../../src/k8s/objects.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

function failure(text: string): ManifestError {
  try {
    loadManifests(text, "istio.yaml");
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error("expected a ManifestError");
}

/** Where and what a failure says: [line, column, path, detail]. */
const place = (text: string) => {
  const e = failure(text);
  return [e.line, e.column, e.path, e.detail];
};

/** A DestinationRule whose trafficPolicy is the given lines, indented under it. */
const dr = (...policy: string[]) =>
  lines("apiVersion: networking.istio.io/v1", "kind: DestinationRule", "metadata: {name: web}", "spec:", "  host: web", "  trafficPolicy:", ...policy.map((l) => `    ${l}`));

describe("Istio's kinds loaded from YAML as Istio's docs write them", () => {
  it("loads the bookinfo VirtualService with a header match, a delay fault, weights, a timeout and retries", () => {
    const [vs] = loadManifests(
      lines(
        "apiVersion: networking.istio.io/v1alpha3",
        "kind: VirtualService",
        "metadata:",
        "  name: reviews",
        "spec:",
        "  hosts:",
        "  - reviews",
        "  http:",
        "  - match:",
        "    - headers:",
        "        end-user:",
        "          exact: jason",
        "    fault:",
        "      delay:",
        "        percentage:",
        "          value: 100.0",
        "        fixedDelay: 7s",
        "    route:",
        "    - destination:",
        "        host: ratings",
        "        subset: v1",
        "  - match:",
        "    - uri:",
        "        prefix: /api",
        "      port: 9080",
        "      sourceLabels: {app: productpage}",
        "    fault:",
        "      abort:",
        "        httpStatus: 503",
        "        percentage: {value: 0.1}",
        "    route:",
        "    - destination: {host: reviews, subset: v2, port: {number: 9080}}",
        "      weight: 75",
        "    - destination: {host: reviews, subset: v3}",
        "      weight: 25",
        "    timeout: 10s",
        "    retries:",
        "      attempts: 3",
        "      perTryTimeout: 2s",
        "      retryOn: gateway-error,connect-failure,refused-stream,503",
      ),
      "vs.yaml",
    ) as [VirtualService];
    expect(vs.apiVersion).toBe("networking.istio.io/v1");
    expect(vs.metadata).toEqual({ name: "reviews", namespace: "default" });
    expect(vs.spec.http![0]).toEqual({
      match: [{ headers: { "end-user": { exact: "jason" } } }],
      route: [{ destination: { host: "ratings", subset: "v1" } }],
      fault: { delay: { fixedDelay: "7s", percentage: { value: 100 } } },
    });
    expect(vs.spec.http![1]).toEqual({
      match: [{ uri: { prefix: "/api" }, port: 9080, sourceLabels: { app: "productpage" } }],
      route: [
        { destination: { host: "reviews", subset: "v2", port: { number: 9080 } }, weight: 75 },
        { destination: { host: "reviews", subset: "v3" }, weight: 25 },
      ],
      timeout: "10s",
      retries: { attempts: 3, perTryTimeout: "2s", retryOn: "gateway-error,connect-failure,refused-stream,503" },
      fault: { abort: { httpStatus: 503, percentage: { value: 0.1 } } },
    });
  });

  it("loads the locality failover task's DestinationRule (mesh.md §3.1), durations kept as written", () => {
    const [rule] = loadManifests(
      dr(
        "connectionPool:",
        "  http: {maxRequestsPerConnection: 1}",
        "  tcp: {maxConnections: 100, connectTimeout: 250ms}",
        "loadBalancer:",
        "  simple: ROUND_ROBIN",
        "  localityLbSetting:",
        "    enabled: true",
        "    failover:",
        "    - from: region1",
        "      to: region2",
        "    failoverPriority: [topology.istio.io/network]",
        "outlierDetection:",
        "  consecutive5xxErrors: 1",
        "  interval: 1s",
        "  baseEjectionTime: 1m",
        "  maxEjectionPercent: 100",
      ),
      "dr.yaml",
    ) as [DestinationRule];
    expect(rule.spec.trafficPolicy).toEqual({
      loadBalancer: { simple: "ROUND_ROBIN", localityLbSetting: { enabled: true, failover: [{ from: "region1", to: "region2" }], failoverPriority: ["topology.istio.io/network"] } },
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: "250ms" }, http: { maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m", maxEjectionPercent: 100 },
    });
  });

  it("loads subsets with their own policy, and the distribute task's weights", () => {
    const [rule] = loadManifests(
      lines(
        "apiVersion: networking.istio.io/v1beta1",
        "kind: DestinationRule",
        "metadata: {name: helloworld, namespace: sample}",
        "spec:",
        "  host: helloworld.sample.svc.cluster.local",
        "  trafficPolicy:",
        "    tls: {mode: ISTIO_MUTUAL}",
        "    loadBalancer:",
        "      localityLbSetting:",
        "        distribute:",
        "        - from: region1/zone1/*",
        "          to: {region1/zone1/*: 70, region1/zone2/*: 20, region3/zone4/*: 10}",
        "  subsets:",
        "  - name: v1",
        "    labels: {version: v1}",
        "    trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}",
        "  - name: v2",
        "    labels: {version: v2}",
      ),
      "dr.yaml",
    ) as [DestinationRule];
    expect(rule.apiVersion).toBe("networking.istio.io/v1");
    expect(rule.spec.trafficPolicy!.loadBalancer!.localityLbSetting!.distribute).toEqual([
      { from: "region1/zone1/*", to: { "region1/zone1/*": 70, "region1/zone2/*": 20, "region3/zone4/*": 10 } },
    ]);
    expect(rule.spec.subsets).toEqual([
      { name: "v1", labels: { version: "v1" }, trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" } } },
      { name: "v2", labels: { version: "v2" } },
    ]);
  });

  it("loads the ServiceEntry reference's examples: DNS to external APIs, STATIC VMs behind a CIDR, endpoints with locality", () => {
    const [https, mongo, local] = loadManifests(
      lines(
        "apiVersion: networking.istio.io/v1",
        "kind: ServiceEntry",
        "metadata: {name: external-svc-https}",
        "spec:",
        "  hosts: [api.dropboxapi.com, www.googleapis.com, api.facebook.com]",
        "  location: MESH_EXTERNAL",
        "  ports:",
        "  - number: 443",
        "    name: https",
        "    protocol: TLS",
        "  resolution: DNS",
        "---",
        "apiVersion: networking.istio.io/v1alpha3",
        "kind: ServiceEntry",
        "metadata: {name: external-svc-mongocluster}",
        "spec:",
        "  hosts:",
        "  - mymongodb.somedomain # not used",
        "  addresses:",
        "  - 192.192.192.192/24 # VIPs",
        "  ports:",
        "  - {number: 27018, name: mongodb, protocol: MONGO}",
        "  location: MESH_INTERNAL",
        "  resolution: STATIC",
        "  endpoints:",
        "  - address: 2.2.2.2",
        "  - address: 3.3.3.3",
        "---",
        "apiVersion: networking.istio.io/v1beta1",
        "kind: ServiceEntry",
        "metadata: {name: local, namespace: echo}",
        "spec:",
        "  hosts: [svc.echo.local]",
        "  ports: [{number: 80, name: http, protocol: http, targetPort: 8080}]",
        "  resolution: DNS",
        "  exportTo: [.] # a plain dot is a string to kubectl, not a number",
        "  endpoints:",
        "  - {address: local.example, locality: region/zone/subzone, ports: {http: 8081}, network: n1, weight: 2, labels: {priority: '1'}}",
      ),
      "se.yaml",
    ) as [ServiceEntry, ServiceEntry, ServiceEntry];
    expect(https.spec).toEqual({
      hosts: ["api.dropboxapi.com", "www.googleapis.com", "api.facebook.com"],
      ports: [{ number: 443, protocol: "TLS", name: "https" }],
      location: "MESH_EXTERNAL",
      resolution: "DNS",
    });
    expect(mongo.apiVersion).toBe("networking.istio.io/v1");
    expect(mongo.spec.addresses).toEqual(["192.192.192.192/24"]);
    expect(mongo.spec.endpoints).toEqual([{ address: "2.2.2.2" }, { address: "3.3.3.3" }]);
    // Istio reads protocols in any case; what was written is kept.
    expect(local.spec.ports).toEqual([{ number: 80, protocol: "http", name: "http", targetPort: 8080 }]);
    expect(local.spec.endpoints![0]).toEqual({ address: "local.example", ports: { http: 8081 }, labels: { priority: "1" }, network: "n1", locality: "region/zone/subzone", weight: 2 });
  });

  it("leaves out what the proto leaves at its zero value, as the API server stores a CRD: no location, no resolution", () => {
    const [se] = loadManifests(lines("apiVersion: networking.istio.io/v1", "kind: ServiceEntry", "metadata: {name: x}", "spec: {hosts: [x.example.com]}"), "se.yaml") as [ServiceEntry];
    expect(se.spec).toEqual({ hosts: ["x.example.com"] });
  });

  it("loads the east-west gateway of the multi-network install (mesh.md §1.3)", () => {
    const [gw] = loadManifests(
      lines(
        "apiVersion: networking.istio.io/v1",
        "kind: Gateway",
        "metadata:",
        "  name: cross-network-gateway",
        "  namespace: istio-system",
        "spec:",
        "  selector:",
        "    istio: eastwestgateway",
        "  servers:",
        "    - port:",
        "        number: 15443",
        "        name: tls",
        "        protocol: TLS",
        "      tls:",
        "        mode: AUTO_PASSTHROUGH",
        "      hosts:",
        '        - "*.local"',
        "    - port: {number: 443, name: https, protocol: HTTPS}",
        "      tls: {mode: SIMPLE, credentialName: bookinfo-secret}",
        '      hosts: ["bookinfo/*.bookinfo.com", "./reviews.example.com", "*/*"]',
      ),
      "gw.yaml",
    ) as [Gateway];
    expect(gw.spec).toEqual({
      selector: { istio: "eastwestgateway" },
      servers: [
        { port: { number: 15443, protocol: "TLS", name: "tls" }, hosts: ["*.local"], tls: { mode: "AUTO_PASSTHROUGH" } },
        { port: { number: 443, protocol: "HTTPS", name: "https" }, hosts: ["bookinfo/*.bookinfo.com", "./reviews.example.com", "*/*"], tls: { mode: "SIMPLE", credentialName: "bookinfo-secret" } },
      ],
    });
  });

  it("loads the PeerAuthentication reference's example, a port-level override keyed by a YAML number (mesh.md §3.5)", () => {
    const [pa] = loadManifests(
      lines(
        "apiVersion: security.istio.io/v1beta1",
        "kind: PeerAuthentication",
        "metadata:",
        "  name: default",
        "  namespace: foo",
        "spec:",
        "  selector:",
        "    matchLabels:",
        "      app: finance",
        "  mtls:",
        "    mode: STRICT",
        "  portLevelMtls:",
        "    8080:",
        "      mode: DISABLE",
      ),
      "pa.yaml",
    ) as [PeerAuthentication];
    expect(pa).toEqual({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "foo" },
      spec: { selector: { matchLabels: { app: "finance" } }, mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "DISABLE" } } },
    });
    const [mesh] = loadManifests(lines("apiVersion: security.istio.io/v1", "kind: PeerAuthentication", "metadata: {name: default, namespace: istio-system}", "spec: {mtls: {mode: PERMISSIVE}}"), "pa.yaml");
    expect(mesh).toMatchObject({ spec: { mtls: { mode: "PERMISSIVE" } } });
    // Unlike the networking kinds', a PeerAuthentication's spec may be left out: its workloads inherit.
    const [bare] = loadManifests(lines("apiVersion: security.istio.io/v1", "kind: PeerAuthentication", "metadata: {name: default, namespace: foo}"), "pa.yaml");
    expect(bare).toEqual({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "foo" } });
    expect(failure(lines("apiVersion: networking.istio.io/v1", "kind: Gateway", "metadata: {name: g}")).path).toBe("spec");
  });

  it("serves each kind at every version its CRD serves and refuses others, naming them", () => {
    for (const version of ["v1alpha3", "v1beta1", "v1"]) {
      const [g] = loadManifests(lines(`apiVersion: networking.istio.io/${version}`, "kind: Gateway", "metadata: {name: g}", "spec: {servers: [{port: {number: 80, protocol: HTTP}, hosts: ['*']}]}"), "gw.yaml");
      expect(g!.apiVersion).toBe("networking.istio.io/v1");
    }
    expect(place(lines("apiVersion: security.istio.io/v1alpha3", "kind: PeerAuthentication", "metadata: {name: p}", "spec: {}"))).toEqual([
      1,
      13,
      "apiVersion",
      'expected "security.istio.io/v1beta1" or "security.istio.io/v1" for kind PeerAuthentication, got "security.istio.io/v1alpha3"',
    ]);
    expect(failure(lines("apiVersion: networking.istio.io/v2", "kind: VirtualService", "metadata: {name: v}", "spec: {hosts: [a]}")).detail).toBe(
      'expected "networking.istio.io/v1alpha3" or "networking.istio.io/v1beta1" or "networking.istio.io/v1" for kind VirtualService, got "networking.istio.io/v2"',
    );
  });
});

describe("Istio's kinds refused as Istio refuses them, with file, line and column", () => {
  it("an unknown field, with the nearest name; a real Istio field mcsim does not model, named as such", () => {
    expect(place(dr("outlierDetection:", "  consecutive5xxError: 3"))).toEqual([8, 7, "spec.trafficPolicy.outlierDetection.consecutive5xxError", 'unknown field "consecutive5xxError" (did you mean "consecutive5xxErrors"?)']);
    expect(place(dr("loadBalancer:", "  consistentHash: {httpHeaderName: x-user}"))).toEqual([
      8,
      7,
      "spec.trafficPolicy.loadBalancer.consistentHash",
      '"consistentHash" is a Kubernetes field that mcsim does not model; remove it',
    ]);
  });

  it("a bad enum, with the nearest value", () => {
    expect(place(dr("loadBalancer: {simple: ROUND_ROBN}"))).toEqual([7, 28, "spec.trafficPolicy.loadBalancer.simple", 'expected one of UNSPECIFIED, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, got "ROUND_ROBN" (did you mean "ROUND_ROBIN"?)']);
    expect(place(lines("apiVersion: security.istio.io/v1", "kind: PeerAuthentication", "metadata: {name: p}", "spec:", "  mtls: {mode: strict}"))).toEqual([
      5,
      16,
      "spec.mtls.mode",
      'expected one of UNSET, DISABLE, PERMISSIVE, STRICT, got "strict" (did you mean "STRICT"?)',
    ]);
    expect(failure(lines("apiVersion: networking.istio.io/v1", "kind: ServiceEntry", "metadata: {name: x}", "spec:", "  hosts: [a.com]", "  resolution: DNS_ROUNDROBIN")).detail).toContain('(did you mean "DNS_ROUND_ROBIN"?)');
    expect(failure(lines("apiVersion: networking.istio.io/v1", "kind: ServiceEntry", "metadata: {name: x}", "spec:", "  hosts: [a.com]", "  ports: [{number: 80, name: h, protocol: HTTPP}]")).detail).toContain('did you mean "HTTP"?');
  });

  it("a bad duration: no unit, finer than a millisecond, below 1ms, or not a duration", () => {
    expect(place(dr("outlierDetection: {interval: 10}"))).toEqual([7, 34, "spec.trafficPolicy.outlierDetection.interval", expect.stringContaining("got 10 (add a unit: 10ms or 10s)")]);
    expect(place(dr("outlierDetection: {baseEjectionTime: 1.5ms}"))).toEqual([
      7,
      42,
      "spec.trafficPolicy.outlierDetection.baseEjectionTime",
      'expected a duration of at least 1ms in whole multiples of 1ms, got "1.5ms"',
    ]);
    expect(failure(dr("connectionPool: {tcp: {connectTimeout: 500us}}")).detail).toBe('expected a duration of at least 1ms in whole multiples of 1ms, got "500us"');
    const vs = (timeout: string) => lines("apiVersion: networking.istio.io/v1", "kind: VirtualService", "metadata: {name: v}", "spec:", "  hosts: [a]", "  http:", "  - route: [{destination: {host: a}}]", `    timeout: ${timeout}`);
    expect(place(vs("ten"))).toEqual([8, 14, "spec.http[0].timeout", expect.stringContaining('got "ten" (cannot read "ten")')]);
    expect(failure(vs("0s")).detail).toBe('expected a duration of at least 1ms in whole multiples of 1ms, got "0s"');
  });

  it("a string match with two kinds, a bad regex, a bad retry condition, an abort status out of range", () => {
    const vs = (...route: string[]) => lines("apiVersion: networking.istio.io/v1", "kind: VirtualService", "metadata: {name: v}", "spec:", "  hosts: [a]", "  http:", "  - route: [{destination: {host: a}}]", ...route.map((l) => `    ${l}`));
    expect(place(vs("match: [{uri: {prefix: /a, exact: /b}}]"))).toEqual([8, 32, "spec.http[0].match[0].uri.exact", "only one string match is allowed, but prefix and exact are both given"]);
    expect(failure(vs("match: [{uri: {regex: '(a'}}]")).path).toBe("spec.http[0].match[0].uri.regex");
    expect(failure(vs("retries: {attempts: 2, retryOn: '5xx,conect-failure'}")).detail).toContain('"conect-failure" is neither a retry condition nor a status code (did you mean "connect-failure"?)');
    expect(place(vs("fault: {abort: {httpStatus: 700}}"))).toEqual([8, 33, "spec.http[0].fault.abort.httpStatus", "expected a number from 200 to 599, got 700"]);
    expect(failure(vs("fault: {delay: {percentage: {value: 100}}}")).path).toBe("spec.http[0].fault.delay.fixedDelay");
    expect(failure(vs("fault: {delay: {fixedDelay: 1s, percentage: {value: 101}}}")).path).toBe("spec.http[0].fault.delay.percentage.value");
  });

  it("the webhook's locality checks: distribute with failover, weights not totalling 100, failover to its own region", () => {
    expect(place(dr("loadBalancer:", "  localityLbSetting:", "    distribute: [{from: r1/*, to: {r1/*: 100}}]", "    failover: [{from: r1, to: r2}]"))).toEqual([
      10,
      19,
      "spec.trafficPolicy.loadBalancer.localityLbSetting.failover",
      "can not simultaneously specify 'distribute' and 'failover'",
    ]);
    expect(failure(dr("loadBalancer: {localityLbSetting: {distribute: [{from: r1/*, to: {r1/*: 70, r2/*: 20}}]}}")).detail).toBe("the weights total 90; they must total 100");
    expect(failure(dr("loadBalancer: {localityLbSetting: {failover: [{from: r1, to: r1}]}}")).detail).toBe("locality lb failover settings must specify different regions");
    expect(failure(dr("loadBalancer: {localityLbSetting: {failover: [{from: r1, to: r2}], failoverPriority: [topology.kubernetes.io/zone]}}")).path).toBe(
      "spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority[0]",
    );
  });

  it("a DestinationRule's subsets: names are DNS labels and unique", () => {
    const rule = (...subsets: string[]) => lines("apiVersion: networking.istio.io/v1", "kind: DestinationRule", "metadata: {name: r}", "spec:", "  host: r", "  subsets:", ...subsets);
    expect(failure(rule("  - {name: v1}", "  - {name: v1}")).detail).toBe('duplicate subset name "v1": spec.subsets[0] has it too');
    expect(failure(rule("  - {name: V1}")).path).toBe("spec.subsets[0].name");
  });

  it("the webhook's ServiceEntry checks: STATIC endpoints are IPs, DNS without endpoints needs FQDNs, endpoint ports are declared", () => {
    const se = (...spec: string[]) => lines("apiVersion: networking.istio.io/v1", "kind: ServiceEntry", "metadata: {name: x}", "spec:", ...spec.map((l) => `  ${l}`));
    expect(place(se("hosts: [a.com]", "resolution: STATIC", "endpoints: [{address: a.example.com}]"))).toEqual([
      7,
      25,
      "spec.endpoints[0].address",
      'endpoint address "a.example.com" is not a valid IP address, as resolution STATIC needs',
    ]);
    expect(failure(se('hosts: ["*.wikipedia.org"]', "resolution: DNS")).detail).toBe("hosts must be FQDN if no endpoints are provided for resolution mode DNS");
    expect(failure(se("hosts: [a.com]", "ports: [{number: 80, name: http}]", "endpoints: [{address: 1.1.1.1, ports: {https: 8443}}]")).detail).toBe('endpoint port "https" is not defined by the service entry');
    expect(failure(se("hosts: [a.com]", "resolution: DNS", "addresses: [10.0.0.0/8]")).detail).toBe("CIDR addresses are allowed only for NONE/STATIC resolution types");
    expect(failure(se("hosts: [a.com]", "ports: [{number: 80, name: a}, {number: 80, name: b}]")).detail).toBe('duplicate port number "80": spec.ports[0] has it too');
    expect(failure(se("hosts: ['*']")).detail).toBe("a ServiceEntry may not have the host '*'");
    expect(failure(se("hosts: [a..com]")).path).toBe("spec.hosts[0]");
  });

  it("a Gateway: an HTTPS server needs TLS settings, a host's namespace must be a name", () => {
    const gw = (server: string) => lines("apiVersion: networking.istio.io/v1", "kind: Gateway", "metadata: {name: g}", "spec:", "  servers:", `  - ${server}`);
    expect(failure(gw("{port: {number: 443, protocol: HTTPS, name: https}, hosts: [a.com]}")).detail).toBe("server must have TLS settings for HTTPS/TLS protocols");
    expect(failure(gw("{port: {number: 80, protocol: HTTP}, hosts: [Bad_NS/a.com]}")).path).toBe("spec.servers[0].hosts[0]");
    expect(failure(lines("apiVersion: networking.istio.io/v1", "kind: Gateway", "metadata: {name: g}", "spec: {servers: []}")).detail).toBe("expected at least 1 item, got 0");
  });

  it("a PeerAuthentication: portLevelMtls needs a selector, and its keys are port numbers", () => {
    const pa = (...spec: string[]) => lines("apiVersion: security.istio.io/v1", "kind: PeerAuthentication", "metadata: {name: p}", "spec:", ...spec.map((l) => `  ${l}`));
    expect(place(pa("portLevelMtls: {8080: {mode: DISABLE}}"))).toEqual([5, 18, "spec.portLevelMtls", "portLevelMtls requires selector"]);
    expect(place(pa("selector: {matchLabels: {app: a}}", "portLevelMtls: {http: {mode: DISABLE}}"))).toEqual([6, 19, "spec.portLevelMtls[http]", 'expected a key that is a port number from 1 to 65535, got "http"']);
  });
});

describe("Secret as a manifest (Istio's remote secrets, mesh.md §1.2)", () => {
  /** What `istioctl create-remote-secret --name cluster2` prints: a kubeconfig in stringData. */
  const REMOTE_SECRET = lines(
    "# This file is autogenerated, do not edit.",
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    "  annotations:",
    "    networking.istio.io/cluster: cluster2",
    "  creationTimestamp: null",
    "  labels:",
    '    istio/multiCluster: "true"',
    "  name: istio-remote-secret-cluster2",
    "  namespace: istio-system",
    "stringData:",
    "  cluster2: |",
    "    apiVersion: v1",
    "    kind: Config",
    "    clusters:",
    "    - cluster: {server: 'https://cluster2.example:6443'}",
    "      name: cluster2",
    "---",
  );

  it("loads the remote secret istioctl writes, with its label, annotation and stringData; the type defaults to Opaque", () => {
    const [s] = loadManifests(REMOTE_SECRET, "remote.yaml") as [Secret];
    expect(s.metadata).toEqual({
      name: "istio-remote-secret-cluster2",
      namespace: "istio-system",
      labels: { "istio/multiCluster": "true" },
      annotations: { "networking.istio.io/cluster": "cluster2" },
    });
    expect(s.type).toBe("Opaque");
    expect(s.stringData!.cluster2).toContain("server: 'https://cluster2.example:6443'");
  });

  it("checks data is base64 and its keys are valid, with the place", () => {
    const secret = (...data: string[]) => lines("apiVersion: v1", "kind: Secret", "metadata: {name: s}", "data:", ...data.map((l) => `  ${l}`));
    expect(place(secret("token: not base64!"))).toEqual([5, 10, "data[token]", expect.stringContaining("illegal base64 data at input byte 3")]);
    expect(failure(secret("token: YWJj=")).detail).toContain("not padded to a multiple of 4");
    expect(loadManifests(secret("token: YWJj", "wrapped: |", "  YWJj", "  ZGVm"), "s.yaml")).toMatchObject([{ data: { token: "YWJj" } }]);
    expect(failure(secret("bad/key: YWJj")).path).toBe("data[bad/key]");
  });

  it("requires the keys of the Secret's type, from data or stringData", () => {
    const tls = (body: string) => lines("apiVersion: v1", "kind: Secret", "metadata: {name: s}", "type: kubernetes.io/tls", body);
    expect(failure(tls("data: {tls.crt: YWJj}")).detail).toBe('a Secret of type kubernetes.io/tls needs the key "tls.key"');
    expect(loadManifests(lines("apiVersion: v1", "kind: Secret", "metadata: {name: s}", "type: kubernetes.io/tls", "data: {tls.crt: YWJj}", "stringData: {tls.key: k}"), "s.yaml")).toHaveLength(1);
    expect(failure(lines("apiVersion: v1", "kind: Secret", "metadata: {name: s}", "type: kubernetes.io/service-account-token")).path).toBe("metadata.annotations");
    // A type that is a property name of every object is an ordinary type.
    expect(loadManifests(lines("apiVersion: v1", "kind: Secret", "metadata: {name: s}", "type: constructor"), "s.yaml")).toHaveLength(1);
  });
});

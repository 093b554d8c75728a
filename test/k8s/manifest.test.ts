import { readFileSync } from "node:fs";
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { KIND_SCHEMAS, ManifestError, loadManifests } from "../../src/k8s/manifest.js";
import { API_VERSIONS, type ConfigMap, type Deployment, type EndpointSlice, type K8sObject, type Kind, type Pod, type Service, type StatefulSet } from "../../src/k8s/objects.js";
import { didYouMean, isIPv4, isIPv6, type Schema } from "../../src/k8s/schema.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const loadFixture = (name: string) => loadManifests(fixture(name), `fixtures/${name}`);

/** A YAML text from its lines, so that a test reads its line numbers off the list. */
const lines = (...text: string[]) => `${text.join("\n")}\n`;

/** The ManifestError loading `text` throws (anything else fails the test). */
function failure(text: string, file = "app.yaml"): ManifestError {
  let result: unknown;
  try {
    result = loadManifests(text, file);
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error(`expected a ManifestError, got ${JSON.stringify(result)}`);
}

/** Asserts the error's place and its whole message. */
function expectFailure(text: string, want: { document?: number; line: number; column: number; path: string; message: string }): void {
  const e = failure(text);
  const where = `app.yaml:${want.line}:${want.column} (document ${want.document ?? 1}): `;
  expect({ document: e.document, line: e.line, column: e.column, path: e.path, message: e.message }).toEqual({
    document: want.document ?? 1,
    line: want.line,
    column: want.column,
    path: want.path,
    message: where + (want.path ? `${want.path}: ` : "") + want.message,
  });
  expect(e.file).toBe("app.yaml");
}

const SERVICE_HEAD = ["apiVersion: v1", "kind: Service", "metadata:", "  name: web"];
const DEPLOYMENT_HEAD = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: web"];

describe("real-world manifests load", () => {
  it("a Deployment and its Service, as people write them", () => {
    const [deployment, service] = loadFixture("deployment-service.yaml") as [Deployment, Service];
    expect(deployment.kind).toBe("Deployment");
    expect(deployment.metadata).toEqual({
      name: "web",
      namespace: "shop",
      labels: { "app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop" },
    });
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.metadata?.labels).toEqual({ "app.kubernetes.io/name": "web", version: "1.0" });
    const [container] = deployment.spec.template.spec.containers;
    expect(container).toEqual({
      name: "web",
      image: "nginx:1.27",
      imagePullPolicy: "IfNotPresent",
      ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      env: [{ name: "LISTEN_PORT", value: "8080" }],
      // Quantities are strings, as the API writes them; `cpu: 1` was a YAML number.
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } },
      readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
    });
    expect(deployment.spec.template.spec.dnsPolicy).toBe("ClusterFirst");
    expect(service).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        type: "ClusterIP",
        selector: { "app.kubernetes.io/name": "web" },
        ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "http" }],
      },
    });
  });

  it("a headless Service and its StatefulSet", () => {
    const [service, set] = loadFixture("statefulset-headless.yaml") as [Service, StatefulSet];
    expect(service.spec.clusterIP).toBe("None");
    expect(service.spec.ports).toEqual([{ name: "postgres", protocol: "TCP", port: 5432, targetPort: 5432 }]);
    expect(set.spec).toEqual({
      replicas: 3,
      serviceName: "db",
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: {
          containers: [{ name: "postgres", image: "postgres:16", ports: [{ containerPort: 5432, name: "postgres", protocol: "TCP" }] }],
          dnsPolicy: "ClusterFirst",
        },
      },
    });
    expect(set.metadata.namespace).toBe("default");
  });

  it("a selector-less Service with a hand-written EndpointSlice", () => {
    const [service, slice] = loadFixture("selectorless-endpointslice.yaml") as [Service, EndpointSlice];
    expect(service.spec.selector).toBeUndefined();
    expect(slice).toEqual({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "legacy-db-1",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "legacy-db", "endpointslice.kubernetes.io/managed-by": "staff" },
      },
      addressType: "IPv4",
      ports: [{ name: "mysql", protocol: "TCP", port: 3306 }],
      endpoints: [
        { addresses: ["10.1.2.3"], conditions: { ready: true }, hostname: "db-0", zone: "us-east-1a" },
        { addresses: ["10.1.2.4"], conditions: { ready: false, serving: true, terminating: true } },
      ],
    });
  });

  it("an ExternalName Service needs no selector and no ports", () => {
    expect(loadFixture("externalname.yaml")).toEqual([
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "payments", namespace: "billing" },
        spec: { type: "ExternalName", externalName: "payments.example.com" },
      },
    ]);
  });

  it("a Pod with a pinned IP and a Ready condition", () => {
    const [pod] = loadFixture("pinned-pod.yaml") as [Pod];
    expect(pod.status).toEqual({
      phase: "Running",
      hostIP: "192.168.0.10",
      podIP: "10.244.1.7",
      podIPs: [{ ip: "10.244.1.7" }, { ip: "fd00:10:244:1::7" }],
      conditions: [
        { type: "Ready", status: "True", lastTransitionTime: "2024-05-01T12:00:00Z" },
        { type: "ContainersReady", status: "True" },
      ],
    });
    expect(pod.spec.hostname).toBe("client");
    expect(pod.spec.subdomain).toBe("clients");
    expect(pod.spec.dnsConfig).toEqual({ options: [{ name: "ndots", value: "2" }] });
  });

  it("a dual-stack Service with ipFamilies and clusterIPs", () => {
    const [service] = loadFixture("dual-stack.yaml") as [Service];
    expect(service.spec).toEqual({
      type: "ClusterIP",
      ipFamilyPolicy: "RequireDualStack",
      ipFamilies: ["IPv6", "IPv4"],
      clusterIP: "fd00:10:96::1f",
      clusterIPs: ["fd00:10:96::1f", "10.96.0.31"],
      selector: { app: "api" },
      ports: [
        { name: "grpc", port: 9090, protocol: "TCP", appProtocol: "kubernetes.io/h2c", targetPort: 9090 },
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
      ],
    });
  });

  it("a kind: List is expanded into its items", () => {
    const objects = loadFixture("list.yaml");
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`)).toEqual(["Namespace//shop", "ConfigMap/kube-system/coredns"]);
    expect((objects[1] as { data: Record<string, string> }).data.Corefile).toBe(".:53 {\n    kubernetes cluster.local\n}\n");
  });

  it("skips empty documents and comment-only documents", () => {
    const text = lines("---", "# nothing here", "---", "---", ...["apiVersion: v1", "kind: Namespace", "metadata: {name: a}"], "---", "");
    expect(loadManifests(text, "x.yaml")).toEqual([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } }]);
    expect(loadManifests("", "x.yaml")).toEqual([]);
    expect(loadManifests("# only a comment\n", "x.yaml")).toEqual([]);
  });

  it("expands anchors, aliases and merge keys", () => {
    const text = lines(
      "apiVersion: v1",
      "kind: Service",
      "metadata:",
      "  name: web",
      "  labels: &labels {app: web, tier: front}",
      "spec:",
      "  selector: *labels",
      "  ports:",
      "    - &http {name: http, port: 80}",
      "    - <<: *http",
      "      name: alt",
      "      port: 8080",
    );
    const [service] = loadManifests(text, "x.yaml") as [Service];
    expect(service.spec.selector).toEqual({ app: "web", tier: "front" });
    expect(service.spec.ports).toEqual([
      { name: "http", protocol: "TCP", port: 80, targetPort: 80 },
      { name: "alt", protocol: "TCP", port: 8080, targetPort: 8080 },
    ]);
  });

  it("reads YAML as kubectl does: yes is a boolean, 2024-01-01 and 1:20 are strings", () => {
    const text = lines(...SERVICE_HEAD, "  annotations: {when: 2024-01-01, at: 1:20}", "spec:", "  publishNotReadyAddresses: yes", "  ports: [{port: 80}]");
    const [service] = loadManifests(text, "x.yaml") as [Service];
    expect(service.metadata.annotations).toEqual({ when: "2024-01-01", at: "1:20" });
    expect(service.spec.publishNotReadyAddresses).toBe(true);
  });
});

describe("defaults, as the API server applies them", () => {
  it("fills namespace, Service type, protocol, targetPort, replicas and dnsPolicy, and assigns nothing else", () => {
    const text = lines(
      ...SERVICE_HEAD,
      "spec:",
      "  selector: {app: web}",
      "  ports: [{port: 80}, {name: b, port: 81, protocol: UDP, targetPort: 8081}]",
      "---",
      ...DEPLOYMENT_HEAD,
      "spec:",
      "  selector: {matchLabels: {app: web}}",
      "  template:",
      "    metadata: {labels: {app: web}}",
      "    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}",
      "---",
      "apiVersion: v1",
      "kind: Pod",
      "metadata: {name: p, namespace: other}",
      "spec: {containers: [{name: c, image: busybox}]}",
      "---",
      "apiVersion: discovery.k8s.io/v1",
      "kind: EndpointSlice",
      "metadata: {name: s}",
      "addressType: IPv6",
      "ports: [{port: 53, name: dns}]",
    );
    // The first port has no name: legal for a one-port Service only, so this is two documents' worth.
    const fixed = text.replace("[{port: 80}, ", "[{name: a, port: 80}, ");
    expect(loadManifests(fixed, "x.yaml")).toEqual([
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "default" },
        spec: {
          type: "ClusterIP",
          selector: { app: "web" },
          ports: [
            { name: "a", protocol: "TCP", port: 80, targetPort: 80 },
            { name: "b", protocol: "UDP", port: 81, targetPort: 8081 },
          ],
        },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "default" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80, protocol: "TCP" }] }], dnsPolicy: "ClusterFirst" },
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "other" },
        spec: { containers: [{ name: "c", image: "busybox" }], dnsPolicy: "ClusterFirst" },
      },
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "s", namespace: "default" },
        addressType: "IPv6",
        endpoints: [],
        ports: [{ port: 53, name: "dns", protocol: "TCP" }],
      },
    ]);
  });

  it("drops a namespace given to a cluster-scoped Namespace, as the API server does", () => {
    const text = lines("apiVersion: v1", "kind: Namespace", "metadata: {name: shop, namespace: default}");
    expect(loadManifests(text, "x.yaml")).toEqual([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } }]);
  });

  it("reads `field: null` and `field:` as unset", () => {
    const text = lines(...SERVICE_HEAD, "  labels:", "spec:", "  type: null", "  ports: [{port: 80, targetPort: ~}]");
    const [service] = loadManifests(text, "x.yaml") as [Service];
    expect(service.metadata.labels).toBeUndefined();
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.ports![0]!.targetPort).toBe(80);
  });

  it("accepts generateName in place of name", () => {
    const text = lines("apiVersion: v1", "kind: Pod", "metadata: {generateName: client-}", "spec: {containers: [{name: c, image: busybox}]}");
    const [pod] = loadManifests(text, "x.yaml");
    expect(pod!.metadata).toEqual({ generateName: "client-", namespace: "default" });
  });
});

describe("errors name the file, document, line, column and field", () => {
  it("an unknown field, with a suggestion when a known one is close", () => {
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "    - port: 80", "      protocl: UDP"), {
      line: 8,
      column: 7,
      path: "spec.ports[0].protocl",
      message: 'unknown field "protocl" (did you mean "protocol"?)',
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "    - port: 80", "      prot: UDP"), {
      line: 8,
      column: 7,
      path: "spec.ports[0].prot",
      message: 'unknown field "prot" (did you mean "port"?)',
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports: [{port: 80, targetport: 8080}]"), {
      line: 6,
      column: 22,
      path: "spec.ports[0].targetport",
      message: 'unknown field "targetport" (did you mean "targetPort"?)',
    });
    expectFailure(lines(...SERVICE_HEAD, "  lables: {app: web}"), {
      line: 5,
      column: 3,
      path: "metadata.lables",
      message: 'unknown field "lables" (did you mean "labels"?)',
    });
  });

  it("an unknown field with nothing close lists the known fields", () => {
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "    - port: 80", "      weight: 3"), {
      line: 8,
      column: 7,
      path: "spec.ports[0].weight",
      message: 'unknown field "weight"; the fields here are name, protocol, port, targetPort, nodePort, appProtocol',
    });
  });

  it("a real Kubernetes field that mcsim does not model says so", () => {
    expectFailure(
      lines(...DEPLOYMENT_HEAD, "spec:", "  selector: {matchLabels: {app: web}}", "  template:", "    metadata: {labels: {app: web}}", "    spec:", "      volumes: []"),
      {
        line: 10,
        column: 7,
        path: "spec.template.spec.volumes",
        message: '"volumes" is a Kubernetes field that mcsim does not model; remove it',
      },
    );
  });

  it("a wrong type, with how to write it", () => {
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "    - name: web", "      port: http"), {
      line: 8,
      column: 13,
      path: "spec.ports[0].port",
      message: 'expected a number from 1 to 65535, got "http"',
    });
    expectFailure(lines(...DEPLOYMENT_HEAD, "spec:", '  replicas: "3"'), {
      line: 6,
      column: 13,
      path: "spec.replicas",
      message: 'expected a whole number of at least 0, got "3" (write 3 without quotes)',
    });
    // The classic: YAML 1.1 (kubectl's) reads yes as a boolean, and labels are strings.
    expectFailure(lines(...SERVICE_HEAD, "  labels:", "    canary: yes"), {
      line: 6,
      column: 13,
      path: "metadata.labels[canary]",
      message: `expected a label value (empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit), got yes (kubectl's YAML reads yes as a boolean; write "yes" for the string)`,
    });
    expectFailure(
      lines("apiVersion: v1", "kind: Pod", "metadata: {name: p}", "spec:", "  containers:", "  - name: c", "    image: busybox", "    env:", "    - {name: PORT, value: 8080}"),
      {
        line: 9,
        column: 27,
        path: "spec.containers[0].env[0].value",
        message: 'expected a string, got 8080 (write "8080" in quotes for a string)',
      },
    );
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "    port: 80"), {
      line: 7,
      column: 5,
      path: "spec.ports",
      message: "expected a list, got a map (start each item with '- ')",
    });
  });

  it("a missing required field is reported where its parent is named", () => {
    expectFailure(lines(...DEPLOYMENT_HEAD, "spec:", "  replicas: 2", "  template:", "    spec: {containers: [{name: a, image: b}]}"), {
      line: 5,
      column: 1,
      path: "spec.selector",
      message: "required field missing",
    });
    expectFailure(lines("apiVersion: v1", "kind: Pod", "metadata: {name: p}", "spec:", "  containers:", "  - name: c", "    ports: [{containerPort: 80}]"), {
      line: 6,
      column: 5,
      path: "spec.containers[0].image",
      message: "required field missing",
    });
    expectFailure(lines("apiVersion: v1", "kind: Pod", "metadata:", "  labels: {app: a}", "spec: {containers: [{name: c, image: i}]}"), {
      line: 3,
      column: 1,
      path: "metadata.name",
      message: "required when generateName is not given",
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "    - name: web", "      port:"), {
      line: 7,
      column: 7,
      path: "spec.ports[0].port",
      message: "required field missing",
    });
    expectFailure(lines("kind: Service", "metadata: {name: web}"), {
      line: 1,
      column: 1,
      path: "apiVersion",
      message: "required field missing (Service is served at apiVersion v1)",
    });
  });

  it("a value outside its enumeration, with a suggestion", () => {
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  type: Clusterip", "  ports: [{port: 80}]"), {
      line: 6,
      column: 9,
      path: "spec.type",
      message: 'expected one of ClusterIP, NodePort, LoadBalancer, ExternalName, got "Clusterip" (did you mean "ClusterIP"?)',
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports: [{port: 53, protocol: dns}]"), {
      line: 6,
      column: 32,
      path: "spec.ports[0].protocol",
      message: 'expected one of TCP, UDP, SCTP, got "dns"',
    });
    expectFailure(lines("apiVersion: v1", "kind: Pod", "metadata: {name: p}", "spec:", "  dnsPolicy: clusterFirst", "  containers: [{name: c, image: i}]"), {
      line: 5,
      column: 14,
      path: "spec.dnsPolicy",
      message: 'expected one of ClusterFirst, ClusterFirstWithHostNet, Default, None, got "clusterFirst" (did you mean "ClusterFirst"?)',
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ipFamilies: [IPv4, ipv7]", "  ports: [{port: 80}]"), {
      line: 6,
      column: 22,
      path: "spec.ipFamilies[1]",
      message: 'expected one of IPv4, IPv6, got "ipv7" (did you mean "IPv4"?)',
    });
    expectFailure(
      lines(...DEPLOYMENT_HEAD, "spec:", "  selector:", "    matchExpressions: [{key: app, operator: Equals, values: [web]}]"),
      {
        line: 7,
        column: 45,
        path: "spec.selector.matchExpressions[0].operator",
        message: 'expected one of In, NotIn, Exists, DoesNotExist, got "Equals"',
      },
    );
    expectFailure(lines("apiVersion: discovery.k8s.io/v1", "kind: EndpointSlice", "metadata: {name: s}", "addressType: ipv4"), {
      line: 4,
      column: 14,
      path: "addressType",
      message: 'expected one of IPv4, IPv6, FQDN, got "ipv4" (did you mean "IPv4"?)',
    });
  });

  it("a port out of range", () => {
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports: [{port: 80, targetPort: 70000}]"), {
      line: 6,
      column: 34,
      path: "spec.ports[0].targetPort",
      message: "expected a port number from 1 to 65535 or a port name, got 70000",
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports: [{port: 0}]"), {
      line: 6,
      column: 18,
      path: "spec.ports[0].port",
      message: "expected a number from 1 to 65535, got 0",
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", '  ports: [{port: 80, targetPort: "8080"}]'), {
      line: 6,
      column: 34,
      path: "spec.ports[0].targetPort",
      message: 'expected a port number from 1 to 65535 or a port name, got "8080" (write 8080 without quotes)',
    });
  });

  it("a bad name, by the rule of each kind", () => {
    expectFailure(lines("apiVersion: v1", "kind: Service", "metadata:", "  name: My_Service"), {
      line: 4,
      column: 9,
      path: "metadata.name",
      message:
        "expected a DNS-1035 label (at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit), got \"My_Service\"",
    });
    // A Service name must start with a letter; a Deployment's need not.
    expectFailure(lines("apiVersion: v1", "kind: Service", "metadata:", "  name: 1web"), {
      line: 4,
      column: 9,
      path: "metadata.name",
      message: "expected a DNS-1035 label (at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit), got \"1web\"",
    });
    const deployment = lines("apiVersion: apps/v1", "kind: Deployment", "metadata: {name: 1web.v2}", "spec:", "  selector: {matchLabels: {a: b}}", "  template:", "    metadata: {labels: {a: b}}", "    spec: {containers: [{name: c, image: i}]}");
    expect(loadManifests(deployment, "x.yaml")[0]!.metadata.name).toBe("1web.v2");
    expectFailure(lines("apiVersion: v1", "kind: Namespace", "metadata: {name: team.a}"), {
      line: 3,
      column: 18,
      path: "metadata.name",
      message: "expected a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit), got \"team.a\"",
    });
    expectFailure(lines("apiVersion: v1", "kind: ConfigMap", `metadata: {name: ${"a".repeat(254)}}`), {
      line: 3,
      column: 18,
      path: "metadata.name",
      message: `expected a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', each part between dots starting and ending with a letter or digit), got "${"a".repeat(77)}..." (it is 254 characters long; the limit is 253)`,
    });
  });

  it("bad label keys and values", () => {
    expectFailure(lines(...SERVICE_HEAD, "  labels: {/app: web}"), {
      line: 5,
      column: 12,
      path: "metadata.labels[/app]",
      message:
        "expected a key that is a qualified name (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit), got \"/app\" (the prefix before '/' is empty)",
    });
    expectFailure(lines(...SERVICE_HEAD, "  labels: {app: -web}"), {
      line: 5,
      column: 17,
      path: "metadata.labels[app]",
      message: "expected a label value (empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit), got \"-web\"",
    });
  });

  it("a wrong apiVersion for the kind says which is expected", () => {
    expectFailure(lines("apiVersion: extensions/v1beta1", "kind: Deployment", "metadata: {name: web}"), {
      line: 1,
      column: 13,
      path: "apiVersion",
      message: 'expected "apps/v1" for kind Deployment, got "extensions/v1beta1"',
    });
    expectFailure(lines("apiVersion: apps/v1", "kind: Service", "metadata: {name: web}"), {
      line: 1,
      column: 13,
      path: "apiVersion",
      message: 'expected "v1" for kind Service, got "apps/v1"',
    });
  });

  it("an unknown kind is named, with the kinds mcsim knows", () => {
    expectFailure(lines("apiVersion: networking.k8s.io/v1", "kind: Ingress", "metadata: {name: web}"), {
      line: 2,
      column: 7,
      path: "kind",
      message: 'unknown kind "Ingress"; mcsim knows ClusterProperty, ConfigMap, Deployment, DestinationRule, EndpointSlice, Gateway, Link, List, Namespace, PeerAuthentication, Pod, Secret, Service, ServiceEntry, ServiceExport, ServiceImport, StatefulSet, TrafficSplit, VirtualService',
    });
    expectFailure(lines("apiVersion: v1", "kind: Sevice"), {
      line: 2,
      column: 7,
      path: "kind",
      message: 'unknown kind "Sevice" (did you mean "Service"?); mcsim knows ClusterProperty, ConfigMap, Deployment, DestinationRule, EndpointSlice, Gateway, Link, List, Namespace, PeerAuthentication, Pod, Secret, Service, ServiceEntry, ServiceExport, ServiceImport, StatefulSet, TrafficSplit, VirtualService',
    });
    expectFailure(lines("apiVersion: v1", "metadata: {name: web}"), { line: 1, column: 1, path: "kind", message: "required field missing" });
  });

  it("a YAML syntax error carries the parser's position", () => {
    expectFailure(lines(...SERVICE_HEAD, "spec:", '  externalName: "example.com'), {
      line: 7,
      column: 1,
      path: "",
      message: "YAML syntax error: Missing closing \"quote",
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "\tports: []"), {
      line: 6,
      column: 1,
      path: "",
      message: "YAML syntax error: Tabs are not allowed as indentation",
    });
    expectFailure(lines(...SERVICE_HEAD, "  name: again"), {
      line: 5,
      column: 3,
      path: "metadata.name",
      message: 'duplicate key "name"',
    });
    // Keys are compared as kubectl's JSON would spell them: 80 and "80" are the same key.
    expectFailure(lines("apiVersion: v1", "kind: ConfigMap", "metadata: {name: c}", 'data: {80: a, "80": b}'), {
      line: 4,
      column: 15,
      path: "data[80]",
      message: 'duplicate key "80"',
    });
  });

  it("a Deployment's selector must match its template's labels", () => {
    expectFailure(
      lines(...DEPLOYMENT_HEAD, "spec:", "  selector:", "    matchLabels: {app: web}", "  template:", "    metadata:", "      labels: {app: frontend}", "    spec:", "      containers: [{name: c, image: i}]"),
      {
        line: 10,
        column: 15,
        path: "spec.template.metadata.labels",
        message: "`selector` does not match template `labels`",
      },
    );
    expectFailure(
      lines(...DEPLOYMENT_HEAD, "spec:", "  selector:", "    matchExpressions: [{key: tier, operator: In, values: [web]}]", "  template:", "    spec:", "      containers: [{name: c, image: i}]"),
      {
        line: 8,
        column: 3,
        path: "spec.template.metadata.labels",
        message: "`selector` does not match template `labels`",
      },
    );
    expectFailure(lines(...DEPLOYMENT_HEAD, "spec:", "  selector: {}", "  template:", "    spec:", "      containers: [{name: c, image: i}]"), {
      line: 6,
      column: 13,
      path: "spec.selector",
      message: "an empty selector is invalid for a Deployment: it would select every pod",
    });
  });

  it("a StatefulSet needs serviceName", () => {
    expectFailure(
      lines("apiVersion: apps/v1", "kind: StatefulSet", "metadata: {name: db}", "spec:", "  selector: {matchLabels: {app: db}}", "  template:", "    metadata: {labels: {app: db}}", "    spec: {containers: [{name: c, image: i}]}"),
      { line: 4, column: 1, path: "spec.serviceName", message: "required field missing" },
    );
  });

  it("Service rules: clusterIP, clusterIPs, ExternalName, ports", () => {
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  clusterIP: 10.96.0.10", "  clusterIPs: [10.96.0.11]", "  ports: [{port: 80}]"), {
      line: 7,
      column: 16,
      path: "spec.clusterIPs[0]",
      message: 'must equal clusterIP ("10.96.0.10")',
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  clusterIP: 10.96.0.300", "  ports: [{port: 80}]"), {
      line: 6,
      column: 14,
      path: "spec.clusterIP",
      message: 'expected None, empty, or an IP address (e.g. 10.96.0.10 or fd00:10:96::a), got "10.96.0.300"',
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  clusterIPs: [10.96.0.1, 10.96.0.2]", "  ports: [{port: 80}]"), {
      line: 6,
      column: 27,
      path: "spec.clusterIPs[1]",
      message: "two addresses must be one IPv4 and one IPv6 (dual-stack); both are IPv4",
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  type: ExternalName"), {
      line: 5,
      column: 1,
      path: "spec.externalName",
      message: "required when type is ExternalName",
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  selector: {app: web}"), {
      line: 5,
      column: 1,
      path: "spec.ports",
      message: "required unless clusterIP is None (headless) or type is ExternalName",
    });
    expect(loadManifests(lines(...SERVICE_HEAD, "spec:", "  clusterIP: None", "  selector: {app: web}"), "x.yaml")).toHaveLength(1);
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "  - {name: http, port: 80}", "  - {port: 443}"), {
      line: 8,
      column: 5,
      path: "spec.ports[1].name",
      message: "required when a Service has more than one port",
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports:", "  - {name: http, port: 80}", "  - {name: http, port: 443}"), {
      line: 8,
      column: 5,
      path: "spec.ports[1]",
      message: 'duplicate port name "http": spec.ports[0] has it too',
    });
    expectFailure(lines(...SERVICE_HEAD, "spec:", "  ports: [{port: 80, nodePort: 30080}]"), {
      line: 6,
      column: 32,
      path: "spec.ports[0].nodePort",
      message: "may not be set when type is ClusterIP",
    });
  });

  it("Pod rules: dnsPolicy None needs nameservers; podIPs[0] is podIP", () => {
    expectFailure(lines("apiVersion: v1", "kind: Pod", "metadata: {name: p}", "spec:", "  dnsPolicy: None", "  containers: [{name: c, image: i}]"), {
      line: 4,
      column: 1,
      path: "spec.dnsConfig.nameservers",
      message: "at least one nameserver is required when dnsPolicy is None",
    });
    expectFailure(
      lines("apiVersion: v1", "kind: Pod", "metadata: {name: p}", "spec: {containers: [{name: c, image: i}]}", "status:", "  podIP: 10.0.0.1", "  podIPs: [{ip: 10.0.0.2}]"),
      { line: 7, column: 17, path: "status.podIPs[0].ip", message: 'must equal podIP ("10.0.0.1")' },
    );
  });

  it("EndpointSlice addresses must be of its addressType", () => {
    expectFailure(
      lines("apiVersion: discovery.k8s.io/v1", "kind: EndpointSlice", "metadata: {name: s}", "addressType: IPv4", "endpoints:", "- addresses: [10.0.0.1, fd00::1]"),
      {
        line: 6,
        column: 25,
        path: "endpoints[0].addresses[1]",
        message: 'expected an IPv4 address (e.g. 10.0.0.1) since addressType is IPv4, got "fd00::1"',
      },
    );
  });

  it("counts documents from 1 and names the List item", () => {
    const text = lines("apiVersion: v1", "kind: Namespace", "metadata: {name: a}", "---", "apiVersion: v1", "kind: List", "items:", "- {apiVersion: v1, kind: Namespace, metadata: {name: b}}", "- {apiVersion: v1, kind: Namespace, metadata: {name: B}}");
    expectFailure(text, {
      document: 2,
      line: 9,
      column: 54,
      path: "items[1].metadata.name",
      message: "expected a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit), got \"B\"",
    });
  });

  it("names that are also JavaScript property names are ordinary names", () => {
    expectFailure(lines(...SERVICE_HEAD, "  constructor: x"), {
      line: 5,
      column: 3,
      path: "metadata.constructor",
      message: 'unknown field "constructor"; the fields here are name, namespace, labels, annotations, uid, resourceVersion, creationTimestamp, ownerReferences, generateName',
    });
    expectFailure(lines("apiVersion: v1", "kind: toString"), {
      line: 2,
      column: 7,
      path: "kind",
      message: 'unknown kind "toString"; mcsim knows ClusterProperty, ConfigMap, Deployment, DestinationRule, EndpointSlice, Gateway, Link, List, Namespace, PeerAuthentication, Pod, Secret, Service, ServiceEntry, ServiceExport, ServiceImport, StatefulSet, TrafficSplit, VirtualService',
    });
    const [cm] = loadManifests(lines("apiVersion: v1", "kind: ConfigMap", "metadata: {name: c}", "data: {__proto__: x, constructor: v}"), "x.yaml") as [ConfigMap];
    expect(Object.keys(cm.data!)).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(cm.data)).toBe(Object.prototype);
  });

  it("YAML values with no JSON form are refused", () => {
    expectFailure(lines("apiVersion: v1", "kind: ConfigMap", "metadata: {name: c}", "data: {key: !!binary aGk=}"), {
      line: 4,
      column: 22,
      path: "data.key",
      message: 'unsupported YAML value "aGk=" (tagged tag:yaml.org,2002:binary); write a plain string, number or boolean',
    });
    expectFailure(lines("apiVersion: v1", "kind: ConfigMap", "metadata: {name: c}", "data: {[a]: b}"), {
      line: 4,
      column: 8,
      path: "data",
      message: "a map key must be a string, not a list",
    });
  });

  it("a document that is not an object", () => {
    expectFailure(lines("- web", "- api"), {
      line: 1,
      column: 1,
      path: "",
      message: "expected a Kubernetes object (a map with apiVersion, kind and metadata), got a list",
    });
  });

  it("aliases that loop or explode are errors, not hangs", () => {
    expectFailure(lines("apiVersion: v1", "kind: Namespace", "metadata: &m", "  name: a", "  labels: *m"), {
      line: 5,
      column: 11,
      path: "metadata.labels",
      message: "alias *m refers to a value that contains it",
    });
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const e = failure(lines(...bomb));
    expect(e.detail).toBe("aliases expand to more than 10000 values");
    // Without aliases, a large file has no such bound (6000 keys and 6000 values).
    const big = lines("apiVersion: v1", "kind: ConfigMap", "metadata: {name: big}", "data:", ...Array.from({ length: 6000 }, (_, i) => `  k${i}: v`));
    expect(Object.keys((loadManifests(big, "x.yaml")[0] as ConfigMap).data!)).toHaveLength(6000);
  });

  it("ManifestError has the documented message shape", () => {
    const e = failure(lines("# app", "apiVersion: v1", "kind: Namespace", "metadata: {name: a}", "---", ...SERVICE_HEAD, "spec:", "  ports:", "    - port: http"), "manifests/app.yaml");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("ManifestError");
    expect(e.message).toBe('manifests/app.yaml:12:13 (document 2): spec.ports[0].port: expected a number from 1 to 65535, got "http"');
  });
});

describe("helpers", () => {
  it("didYouMean suggests close names only", () => {
    expect(didYouMean("contianerPort", ["name", "containerPort", "protocol"])).toBe("containerPort");
    expect(didYouMean("SELECTOR", ["selector"])).toBe("selector");
    expect(didYouMean("xyz", ["name", "port"])).toBeUndefined();
  });

  it("isIPv6 accepts every IPv6 form and isIPv4 every IPv4 address (property)", () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.ipV4(), (v6, v4) => {
        expect(isIPv6(v6)).toBe(true);
        expect(isIPv4(v6)).toBe(false);
        expect(isIPv4(v4)).toBe(true);
        expect(isIPv6(v4)).toBe(false);
      }),
      { numRuns: 300 },
    );
    for (const bad of ["1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", ":::", "1:2:3:4:5:6:7", "::1.2.3"]) expect(isIPv6(bad)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Loading either returns objects or throws a ManifestError: nothing else escapes. */
function loadsOrManifestError(text: string): void {
  try {
    const objects = loadManifests(text, "gen.yaml");
    expect(Array.isArray(objects)).toBe(true);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.document).toBeGreaterThanOrEqual(1);
  }
}

/** Every field name the schemas know, so that random objects often use real ones. */
const fieldNames = (schema: Schema): string[] => {
  if (schema.type === "object") return Object.entries(schema.fields).flatMap(([k, v]) => [k, ...fieldNames(v)]);
  if (schema.type === "array") return fieldNames(schema.items);
  return [];
};
const FIELD_NAMES = [...new Set(Object.values(KIND_SCHEMAS).flatMap(fieldNames))];

const WEIRD_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "<<", "", "app.kubernetes.io/name"];

/** YAML-ish values: scalars of every kind YAML 1.1 reads, and nested maps and lists with field names. */
const anyValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, false, 0, 1, 80, -1, 65536, 1.5, "", "yes", "None", "TCP", "ClusterIP", "10.0.0.1", "fd00::1", "web", "In"),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FIELD_NAMES, ...WEIRD_KEYS), fc.string({ maxLength: 8 })), tie("value")), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
  ),
})).value;

const KNOWN_KINDS = Object.keys(KIND_SCHEMAS) as Kind[];
const OTHER_KINDS = ["List", "Ingress", "constructor", "__proto__", ""];
const VERSIONS = ["v1", "apps/v1", "discovery.k8s.io/v1", "extensions/v1beta1", ""];

/**
 * Objects with random fields under a kind and apiVersion that mostly agree, so that most get past
 * the kind check into the schemas.
 */
const randomObject = fc
  .record({
    kind: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KNOWN_KINDS) }, fc.constantFrom(...OTHER_KINDS), anyValue),
    // null: the kind's own apiVersion.
    apiVersion: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, fc.constantFrom(...VERSIONS), anyValue),
    rest: fc.record({ metadata: anyValue, spec: anyValue, status: anyValue, items: fc.array(anyValue, { maxLength: 3 }), data: anyValue, addressType: anyValue, endpoints: anyValue }, { requiredKeys: [] }),
  })
  .map(({ kind, apiVersion, rest }) => ({
    apiVersion: apiVersion !== null ? apiVersion : typeof kind === "string" && Object.hasOwn(API_VERSIONS, kind) ? API_VERSIONS[kind as Kind] : "v1",
    kind,
    ...rest,
  }));

// --- Valid objects, with every default spelt out, for the round trip.

const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,8}[a-z0-9])?$/);
/** Strings that YAML 1.1 reads as something else unless quoted. */
const TRICKY = ["yes", "no", "on", "off", "y", "n", "true", "0777", "1e3", "1_000", "null", "1.0", "0x1F", "2024-01-01"];
const labelValue = fc.oneof(dnsLabel, fc.constantFrom("", ...TRICKY));
const labelKey = fc.oneof(dnsLabel, dnsLabel.map((k) => `app.kubernetes.io/${k}`), fc.constantFrom(...TRICKY));
const labelsArb = fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 3 });
const namespaceArb = fc.constantFrom("default", "shop", "kube-system");
const ipv4 = fc.ipV4();
const ipv6 = fc.constantFrom("fd00::1", "fd00:10:96::a", "2001:db8::8a2e:370:7334", "::1");
const port = fc.integer({ min: 1, max: 65535 });
const protocol = fc.constantFrom("TCP", "UDP", "SCTP");

/** Ports with distinct names (when more than one) and distinct port/protocol pairs, defaults spelt out. */
const servicePorts = fc
  .uniqueArray(fc.record({ name: dnsLabel, protocol, port, targetPort: fc.option(fc.oneof(port, fc.constantFrom("http", "metrics")), { nil: undefined }) }), {
    minLength: 1,
    maxLength: 3,
    selector: (p) => p.name,
  })
  .filter((ps) => new Set(ps.map((p) => `${p.port}/${p.protocol}`)).size === ps.length)
  .map((ps) => ps.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort ?? p.port })));

const serviceArb = fc.record({ name: dnsLabel, namespace: namespaceArb, labels: fc.option(labelsArb, { nil: undefined }), variant: fc.nat(3), ports: servicePorts, selector: labelsArb, v4: ipv4, v6: ipv6 }).map(
  ({ name, namespace, labels, variant, ports, selector, v4, v6 }): Service => {
    const metadata = { name, namespace, ...(labels && { labels }) };
    const specs: Service["spec"][] = [
      { type: "ClusterIP", selector, ports },
      { type: "ClusterIP", selector, clusterIP: "None", ...(ports.length === 1 ? {} : { ports }) },
      { type: "ExternalName", externalName: `${name}.example.com` },
      { type: "ClusterIP", selector, ports, clusterIP: v4, clusterIPs: [v4, v6], ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
    ];
    return { apiVersion: "v1", kind: "Service", metadata, spec: specs[variant]! };
  },
);

const podSpecArb = fc.record({ containers: fc.uniqueArray(fc.record({ name: dnsLabel, image: dnsLabel, ports: fc.array(fc.record({ containerPort: port, protocol }), { maxLength: 2 }) }), { minLength: 1, maxLength: 2, selector: (c) => c.name }), dnsPolicy: fc.constantFrom("ClusterFirst", "Default", "ClusterFirstWithHostNet" as const), hostname: fc.option(dnsLabel, { nil: undefined }) }).map(({ containers, dnsPolicy, hostname }) => ({
  containers: containers.map((c) => ({ name: c.name, image: c.image, ...(c.ports.length > 0 && { ports: c.ports }) })),
  dnsPolicy,
  ...(hostname !== undefined && { hostname }),
}));

const podArb = fc.record({ name: dnsLabel, namespace: namespaceArb, spec: podSpecArb, ip: fc.option(ipv4, { nil: undefined }) }).map(
  ({ name, namespace, spec, ip }): Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec,
    ...(ip && { status: { phase: "Running" as const, podIP: ip, conditions: [{ type: "Ready", status: "True" as const }] } }),
  }),
);

const workloadArb = fc.record({ name: dnsLabel, namespace: namespaceArb, labels: labelsArb, replicas: fc.nat(5), spec: podSpecArb, stateful: fc.boolean(), serviceName: dnsLabel }).map(
  ({ name, namespace, labels, replicas, spec, stateful, serviceName }): Deployment | StatefulSet => {
    const [firstKey] = Object.keys(labels);
    const selector = { matchLabels: { [firstKey!]: labels[firstKey!]! } };
    const template = { metadata: { labels }, spec };
    return stateful
      ? { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name, namespace }, spec: { replicas, serviceName, selector, template } }
      : { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace }, spec: { replicas, selector, template } };
  },
);

const sliceArb = fc
  .record({
    name: dnsLabel,
    service: dnsLabel,
    addresses: fc.array(fc.array(ipv4, { minLength: 1, maxLength: 2 }), { maxLength: 3 }),
    ready: fc.boolean(),
    ports: fc.uniqueArray(fc.record({ name: dnsLabel, port, protocol }), { maxLength: 2, selector: (p) => p.name }),
  })
  .map(
    ({ name, service, addresses, ready, ports }): EndpointSlice => ({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": service } },
      addressType: "IPv4",
      endpoints: addresses.map((a) => ({ addresses: a, conditions: { ready } })),
      ...(ports.length > 0 && { ports }),
    }),
  );

const configMapArb = fc.record({ name: dnsLabel, data: fc.dictionary(fc.stringMatching(/^[-._a-zA-Z0-9]{1,12}$/).filter((k) => k !== "." && k !== ".."), fc.string({ unit: "grapheme", maxLength: 20 }), { maxKeys: 3 }) }).map(
  ({ name, data }): K8sObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data }),
);

const validObject: fc.Arbitrary<K8sObject> = fc.oneof(serviceArb, podArb, workloadArb, sliceArb, configMapArb, dnsLabel.map((name): K8sObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })));

/** The fields the loader defaults, with their defaults: each may be left out and must come back. */
const DEFAULTS: Record<string, unknown> = { namespace: "default", type: "ClusterIP", protocol: "TCP", replicas: 1, dnsPolicy: "ClusterFirst" };

/** A copy of `value` with defaulted fields removed wherever `drop()` says so. */
function stripDefaults(value: unknown, drop: () => boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => stripDefaults(v, drop));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "status" || k === "data" || k === "labels" || k === "selector") {
      out[k] = v;
      continue;
    }
    const defaulted = (Object.hasOwn(DEFAULTS, k) && DEFAULTS[k] === v) || (k === "targetPort" && v === (value as { port?: unknown }).port) || (k === "endpoints" && Array.isArray(v) && v.length === 0);
    if (defaulted && drop()) continue;
    out[k] = stripDefaults(v, drop);
  }
  return out;
}

/** Serializes as YAML 1.1, so that strings such as "yes" are quoted for a YAML 1.1 reader. */
const toYaml = (objects: unknown[]) => objects.map((o) => stringify(o, { version: "1.1" })).join("---\n");

describe("properties", () => {
  it("arbitrary text loads or throws a ManifestError (property)", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), loadsOrManifestError), { numRuns: 400 });
  });

  it("YAML-ish fragments load or throw a ManifestError (property)", () => {
    const fragment = fc.constantFrom(
      "apiVersion: v1",
      "kind: Service",
      "kind: List",
      "items:",
      "metadata:",
      "  name: web",
      "spec:",
      "  ports:",
      "  - port: 80",
      "    targetPort: http",
      "---",
      "...",
      "- &a {x: 1}",
      "- *a",
      "  <<: *a",
      "<<: [*a]",
      "a: &a [*a]",
      "? [a]",
      ": x",
      "{",
      "[",
      "'",
      '"',
      "!!binary aGk=",
      "!!set {a}",
      "!!omap [a: 1]",
      "%YAML 1.2",
      "\t",
      "# c",
      "  - ",
      "80: x",
      "~: y",
      "[a: 1]",
    );
    fc.assert(fc.property(fc.array(fc.oneof(fragment, fc.string({ maxLength: 6 })), { maxLength: 12 }), (parts) => loadsOrManifestError(parts.join("\n"))), { numRuns: 300 });
  });

  it("random objects with random kinds and fields load or throw a ManifestError (property)", () => {
    fc.assert(fc.property(fc.array(randomObject, { minLength: 1, maxLength: 2 }), (objects) => loadsOrManifestError(toYaml(objects))), { numRuns: 150 });
  });

  it("valid objects with one field replaced at random load or throw a ManifestError (property)", () => {
    const pathsOf = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
      if (value === null || typeof value !== "object") return [prefix];
      const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
      return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
    };
    fc.assert(
      fc.property(validObject, fc.nat(), anyValue, (object, pick, replacement) => {
        const copy = structuredClone(object) as unknown as Record<string, unknown>;
        const paths = pathsOf(copy).filter((p) => p.length > 0);
        const path = paths[pick % paths.length]!;
        let parent: Record<string | number, unknown> = copy;
        for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
        parent[path[path.length - 1]!] = replacement;
        loadsOrManifestError(toYaml([copy]));
      }),
      { numRuns: 200 },
    );
  });

  it("a valid object survives serialize → load unchanged, and its defaults may be left out (property)", () => {
    fc.assert(
      fc.property(fc.array(validObject, { minLength: 1, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), (objects, bits) => {
        expect(loadManifests(toYaml(objects), "gen.yaml")).toEqual(objects);
        let i = 0;
        const stripped = objects.map((o) => stripDefaults(o, () => bits[i++ % bits.length]!));
        expect(loadManifests(toYaml(stripped), "gen.yaml")).toEqual(objects);
      }),
      { numRuns: 150 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadManifests } from "../../src/k8s/manifest.js";
import { SERVED_VERSIONS, type K8sObject, type ObjectOfKind, type Secret } from "../../src/k8s/objects.js";

type IstioKind = "VirtualService" | "DestinationRule" | "ServiceEntry" | "Gateway" | "PeerAuthentication";
import { World } from "../../src/scenario/world.js";
import { kubectl } from "../../src/shell/kubectl/kubectl.js";

// Small vocabularies: the property is about the path through loader, store and printer, not names.
const label = fc.constantFrom("a", "web", "v1", "reviews", "x-1");
const host = fc.constantFrom("reviews", "reviews.prod.svc.cluster.local", "*.example.com", "httpbin.org", "*");
const fqdn = fc.constantFrom("httpbin.org", "api.example.com", "db.vms.internal");
const labels = fc.dictionary(label, label, { maxKeys: 2 });
/** Durations as Istio users write them: whole milliseconds, in any unit that says so. */
const duration = fc.oneof(
  fc.integer({ min: 1, max: 999 }).map((n) => `${n}ms`),
  fc.integer({ min: 1, max: 59 }).map((n) => `${n}s`),
  fc.constantFrom("1.5s", "1m", "1m30s", "10m", "1h"),
);
const percentage = fc.record({ value: fc.constantFrom(0, 0.1, 50, 100) });
const stringMatch = fc.oneof(fc.record({ exact: label }), fc.record({ prefix: fc.constantFrom("/", "/api") }), fc.record({ regex: fc.constantFrom("^/v[0-9]+", ".*") }));
/** A record whose keys may each be left out, as YAML writers leave them. */
const some = <T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(fields, { requiredKeys: [] });
const port = fc.integer({ min: 1, max: 65535 });

/** An Istio object of a kind, at any version its CRD serves, in the default namespace. */
function istio<K extends IstioKind>(kind: K, spec: fc.Arbitrary<unknown>): fc.Arbitrary<ObjectOfKind<K>> {
  return fc.record({ apiVersion: fc.constantFrom(...SERVED_VERSIONS[kind]), kind: fc.constant(kind), metadata: fc.record({ name: label }), spec }) as fc.Arbitrary<ObjectOfKind<K>>;
}

const virtualService = istio(
  "VirtualService",
  fc.record(
    {
      hosts: fc.array(host, { minLength: 1, maxLength: 2 }),
      gateways: fc.array(fc.constantFrom("mesh", "istio-system/ingress", "bookinfo-gateway"), { maxLength: 2 }),
      http: fc.array(
        fc.record(
          {
            name: label,
            match: fc.array(some({ uri: stringMatch, headers: fc.dictionary(fc.constantFrom("end-user", "x-canary"), stringMatch, { maxKeys: 1 }), port, sourceLabels: labels }), { maxLength: 2 }),
            route: fc.array(fc.record({ destination: fc.record({ host, subset: label, port: fc.record({ number: port }) }, { requiredKeys: ["host"] }), weight: fc.nat(100) }, { requiredKeys: ["destination"] }), { minLength: 1, maxLength: 3 }),
            timeout: duration,
            retries: some({ attempts: fc.nat(5), perTryTimeout: duration, retryOn: fc.constantFrom("5xx", "gateway-error,connect-failure,503"), retryRemoteLocalities: fc.boolean() }),
            fault: some({ delay: fc.record({ fixedDelay: duration, percentage }, { requiredKeys: ["fixedDelay"] }), abort: fc.record({ httpStatus: fc.integer({ min: 200, max: 599 }), percentage }, { requiredKeys: ["httpStatus"] }) }),
          },
          { requiredKeys: ["route"] },
        ),
        { maxLength: 3 },
      ),
      exportTo: fc.constantFrom([], ["."], ["*"], ["istio-system", "."]),
    },
    { requiredKeys: ["hosts"] },
  ),
);

const trafficPolicy = some({
  loadBalancer: some({
    simple: fc.constantFrom("ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"),
    localityLbSetting: fc.oneof(
      some({ enabled: fc.boolean(), failover: fc.constant([{ from: "us-east", to: "eu-west" }]), failoverPriority: fc.constant(["topology.istio.io/network"]) }),
      fc.constant({ distribute: [{ from: "us-east/*", to: { "us-east/*": 80, "eu-west/*": 20 } }] }),
    ),
  }),
  connectionPool: some({ tcp: some({ maxConnections: fc.nat(1000), connectTimeout: duration }), http: some({ http1MaxPendingRequests: fc.nat(100), http2MaxRequests: fc.nat(100), maxRequestsPerConnection: fc.nat(10), maxRetries: fc.nat(5) }) }),
  outlierDetection: some({
    consecutive5xxErrors: fc.nat(10),
    consecutiveGatewayErrors: fc.nat(10),
    interval: duration,
    baseEjectionTime: duration,
    maxEjectionPercent: fc.nat(100),
    minHealthPercent: fc.nat(100),
    splitExternalLocalOriginErrors: fc.boolean(),
    consecutiveLocalOriginFailures: fc.nat(10),
  }),
  tls: some({ mode: fc.constantFrom("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"), sni: fqdn }),
});

const destinationRule = istio(
  "DestinationRule",
  fc.record(
    {
      host,
      trafficPolicy,
      subsets: fc.uniqueArray(fc.record({ name: label, labels, trafficPolicy }, { requiredKeys: ["name"] }), { selector: (s) => s.name, maxLength: 3 }),
      exportTo: fc.constantFrom([], ["."]),
    },
    { requiredKeys: ["host"] },
  ),
);

const serviceEntry = istio(
  "ServiceEntry",
  fc.record(
    {
      hosts: fc.array(fqdn, { minLength: 1, maxLength: 2 }),
      addresses: fc.constantFrom([], ["240.0.0.1"], ["fd00::1", "240.0.0.2"]),
      ports: fc.constant([{ number: 80, protocol: "HTTP", name: "http" }, { number: 443, name: "https", protocol: "TLS", targetPort: 8443 }]),
      location: fc.constantFrom("MESH_EXTERNAL", "MESH_INTERNAL"),
      resolution: fc.constantFrom("NONE", "STATIC", "DNS"),
      endpoints: fc.array(
        fc.record({ address: fc.constantFrom("10.0.0.1", "10.0.0.2"), ports: fc.constantFrom({}, { http: 8080 }), labels, network: fc.constantFrom("n1", "n2"), locality: fc.constantFrom("us-east/us-east-1a", "eu-west"), weight: fc.nat(10) }, { requiredKeys: ["address"] }),
        { maxLength: 2 },
      ),
      exportTo: fc.constantFrom([], ["*"]),
    },
    { requiredKeys: ["hosts", "ports"] },
  ),
);

const gateway = istio(
  "Gateway",
  fc.record(
    {
      selector: labels,
      servers: fc.array(
        fc.oneof(
          fc.record({ port: fc.record({ number: fc.constant(15443), protocol: fc.constant("TLS"), name: fc.constant("tls") }), hosts: fc.constant(["*.local"]), tls: fc.constant({ mode: "AUTO_PASSTHROUGH" }) }),
          fc.record({ port: fc.record({ number: port, protocol: fc.constantFrom("HTTP", "http", "TCP") }), hosts: fc.array(fc.constantFrom("*", "./a.example.com", "*/*.example.com"), { minLength: 1, maxLength: 2 }) }),
        ),
        { minLength: 1, maxLength: 2 },
      ),
    },
    { requiredKeys: ["servers"] },
  ),
);

const mtls = some({ mode: fc.constantFrom("UNSET", "DISABLE", "PERMISSIVE", "STRICT") });
const peerAuthentication = istio(
  "PeerAuthentication",
  fc.oneof(
    fc.constant(undefined),
    some({ mtls }),
    fc.record({ selector: fc.record({ matchLabels: fc.dictionary(label, label, { minKeys: 1, maxKeys: 2 }) }), mtls, portLevelMtls: fc.dictionary(port.map(String), mtls, { maxKeys: 2 }) }, { requiredKeys: ["selector"] }),
  ),
);

const secret: fc.Arbitrary<Secret> = fc.record(
  {
    apiVersion: fc.constant("v1"),
    kind: fc.constant("Secret"),
    metadata: fc.record({ name: label, labels: fc.constant({ "istio/multiCluster": "true" }), annotations: fc.constant({ "networking.istio.io/cluster": "west" }) }, { requiredKeys: ["name"] }),
    type: fc.constantFrom("Opaque", ""),
    data: fc.dictionary(label, fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString("base64")), { maxKeys: 2 }),
    stringData: fc.dictionary(label, fc.string({ maxLength: 12 }), { maxKeys: 2 }),
  },
  { requiredKeys: ["apiVersion", "kind", "metadata"] },
) as fc.Arbitrary<Secret>;

const anyObject: fc.Arbitrary<K8sObject> = fc.oneof(virtualService, destinationRule, serviceEntry, gateway, peerAuthentication, secret);

describe("Istio's kinds and Secrets through the loader, the API server and kubectl (property)", () => {
  const world = new World({ seed: 1 });
  world.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"], dns: false });
  const api = world.cluster("east").api;

  it("any valid object, written at any served version, is stored at v1 and read back by kubectl get -o yaml as what the store holds", () => {
    fc.assert(
      fc.property(anyObject, (written) => {
        // As kubectl writes YAML: 1.1, where a plain `n` or `on` would be a boolean.
        const text = stringify(written, { version: "1.1" });
        const [loaded] = loadManifests(text, "gen.yaml");
        world.apply("east", text, "gen.yaml");
        const stored = api.get(written.kind, "default", written.metadata.name)!;
        expect(stored.apiVersion).toBe(written.kind === "Secret" ? "v1" : written.kind === "PeerAuthentication" ? "security.istio.io/v1" : "networking.istio.io/v1");
        // The store adds only what the API server assigns; a Secret's stringData has gone into its data.
        const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...meta } = stored.metadata;
        if (stored.kind === "Secret") expect(stored).not.toHaveProperty("stringData");
        else expect({ ...stored, metadata: meta }).toEqual(loaded);
        const out = kubectl({ world, context: "east" }, ["get", written.kind, written.metadata.name, "-o", "yaml"]);
        expect(out.exitCode).toBe(0);
        expect(loadManifests(out.stdout, "get.yaml")).toEqual([stored]);
      }),
      { numRuns: 200 },
    );
  });
});

import { describe, expect, it } from "vitest";
import type { MtlsMode, PeerAuthentication } from "../../src/k8s/istio.js";
import type { Pod } from "../../src/k8s/objects.js";
import { inboundMtls, inboundVerdict, istioSni, parseIstioSni, portMtls, TLS_VERIFY_FAILED } from "../../src/mesh/istio/mtls.js";
import { TLS_WRONG_VERSION } from "../../src/http/server.js";
import { SECOND } from "../../src/sim/time.js";
import type { World } from "../../src/scenario/world.js";
import { meshCall, meshWorld, webRule } from "./mesh-world.js";

const WEB_CLUSTER = "outbound|80||web.default.svc.cluster.local";

/** A PeerAuthentication in `namespace` with a mode, and optionally a selector and port modes. */
function pa(name: string, namespace: string, mode: MtlsMode, extra: Partial<NonNullable<PeerAuthentication["spec"]>> = {}): PeerAuthentication {
  return { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name, namespace }, spec: { mtls: { mode }, ...extra } };
}

/** A client pod in east with no sidecar (its annotation turns injection off). */
const plainClient: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "plain", namespace: "default", annotations: { "sidecar.istio.io/inject": "false" } }, spec: { containers: [{ name: "c", image: "debian:12" }] } };

function plainCall(w: World) {
  const pending = w.request("east", "default/plain", "http://web/", { timeout: 5 * SECOND });
  w.runFor(10 * SECOND);
  return pending.result!;
}

describe("PeerAuthentication modes (mesh.md §3.5)", () => {
  const web = { namespace: "default", labels: { app: "web" } };

  it("§3.5: PERMISSIVE with no policy; mesh-wide, then namespace, then workload override, UNSET inheriting", () => {
    expect(inboundMtls([], "istio-system", web)).toEqual({ mode: "PERMISSIVE", ports: {} });
    const mesh = pa("default", "istio-system", "STRICT");
    expect(inboundMtls([mesh], "istio-system", web).mode).toBe("STRICT");
    expect(inboundMtls([mesh, pa("ns", "default", "DISABLE")], "istio-system", web).mode).toBe("DISABLE");
    expect(inboundMtls([mesh, pa("ns", "default", "UNSET")], "istio-system", web).mode).toBe("STRICT");
    const workload = pa("web", "default", "PERMISSIVE", { selector: { matchLabels: { app: "web" } } });
    expect(inboundMtls([mesh, pa("ns", "default", "DISABLE"), workload], "istio-system", web).mode).toBe("PERMISSIVE");
    // A selector that does not match, or another namespace's policy, does not apply.
    expect(inboundMtls([pa("db", "default", "STRICT", { selector: { matchLabels: { app: "db" } } }), pa("other", "prod", "STRICT")], "istio-system", web).mode).toBe("PERMISSIVE");
  });

  it("§3.5: portLevelMtls takes precedence per port", () => {
    const policy = pa("web", "default", "STRICT", { selector: { matchLabels: { app: "web" } }, portLevelMtls: { "8080": { mode: "DISABLE" }, "9090": { mode: "UNSET" } } });
    const inbound = inboundMtls([policy], "istio-system", web);
    expect(portMtls(inbound, 8080)).toBe("DISABLE");
    expect(portMtls(inbound, 9090)).toBe("STRICT");
    expect(portMtls(inbound, 7000)).toBe("STRICT");
  });

  it("§3.5: the harness table: STRICT resets plaintext; PERMISSIVE and DISABLE accept both; another root fails the handshake", () => {
    const hello = { sni: istioSni("web.default.svc.cluster.local", 80, ""), rootCA: "root", trustDomain: "cluster.local" };
    expect(inboundVerdict("STRICT", hello, "root")).toEqual({ accept: true, terminate: true });
    expect(inboundVerdict("STRICT", undefined, "root")).toEqual({ accept: false });
    expect(inboundVerdict("PERMISSIVE", hello, "root")).toEqual({ accept: true, terminate: true });
    expect(inboundVerdict("PERMISSIVE", undefined, "root")).toEqual({ accept: true, terminate: false });
    expect(inboundVerdict("DISABLE", undefined, "root")).toEqual({ accept: true, terminate: false });
    expect(inboundVerdict("STRICT", hello, "other-root")).toEqual({ accept: false, tls: TLS_VERIFY_FAILED });
  });

  it("§1.3: the SNI of Istio mTLS is outbound_.<port>_.<subset>_.<host>, and reads back", () => {
    expect(istioSni("helloworld.sample.svc.cluster.local", 5000, "")).toBe("outbound_.5000_._.helloworld.sample.svc.cluster.local");
    expect(parseIstioSni("outbound_.5000_.v1_.helloworld.sample.svc.cluster.local")).toEqual({ port: 5000, subset: "v1", host: "helloworld.sample.svc.cluster.local" });
    expect(parseIstioSni("example.com")).toBeUndefined();
  });
});

describe("mTLS between sidecars (mesh.md §3.5)", () => {
  it("§3.5 auto mTLS: endpoints with sidecars are mTLS, a STRICT server takes the sidecar's call and resets a plain client's", () => {
    const w = meshWorld({ west: 0 });
    w.apply("east", [pa("default", "istio-system", "STRICT"), plainClient]);
    w.runFor(20 * SECOND);
    const view = w.mesh!.sidecarOf("east", "default", "client")!.view();
    expect(view.endpoints.get(WEB_CLUSTER)!.every((e) => e.mtls)).toBe(true);
    expect(meshCall(w)).toMatchObject({ status: 200 });
    // Plaintext to STRICT: no filter chain, the connection reset; what curl sees.
    expect(plainCall(w)).toMatchObject({ status: null, error: "reset" });
  });

  it("§3.5: PERMISSIVE (the default) takes plaintext too; DISABLE turns auto mTLS off for the endpoint", () => {
    const w = meshWorld({ west: 0 });
    w.apply("east", [plainClient]);
    w.runFor(20 * SECOND);
    expect(plainCall(w)).toMatchObject({ status: 200 });
    w.apply("east", [pa("web", "default", "DISABLE", { selector: { matchLabels: { app: "web" } } })]);
    w.runFor(20 * SECOND);
    const view = w.mesh!.sidecarOf("east", "default", "client")!.view();
    expect(view.endpoints.get(WEB_CLUSTER)!.some((e) => e.mtls)).toBe(false);
    expect(meshCall(w)).toMatchObject({ status: 200 });
  });

  it("§3.5: a DestinationRule's tls mode wins: ISTIO_MUTUAL to a DISABLE port is a TLS error, DISABLE to a STRICT one is reset (503 UC)", () => {
    const w = meshWorld({ west: 0, config: [webRule({ tls: { mode: "ISTIO_MUTUAL" } })] });
    w.apply("east", [pa("web", "default", "DISABLE", { selector: { matchLabels: { app: "web" } } })]);
    w.runFor(20 * SECOND);
    const r = meshCall(w);
    expect(r).toMatchObject({ status: 503, flag: "UF,URX", error: "tls" });
    expect(r.detail).toBe(`upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: ${TLS_WRONG_VERSION}`);
    w.apply("east", [webRule({ tls: { mode: "DISABLE" } }), pa("web", "default", "STRICT", { selector: { matchLabels: { app: "web" } } })]);
    w.runFor(20 * SECOND);
    expect(meshCall(w)).toMatchObject({ status: 503, error: "reset" });
    expect(meshCall(w).flag).toContain("UC");
  });

  it("§3.5: clusters with different root CAs fail the handshake: 503 UF with CERTIFICATE_VERIFY_FAILED, retried and failing again", () => {
    const w = meshWorld({
      east: 0,
      mesh: {
        clusters: [
          { name: "east", network: "network1" },
          { name: "west", network: "network1", rootCA: "west-root" },
        ],
      },
    });
    const r = meshCall(w);
    expect(r).toMatchObject({ status: 503, flag: "UF,URX", error: "tls" });
    expect(r.detail).toContain("TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED");
    // The same root, another trust domain: the handshake holds.
    const same = meshWorld({ east: 0, mesh: { clusters: [{ name: "east", network: "network1" }, { name: "west", network: "network1", trustDomain: "west.example" }] } });
    expect(meshCall(same)).toMatchObject({ status: 200 });
  });
});

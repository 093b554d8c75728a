import { describe, expect, it } from "vitest";
import { readScenarioFile } from "../../src/cli/scenario-file.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import type { World } from "../../src/scenario/world.js";
import { LabShell } from "../../src/shell/session.js";
import { SECOND } from "../../src/sim/time.js";
import { fixtureWorld } from "./shell-world.js";

function shell(world: World, context: string) {
  let out = "";
  const sh = new LabShell({ world, context, write: (_s, t) => (out += t) });
  return (text: string) => {
    out = "";
    sh.run(text);
    return out;
  };
}

const LOGGING_COREFILE = `apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        log
        kubernetes cluster.local in-addr.arpa ip6.arpa
        forward . /etc/resolv.conf
        cache 30
    }
`;

describe("kubectl logs", () => {
  it("a CoreDNS pod prints CoreDNS's start-up lines, then the log plugin's line per query it answered (dns.md §3.4)", () => {
    const world = fixtureWorld();
    const run = shell(world, "east");
    run(`kubectl apply -f - <<'EOF'\n${LOGGING_COREFILE}EOF\nkubectl rollout restart deployment/coredns -n kube-system\nsleep 10`);
    run("kubectl run t --image=debian:12 -n shop -- sleep infinity");
    run("kubectl exec t -n shop -- dig +short web.shop.svc.cluster.local");
    const pods = world.cluster("east").api.list("Pod", "kube-system").map((p) => p.metadata.name);
    const all = pods.map((p) => run(`kubectl logs ${p} -n kube-system`)).join("");
    expect(all).toMatch(/^\.:53\n\[INFO\] plugin\/reload: Running configuration SHA512 = [0-9a-f]{128}\nCoreDNS-1\.11\.3\nlinux\/amd64, go1\.21\.11, a6338e9\n/);
    expect(all).toMatch(/\[INFO\] 10\.10\.\d+\.\d+:\d+ - \d+ "A IN web\.shop\.svc\.cluster\.local\. udp \d+ \w+ \d+" NOERROR qr,aa,rd \d+ [\d.]+s\n/);
    const tail = run(`kubectl logs ${pods[0]} -n kube-system --tail 1`);
    expect(tail.split("\n")).toHaveLength(2);
    expect(run(`kubectl logs ${pods[0]} -n kube-system -c nope`)).toBe(`error: container nope is not valid for pod ${pods[0]}\n`);
    expect(run("kubectl logs nope -n kube-system")).toBe('Error from server (NotFound): pods "nope" not found\n');
  });

  it("-c istio-proxy prints Envoy's access log in Istio's TEXT format for calls through the sidecar, once the shell turned logging on", () => {
    const { scenario } = readScenarioFile("scenarios/mesh-basic.yaml");
    const { world } = buildScenarioWorld(scenario, { traceLevel: "off" });
    world.runUntil(scenario.spec.warmup);
    expect(world.mesh!.sidecarOf("east", "shop", "client")!.accessLog).toBeUndefined();
    const run = shell(world, "east");
    world.runFor(2 * SECOND);
    const lines = run("kubectl logs client -n shop -c istio-proxy --tail 2").split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(
        /^\[2026-01-01T00:00:\d\d\.\d{3}Z\] "GET \/ HTTP\/1\.1" 200 - via_upstream - "-" 0 3 \d+ \d+ "-" "-" "[0-9a-f-]{36}" "web" "10\.11\.0\.\d+:80" outbound\|80\|\|web\.shop\.svc\.cluster\.local 10\.10\.0\.\d+:\d+ 10\.100\.\d+\.\d+:80 10\.10\.0\.\d+:\d+ - default$/,
      );
    }
    expect(run("kubectl logs client -n shop")).toBe(`Defaulted container "client" out of: client, istio-proxy, istio-init (init)\n`);
  });
});

import { describe, expect, it } from "vitest";
import { readScenarioFile } from "../../src/cli/scenario-file.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import { execInPod, startPod } from "../../src/shell/exec.js";
import { imageHas } from "../../src/shell/images.js";
import { SECOND } from "../../src/sim/time.js";
import { clusterIp, podWith } from "./shell-world.js";

/** scenarios/mesh-basic.yaml after warmup: web runs in west only; shop is injected in both clusters. */
function meshWorld() {
  const { scenario } = readScenarioFile("scenarios/mesh-basic.yaml");
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off" });
  world.runUntil(scenario.spec.warmup);
  return world;
}

describe("the tools an image has", () => {
  it.each([
    ["busybox:1.36", ["nslookup", "wget"]],
    ["alpine:3.20", ["nslookup", "wget"]],
    ["curlimages/curl:8.11.1", ["nslookup", "curl", "wget"]],
    ["nicolaka/netshoot", ["dig", "host", "nslookup", "curl", "wget"]],
    ["debian:12", ["dig", "host", "nslookup"]],
    ["nginx:1.27", ["dig", "host", "nslookup", "curl"]],
  ] as const)("%s has %j", (image, tools) => {
    for (const tool of ["dig", "host", "nslookup", "curl", "wget"] as const) expect(imageHas(image, tool)).toBe((tools as readonly string[]).includes(tool));
  });
  it("a tool the image lacks fails as the container runtime fails it", () => {
    expect(execInPod(podWith("busybox:1.36"), ["curl", "http://web/"])).toEqual({
      stdout: "",
      stderr: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in $PATH: unknown\n',
      exitCode: 126,
    });
  });
});

describe("curl inside pods, through the pod's resolver and its sidecar", () => {
  const world = meshWorld();
  const client = startPod(world, "east", "shop", "curler", "curlimages/curl:8.11.1");
  const plain = startPod(world, "east", "default", "plain", "curlimages/curl:8.11.1");
  const run = (...args: string[]) => execInPod(client, ["curl", ...args]);

  it("prints the body, and the status with -o /dev/null -w '%{http_code}'", () => {
    expect(run("-s", "http://web/")).toEqual({ stdout: "OK\n", stderr: "", exitCode: 0 });
    expect(run("-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "http://web/").stdout).toBe("200\n");
  });

  it("-I and -v show Envoy's headers: server: envoy and x-envoy-upstream-service-time", () => {
    expect(run("-sI", "web").stdout).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\ncontent-length: 3\r\ndate: Thu, 01 Jan 2026 00:00:\d\d GMT\r\nx-envoy-upstream-service-time: \d+\r\nserver: envoy\r\n\r\n$/);
    const v = run("-v", "http://web/");
    expect(v.stderr).toMatch(/^\* {3}Trying 10\.100\.\d+\.\d+:80\.\.\.\n\* Connected to web \(10\.100\.\d+\.\d+\) port 80\n> GET \/ HTTP\/1\.1\n> Host: web\n> User-Agent: curl\/8\.11\.1\n> Accept: \*\/\*\n>\n< HTTP\/1\.1 200 OK\n/);
    expect(v.stderr).toContain("< server: envoy\n");
    expect(v.stdout).toBe("OK\n");
  });

  it("curl's errors and exit codes: (6) no such host, (7) refused, (28) timed out", () => {
    expect(run("http://nope/")).toEqual({ stdout: "", stderr: "curl: (6) Could not resolve host: nope\n", exitCode: 6 });
    expect(run("-s", "http://nope/")).toEqual({ stdout: "", stderr: "", exitCode: 6 });
    expect(run("-sS", "-w", "%{http_code}", "http://nope/")).toEqual({ stdout: "000", stderr: "curl: (6) Could not resolve host: nope\n", exitCode: 6 });
    // Without a sidecar, east's web Service has no endpoints: the SYN is answered by a RST.
    expect(execInPod(plain, ["curl", "http://web.shop/"]).stderr).toMatch(/^curl: \(7\) Failed to connect to web\.shop port 80 after \d+ ms: Couldn't connect to server\n$/);
    expect(execInPod(plain, ["curl", "-m", "2", "http://10.1.2.3/"])).toEqual({ stdout: "", stderr: "curl: (28) Connection timed out after 2000 milliseconds\n", exitCode: 28 });
    expect(run("https://web/").stderr).toContain('curl: (1) Protocol "https" not supported');
  });
});

describe("busybox wget and BIND host", () => {
  const world = meshWorld();
  const box = startPod(world, "east", "shop", "box", "busybox:1.36");
  // Until istiod's first push reaches the new sidecar it has no listeners: let it arrive.
  world.runFor(3 * SECOND);
  it("wget -qO- prints the body; -S the server's headers; errors in busybox's words", () => {
    expect(execInPod(box, ["wget", "-qO-", "http://web/"])).toEqual({ stdout: "OK\n", stderr: "", exitCode: 0 });
    const s = execInPod(box, ["wget", "-S", "-O-", "http://web/"]);
    expect(s.stderr).toMatch(/^Connecting to web \(10\.100\.\d+\.\d+:80\)\n {2}HTTP\/1\.1 200 OK\n {2}content-type: text\/plain\n/);
    expect(s.stderr).toContain("writing to stdout\n-                    100% |********************************|     3  0:00:00 ETA\nwritten to stdout\n");
    expect(execInPod(box, ["wget", "-q", "http://nope/"])).toEqual({ stdout: "", stderr: "wget: bad address 'nope'\n", exitCode: 1 });
  });
  it("host prints a Service's address through the search list, and NXDOMAIN", () => {
    const tools = podWith("debian:12");
    expect(execInPod(tools, ["host", "web"])).toEqual({ stdout: `web.shop.svc.cluster.local has address ${clusterIp(tools.world, "web")}\n`, stderr: "", exitCode: 0 });
    expect(execInPod(tools, ["host", "nope"])).toEqual({ stdout: "Host nope not found: 3(NXDOMAIN)\n", stderr: "", exitCode: 1 });
  });
});

import { describe, expect, it } from "vitest";
import { busyboxVersion, nslookup } from "../../src/shell/nslookup.js";
import { execInPod } from "../../src/shell/exec.js";
import { clusterIp, fixtureWorld, KUBE_DNS, podWith } from "./shell-world.js";

const world = fixtureWorld();
const web = clusterIp(world, "web");

describe("which nslookup an image has (dns.md §6.2)", () => {
  it("reads busybox's version from its tag, today's for other tags and for Alpine, none for other images", () => {
    expect(busyboxVersion("busybox:1.28")).toBe("1.28");
    expect(busyboxVersion("docker.io/library/busybox:1.28.4-glibc")).toBe("1.28.4");
    expect(busyboxVersion("busybox")).toBe("1.36.1");
    expect(busyboxVersion("busybox:latest")).toBe("1.36.1");
    expect(busyboxVersion("alpine:3.20")).toBe("1.36.1");
    expect(busyboxVersion("debian:12")).toBeUndefined();
    expect(busyboxVersion("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3")).toBeUndefined();
  });
});

describe("busybox ≥ 1.29 nslookup in a pod (dns.md §5.5, §6.2)", () => {
  const shell = podWith("busybox:1.36", world, "bb");

  it("answers a full name with Server/Address lines in busybox's ip:port form, A then the empty AAAA", () => {
    const out = nslookup(shell, ["web.shop.svc.cluster.local"]);
    expect(out.exitCode).toBe(0);
    expect(out.stdout.startsWith(`Server:\t\t${KUBE_DNS}\nAddress:\t${KUBE_DNS}:53\n\n`)).toBe(true);
    expect(out.stdout).toContain(`Name:\tweb.shop.svc.cluster.local\nAddress: ${web}\n`);
  });

  it("walks every search domain for a short name, A and AAAA, printing each NXDOMAIN, and exits 1 though one answered", () => {
    const out = nslookup(shell, ["web"]);
    expect(out.exitCode).toBe(1);
    expect(out.stdout.match(/\*\* server can't find web\.svc\.cluster\.local: NXDOMAIN/g)).toHaveLength(2);
    expect(out.stdout.match(/\*\* server can't find web\.cluster\.local: NXDOMAIN/g)).toHaveLength(2);
    expect(out.stdout).toContain(`Name:\tweb.shop.svc.cluster.local\nAddress: ${web}\n`);
  });

  it("takes -type= and a server after the name", () => {
    const out = nslookup(shell, ["-type=srv", "_http._tcp.web.shop.svc.cluster.local", KUBE_DNS]);
    expect(out.stdout).toContain("_http._tcp.web.shop.svc.cluster.local\tservice = 0 100 80 web.shop.svc.cluster.local");
    expect(nslookup(shell, ["-debug", "web"])).toMatchObject({ exitCode: 1, stderr: "nslookup: unrecognized option '-debug'\n" });
  });
});

describe("busybox ≤ 1.28 nslookup, through the libc (dns.md §6.2)", () => {
  it("prints numbered addresses with the names their PTR records give, the server's included", () => {
    const shell = podWith("busybox:1.28", world, "old");
    const out = nslookup(shell, ["web"]);
    expect(out).toEqual({
      stdout: `Server:    ${KUBE_DNS}\nAddress 1: ${KUBE_DNS} kube-dns.kube-system.svc.cluster.local\n\nName:      web\nAddress 1: ${web} web.shop.svc.cluster.local\n`,
      stderr: "",
      exitCode: 0,
    });
    expect(nslookup(shell, ["nosuch"])).toMatchObject({ stderr: "nslookup: can't resolve 'nosuch'\n", exitCode: 1 });
  });
});

describe("BIND nslookup in other images (dns.md §6.2)", () => {
  const shell = podWith("debian:12", world, "deb");

  it("walks the search list as the libc does and prints the name that answered", () => {
    const out = nslookup(shell, ["web"]);
    expect(out).toEqual({ stdout: `Server:\t\t${KUBE_DNS}\nAddress:\t${KUBE_DNS}#53\n\nName:\tweb.shop.svc.cluster.local\nAddress: ${web}\n\n`, stderr: "", exitCode: 0 });
  });

  it("says the name as typed cannot be found after the walk ends in NXDOMAIN, exit 1", () => {
    const out = nslookup(shell, ["nosuch"]);
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toContain("** server can't find nosuch: NXDOMAIN");
  });

  it("answers an address with its PTR record", () => {
    expect(nslookup(shell, [web]).stdout).toContain(`${web.split(".").reverse().join(".")}.in-addr.arpa\tname = web.shop.svc.cluster.local.`);
  });
});

describe("execInPod", () => {
  const shell = podWith("busybox:1.36", world, "exec");

  it("cats the pod's resolv.conf as the kubelet writes it (dns.md §5.1)", () => {
    expect(execInPod(shell, ["cat", "/etc/resolv.conf"])).toEqual({ stdout: `search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${KUBE_DNS}\noptions ndots:5\n`, stderr: "", exitCode: 0 });
    expect(execInPod(shell, ["cat", "/etc/shadow"]).exitCode).toBe(1);
  });

  it("fails a program the image lacks as the container runtime does, with status 126", () => {
    const out = execInPod(shell, ["curl", "http://web"]);
    expect(out.exitCode).toBe(126);
    expect(out.stderr).toContain('exec: "curl": executable file not found in $PATH');
  });
});

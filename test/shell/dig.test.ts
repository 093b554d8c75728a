import { describe, expect, it } from "vitest";
import { SECOND } from "../../src/sim/time.js";
import { dig } from "../../src/shell/dig.js";
import { clusterIp, fixtureWorld, KUBE_DNS, podWith } from "./shell-world.js";

const world = fixtureWorld();
const shell = podWith("debian:12", world);
const web = clusterIp(world, "web");

/** The RDATA of the ANSWER SECTION's records. */
function answers(stdout: string): string[] {
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(stdout)?.[1] ?? "";
  return section.split("\n").filter(Boolean).map((l) => l.split(/\s+/).slice(4).join(" "));
}

describe("dig in a pod (dns.md §5.6, §6.1)", () => {
  it("asks the pod's nameserver over UDP with EDNS 1232 and a cookie, and prints the reply as BIND 9.18 does", () => {
    const out = dig(shell, ["web.shop.svc.cluster.local"]);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toMatch(/^\n; <<>> DiG 9\.18\.24 <<>> web\.shop\.svc\.cluster\.local\n;; global options: \+cmd\n;; Got answer:\n/);
    expect(out.stdout).toContain(";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1");
    expect(out.stdout).toMatch(/; EDNS: version: 0, flags:; udp: 1232\n; COOKIE: [0-9a-f]{16} \(echoed\)/);
    expect(answers(out.stdout)).toEqual([web]);
    expect(out.stdout).toContain(`;; SERVER: ${KUBE_DNS}#53(${KUBE_DNS}) (UDP)`);
    expect(out.stdout).toMatch(/;; WHEN: Thu Jan 01 00:00:\d\d UTC 2026\n;; MSG SIZE {2}rcvd: \d+\n\n$/);
  });

  it("+short prints only the RDATA; NXDOMAIN prints nothing and exits 0", () => {
    expect(dig(shell, ["+short", "web.shop.svc.cluster.local"])).toEqual({ stdout: `${web}\n`, stderr: "", exitCode: 0 });
    expect(dig(shell, ["+short", "nope.shop.svc.cluster.local"])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  it("uses the search list only with +search, as the resolver would walk it", () => {
    expect(dig(shell, ["+short", "web"]).stdout).toBe("");
    expect(dig(shell, ["+search", "+short", "web"]).stdout).toBe(`${web}\n`);
    expect(dig(shell, ["+search", "web"]).stdout).toContain(";web.shop.svc.cluster.local.\tIN\tA");
  });

  it("takes the type as -t or as an argument, and -x for a reverse lookup", () => {
    expect(dig(shell, ["+short", "_http._tcp.web.shop.svc.cluster.local", "SRV"]).stdout).toBe("0 100 80 web.shop.svc.cluster.local.\n");
    expect(dig(shell, ["+short", "-t", "AAAA", "api.shop.svc.cluster.local"]).stdout).toBe("fd00:10:96::1f\n");
    expect(dig(shell, ["+short", "-x", clusterIp(world, "api")]).stdout).toBe("api.shop.svc.cluster.local.\n");
  });

  it("retries a truncated UDP reply over TCP and prints all of it; +ignore keeps the truncated one", () => {
    const full = dig(shell, ["many.shop.svc.cluster.local"]);
    expect(full.stdout).toMatch(/^;; Truncated, retrying in TCP mode\.\n/);
    expect(answers(full.stdout)).toHaveLength(60);
    expect(full.stdout).toContain("(TCP)");
    const cut = dig(shell, ["+ignore", "many.shop.svc.cluster.local"]);
    expect(cut.stdout).toMatch(/;; flags: qr aa tc rd;/);
    expect(answers(cut.stdout).length).toBeLessThan(60);
    expect(dig(shell, ["+tcp", "+short", "web.shop.svc.cluster.local"]).stdout).toBe(`${web}\n`);
    expect(dig(shell, ["+tcp", "web.shop.svc.cluster.local"]).stdout).toContain(`(${KUBE_DNS}) (TCP)`);
  });

  it("resolves @server names through the pod's libc and names them in the SERVER line", () => {
    const out = dig(shell, ["@kube-dns.kube-system.svc.cluster.local", "web.shop.svc.cluster.local"]);
    expect(out.stdout).toContain("; (1 server found)");
    expect(out.stdout).toContain(`;; SERVER: ${KUBE_DNS}#53(kube-dns.kube-system.svc.cluster.local) (UDP)`);
    expect(dig(shell, ["@nope.invalid", "web"])).toMatchObject({ exitCode: 10, stderr: "dig: couldn't get address for 'nope.invalid': not found\n" });
  });

  it("refuses an option it does not know, with dig's message, rather than ignoring it", () => {
    expect(dig(shell, ["+frobnicate", "web"])).toEqual({ stdout: "", stderr: "Invalid option: +frobnicate\n", exitCode: 1 });
    expect(dig(shell, ["-q", "web"]).exitCode).toBe(1);
    expect(dig(shell, ["+tries=x", "web"]).exitCode).toBe(1);
  });

  it("times out as dig does when no server answers: +tries × +timeout, one line each, exit 9", () => {
    const quiet = fixtureWorld();
    const pod = podWith("debian:12", quiet);
    const coredns = quiet.cluster("east").api.get("Deployment", "kube-system", "coredns")!;
    quiet.apply("east", [{ ...coredns, spec: { ...coredns.spec, replicas: 0 } }]);
    quiet.runFor(10 * SECOND);
    const before = quiet.sim.now;
    const out = dig(pod, ["+tries=2", "+timeout=3", "web.shop.svc.cluster.local"]);
    expect(out.exitCode).toBe(9);
    expect(out.stdout).toBe(
      `;; communications error to ${KUBE_DNS}#53: timed out\n;; communications error to ${KUBE_DNS}#53: timed out\n\n; <<>> DiG 9.18.24 <<>> +tries=2 +timeout=3 web.shop.svc.cluster.local\n;; global options: +cmd\n;; no servers could be reached\n\n`,
    );
    expect(quiet.sim.now - before).toBe(6 * SECOND);
  });

  it("gives the same output for the same world and seed (determinism)", () => {
    const again = podWith("debian:12", fixtureWorld());
    const first = podWith("debian:12", fixtureWorld());
    expect(dig(again, ["many.shop.svc.cluster.local"])).toEqual(dig(first, ["many.shop.svc.cluster.local"]));
  });
});

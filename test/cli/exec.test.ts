import { describe, expect, it } from "vitest";
import { mcsim } from "./run-mcsim.js";

const FEDERATION = "scenarios/dns-federation.yaml";

describe("mcsim exec (issue 5's done-when: the lesson's federation commands from a pod)", () => {
  it("nslookup myservice.production.svc.us-east.example.com from a busybox pod in cluster-b reaches us-east's Service", () => {
    const local = mcsim(["exec", FEDERATION, "--context", "us-east", "client", "--", "dig", "+short", "myservice.production.svc.cluster.local"]);
    expect(local.status).toBe(0);
    const ip = local.stdout.trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const run = mcsim(["exec", FEDERATION, "--context", "cluster-b", "tmp", "--image", "busybox:1.36", "--", "nslookup", "myservice.production.svc.us-east.example.com"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Server:\t\t10\.\d+\.0\.10\nAddress:\t10\.\d+\.0\.10:53\n/);
    expect(run.stdout).toContain(`Name:\tmyservice.production.svc.us-east.example.com\nAddress: ${ip}\n`);
  });

  it("dig +short myservice.production.svc.cluster-b.local from us-east gives cluster-b's ClusterIP, not us-east's", () => {
    const remote = mcsim(["exec", FEDERATION, "--context", "cluster-b", "tmp", "--image", "debian:12", "--", "dig", "+short", "myservice.production.svc.cluster.local"]);
    const fromEast = mcsim(["exec", FEDERATION, "client", "--", "dig", "+short", "myservice.production.svc.cluster-b.local"]);
    expect(fromEast.status).toBe(0);
    expect(fromEast.stdout).toBe(remote.stdout);
    const local = mcsim(["exec", FEDERATION, "client", "--", "dig", "+short", "myservice.production.svc.cluster.local"]);
    expect(local.stdout).not.toBe(fromEast.stdout);
  });

  it("prints kubectl's 'command terminated with exit code N' and exits with the command's status", () => {
    const run = mcsim(["exec", FEDERATION, "client", "--", "nslookup", "nosuch.production.svc.cluster.local"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("** server can't find nosuch.production.svc.cluster.local: NXDOMAIN");
    expect(run.stderr).toBe("command terminated with exit code 1\n");
  });

  it("during the scenario's partition of eu-west (--at 75s, its cache expired), its names get SERVFAIL while cluster-b's resolve (dns.md §4.1)", () => {
    const cut = mcsim(["exec", FEDERATION, "--at", "75s", "client", "--", "dig", "myservice.production.svc.eu-west.local"]);
    expect(cut.status).toBe(0);
    expect(cut.stdout).toContain("status: SERVFAIL");
    const other = mcsim(["exec", FEDERATION, "--at", "75s", "client", "--", "dig", "+short", "myservice.production.svc.cluster-b.local"]);
    expect(other.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\n$/);
  });

  it("names what is wrong, with exit code 2, for a pod or cluster that does not exist", () => {
    const pod = mcsim(["exec", FEDERATION, "nosuch", "--", "dig", "x"]);
    expect(pod.status).toBe(2);
    expect(pod.stderr).toContain('pods "nosuch" not found in namespace default of cluster us-east');
    expect(pod.stderr).toContain("--image");
    expect(pod.stderr).not.toMatch(/\n\s+at /);
    const cluster = mcsim(["exec", FEDERATION, "--context", "cluster-c", "client", "--", "dig", "x"]);
    expect(cluster.status).toBe(2);
    expect(cluster.stderr).toContain("did you mean cluster-b?");
    const none = mcsim(["exec", FEDERATION, "client"]);
    expect(none.status).toBe(2);
  });
});

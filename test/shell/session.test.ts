import { describe, expect, it } from "vitest";
import { readScenarioFile } from "../../src/cli/scenario-file.js";
import { buildScenarioWorld } from "../../src/scenario/run.js";
import type { World } from "../../src/scenario/world.js";
import { LabShell } from "../../src/shell/session.js";
import { SECOND } from "../../src/sim/time.js";

/** scenarios/mcs.yaml at the end of its warmup: cluster-b and cluster-c export my-api. */
function mcsWorld(): World {
  const { scenario } = readScenarioFile("scenarios/mcs.yaml");
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off" });
  world.runUntil(scenario.spec.warmup);
  return world;
}

/** A shell on a fresh world, and a function running a line that gives what it printed. */
function session(options: { step?: number; files?: Record<string, string> } = {}) {
  const world = mcsWorld();
  let stdout = "";
  let stderr = "";
  const shell = new LabShell({
    world,
    context: "cluster-a",
    ...(options.step === undefined ? {} : { step: options.step }),
    readFile: (p) => options.files?.[p],
    write: (stream, text) => (stream === "stdout" ? (stdout += text) : (stderr += text)),
  });
  const run = (text: string) => {
    stdout = "";
    stderr = "";
    const status = shell.run(text.endsWith("\n") ? text : `${text}\n`);
    return { status, stdout, stderr };
  };
  return { world, shell, run };
}

const EXPORT = `apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata:
  name: my-api
  namespace: production
`;

describe("kubectl contexts in the lab shell", () => {
  it("lists one context per cluster, the current one starred, in kubectl's table", () => {
    const { run, shell } = session();
    expect(shell.prompt).toBe("[cluster-a] $ ");
    expect(run("kubectl config get-contexts").stdout).toBe(
      "CURRENT   NAME        CLUSTER     AUTHINFO    NAMESPACE\n" +
        "*         cluster-a   cluster-a   cluster-a   \n" +
        "          cluster-b   cluster-b   cluster-b   \n" +
        "          cluster-c   cluster-c   cluster-c   \n",
    );
    expect(run("kubectl config get-contexts -o name").stdout).toBe("cluster-a\ncluster-b\ncluster-c\n");
  });

  it("switches with use-context (the prompt follows), reads current-context, and takes --context per command", () => {
    const { run, shell } = session();
    expect(run("kubectl config use-context cluster-c")).toEqual({ status: 0, stdout: 'Switched to context "cluster-c".\n', stderr: "" });
    expect(shell.prompt).toBe("[cluster-c] $ ");
    expect(run("kubectl config current-context").stdout).toBe("cluster-c\n");
    expect(run("kubectl get serviceexports -n production -o name").stdout).toBe("serviceexport.multicluster.x-k8s.io/my-api\nserviceexport.multicluster.x-k8s.io/my-db\n");
    expect(run("kubectl --context cluster-b get serviceexports -n production -o name").stdout).toBe("serviceexport.multicluster.x-k8s.io/my-api\n");
    expect(run("kubectl config current-context").stdout).toBe("cluster-c\n");
  });

  it("fails as kubectl does for a context that does not exist", () => {
    const { run, shell } = session();
    expect(run("kubectl config use-context nosuch")).toEqual({ status: 1, stdout: "", stderr: 'error: no context exists with the name: "nosuch"\n' });
    expect(shell.prompt).toBe("[cluster-a] $ ");
    expect(run("kubectl --context nosuch get pods").stderr).toBe('error: context "nosuch" does not exist\n');
    expect(run("kubectl --context nosuch delete pod x").stderr).toBe('error: context "nosuch" does not exist\n');
  });
});

describe("kubectl apply, delete, scale, label and annotate", () => {
  it("applies a here-document: created, then unchanged, then configured", () => {
    const { run } = session();
    const created = run(`kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lab\n  namespace: production\ndata:\n  a: "1"\nEOF`);
    expect(created).toEqual({ status: 0, stdout: "configmap/lab created\n", stderr: "" });
    expect(run(`kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lab\n  namespace: production\ndata:\n  a: "1"\nEOF`).stdout).toBe("configmap/lab unchanged\n");
    expect(run(`kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lab\n  namespace: production\ndata:\n  a: "2"\nEOF`).stdout).toBe("configmap/lab configured\n");
    expect(run(`kubectl get cm lab -n production -o json | grep '"a"'`).stdout).toBe('        "a": "2"\n');
  });

  it("names the CRD's group in what it prints for a ServiceExport, and reads -f FILE through readFile", () => {
    const { run } = session({ files: { "export.yaml": EXPORT } });
    expect(run("kubectl --context cluster-b apply -f export.yaml").stdout).toBe("serviceexport.multicluster.x-k8s.io/my-api unchanged\n");
    expect(run("kubectl apply -f nosuch.yaml")).toEqual({ status: 1, stdout: "", stderr: 'error: the path "nosuch.yaml" does not exist\n' });
  });

  it("shows the manifest loader's validation errors, and the API server's refusal of a missing namespace", () => {
    const { run } = session();
    const invalid = run(`kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n    - port: http\nEOF`);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/^error: error validating "STDIN": STDIN:7:\d+ \(document 1\): spec\.ports\[0\]\.port: /);
    const missing = run(`kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: nosuch\nEOF`);
    expect(missing).toEqual({ status: 1, stdout: "", stderr: 'Error from server (NotFound): error when creating "STDIN": namespaces "nosuch" not found\n' });
  });

  it("deletes by KIND NAME and KIND/NAME, and says NotFound as the API server does", () => {
    const { run } = session();
    expect(run("kubectl --context cluster-c delete serviceexport my-db -n production")).toEqual({ status: 0, stdout: 'serviceexport.multicluster.x-k8s.io "my-db" deleted\n', stderr: "" });
    expect(run("kubectl --context cluster-c delete svcex/my-db -n production")).toEqual({
      status: 1,
      stdout: "",
      stderr: 'Error from server (NotFound): serviceexports.multicluster.x-k8s.io "my-db" not found\n',
    });
    expect(run("kubectl delete pods").stderr).toBe("error: resource(s) were provided, but no name was specified\n");
    expect(run("kubectl delete widgets x").stderr).toBe('error: the server doesn\'t have a resource type "widgets"\n');
  });

  it("scales a Deployment, whose pods then follow", () => {
    const { run } = session({ step: 5 * SECOND });
    expect(run("kubectl --context cluster-b scale deployment my-api -n production --replicas=1")).toEqual({ status: 0, stdout: "deployment.apps/my-api scaled\n", stderr: "" });
    expect(run("kubectl --context cluster-b get pods -n production --no-headers | wc -l").stdout).toBe("1\n");
    expect(run("kubectl scale deploy/my-api --replicas=x").stderr).toBe('error: invalid argument "x" for "--replicas" flag: strconv.ParseInt: parsing "x": invalid syntax\n');
    expect(run("kubectl scale deploy/nosuch --replicas=2").stderr).toBe('Error from server (NotFound): deployments.apps "nosuch" not found\n');
  });

  it("labels and annotates: k=v sets, k- removes, --overwrite to change a value", () => {
    const { run } = session();
    expect(run("kubectl label pod client -n production tier=front").stdout).toBe("pod/client labeled\n");
    expect(run("kubectl get pod client -n production --show-labels --no-headers | grep -c tier=front").stdout).toBe("1\n");
    expect(run("kubectl label pod/client -n production tier=back").stderr).toBe("error: 'tier' already has a value (front), and --overwrite is false\n");
    expect(run("kubectl label pod/client -n production tier=back --overwrite").stdout).toBe("pod/client labeled\n");
    expect(run("kubectl label pod/client -n production tier-").stdout).toBe("pod/client unlabeled\n");
    expect(run("kubectl label pod/client -n production tier-").stdout).toBe("pod/client not labeled\n");
    expect(run("kubectl annotate pod client -n production note=hi").stdout).toBe("pod/client annotated\n");
    expect(run("kubectl get pod client -n production -o yaml | grep note").stdout).toBe("    note: hi\n");
  });
});

describe("kubectl exec and run", () => {
  it("runs busybox nslookup in a --rm pod, which is gone afterwards, so exec then fails with NotFound", () => {
    const { run } = session();
    const r = run("kubectl run dns-test --rm -it --image=busybox -n production -- nslookup my-api.production.svc.clusterset.local");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Server:\t\t10\.\d+\.0\.10\n/);
    expect(r.stdout).toMatch(/Name:\tmy-api\.production\.svc\.clusterset\.local\nAddress: 10\.\d+\.\d+\.\d+\n/);
    expect(r.stdout.endsWith('pod "dns-test" deleted\n')).toBe(true);
    expect(run("kubectl exec -it dns-test -n production -- dig +short my-api.production.svc.clusterset.local")).toEqual({
      status: 1,
      stdout: "",
      stderr: 'Error from server (NotFound): pods "dns-test" not found\n',
    });
  });

  it("has no dig in a busybox pod, and BIND's dig in a debian one", () => {
    const { run } = session();
    expect(run("kubectl run bb --image=busybox:1.36 -n production").stdout).toBe("pod/bb created\n");
    const noDig = run("kubectl exec -it bb -n production -- dig +short my-api.production.svc.clusterset.local");
    expect(noDig.status).toBe(126);
    expect(noDig.stderr).toBe('OCI runtime exec failed: exec failed: unable to start container process: exec: "dig": executable file not found in $PATH: unknown\ncommand terminated with exit code 126\n');
    run("kubectl run tools --image=debian:12 -n production");
    expect(run("kubectl exec tools -n production -- dig +short my-api.production.svc.clusterset.local").stdout).toMatch(/^10\.\d+\.\d+\.\d+\n$/);
    expect(run("kubectl exec tools -n production -- cat /etc/resolv.conf | head -n 1").stdout).toBe("search production.svc.cluster.local svc.cluster.local cluster.local\n");
    expect(run("kubectl run tools --image=debian:12 -n production").stderr).toBe('Error from server (AlreadyExists): pods "tools" already exists\n');
    expect(run("kubectl run x --rm --image=busybox -- true").stderr).toBe("error: --rm should only be used for attached containers\n");
    expect(run("kubectl exec tools -n production dig").stderr).toBe("error: give the command after --, as in kubectl exec POD -- COMMAND [args...]\n");
  });
});

describe("the simulated clock in the lab shell", () => {
  it("mcsim time prints it; mcsim advance and sleep run it on; each kubectl command runs it on by the step", () => {
    const { run } = session();
    expect(run("mcsim time").stdout).toBe("15s\n");
    expect(run("mcsim advance 30s").stdout).toBe("45s\n");
    expect(run("sleep 5; sleep 0.5; mcsim time").stdout).toBe("50.5s\n");
    run("kubectl get pods; kubectl get svc");
    expect(run("mcsim time").stdout).toBe("52.5s\n");
    expect(run("echo a | grep a; export X=1; mcsim time").stdout).toBe("a\n52.5s\n");
    expect(run("mcsim advance soon")).toMatchObject({ status: 2, stderr: expect.stringMatching(/^mcsim shell: mcsim advance: /) });
    expect(run("sleep x").stderr).toBe("sleep: invalid time interval 'x'\n");
  });

  it("takes a step of 0 for a clock that only sleep and mcsim advance move", () => {
    const { run } = session({ step: 0 });
    run("kubectl get pods; kubectl get pods");
    expect(run("mcsim time").stdout).toBe("15s\n");
  });

  it("shows propagation: a Service exported in cluster-a is imported after the agents sync", () => {
    const { run } = session();
    const applied = run(
      `kubectl apply -f - <<'MCS'\napiVersion: v1\nkind: Service\nmetadata:\n  name: lab-api\n  namespace: production\nspec:\n  ports:\n    - port: 80\n---\napiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata:\n  name: lab-api\n  namespace: production\nMCS`,
    );
    expect(applied.stdout).toBe("service/lab-api created\nserviceexport.multicluster.x-k8s.io/lab-api created\n");
    run("sleep 5");
    expect(run("kubectl get serviceimports -A --no-headers | grep -c lab-api").stdout).toBe("1\n");
  });
});

describe("the lab shell's own commands", () => {
  it("runs && and || by the last status, and $? expands to it", () => {
    const { run } = session();
    expect(run("false && echo no || echo yes; echo $?").stdout).toBe("yes\n0\n");
    expect(run("kubectl get pods nosuch; echo status $?").stdout).toBe("status 1\n");
    expect(run("export NS=production; kubectl get pods -n $NS -o name").stdout).toBe("pod/client\n");
    expect(run('export MSG="two words"; echo "$MSG"').stdout).toBe("two words\n");
  });

  it("filters with grep -i, -v, -E, -c, head -n, tail -n and wc -l", () => {
    const { run } = session();
    expect(run(`kubectl get ns --no-headers | grep -E '^(default|kube-system) ' | wc -l`).stdout).toBe("2\n");
    expect(run(`kubectl get ns --no-headers | grep -v kube | head -n 1 | grep -o x`).stderr).toBe("grep: invalid option -- 'o'\nUsage: grep [OPTION]... PATTERNS\n");
    expect(run(`kubectl get ns --no-headers | tail -n 1`).stdout).toMatch(/^production +Active +\d+s\n$/);
    expect(run(`kubectl get ns | grep -i NAME`).stdout).toMatch(/^NAME +STATUS +AGE\n$/);
    expect(run(`kubectl get ns | grep -c kube`).stdout).toBe("3\n");
    expect(run(`kubectl get ns | grep nothing-like-it`).status).toBe(1);
    expect(run(`kubectl get ns | head -2 | wc -l`).stdout).toBe("2\n");
  });

  it("says what is unsupported or unknown in one line, with sh's statuses", () => {
    const { run } = session();
    expect(run("kubectl get pods > pods.txt")).toEqual({ status: 2, stdout: "", stderr: expect.stringMatching(/^mcsim shell: redirecting output to a file \(>\) is not supported[^\n]*\n$/) });
    expect(run("kubectl get pods -n production | jq .")).toEqual({ status: 127, stdout: "", stderr: "mcsim shell: jq: command not found (the lab shell pipes into grep, head, tail, wc and cat)\n" });
    expect(run("dig example.com").stderr).toBe("mcsim shell: dig: command not found here: run it inside a pod, as in kubectl exec POD -- dig ..., or kubectl run tmp --rm -it --image=debian:12 -- dig ...\n");
    expect(run("for i in 1 2; do echo $i; done").stderr).toMatch(/^mcsim shell: for: sh's control flow/);
    expect(run("kubectl frobnicate").stderr).toBe('error: unknown command "frobnicate" for "kubectl"\n');
    expect(run("kubectl toString").stderr).toBe('error: unknown command "toString" for "kubectl"\n');
  });

  it("completes commands, kubectl verbs, resource types, object names and contexts", () => {
    const { shell } = session();
    expect(shell.complete("kub")).toEqual([["kubectl"], "kub"]);
    expect(shell.complete("kubectl ge")).toEqual([["get"], "ge"]);
    expect(shell.complete("kubectl get serviceim")).toEqual([["serviceimports"], "serviceim"]);
    expect(shell.complete("kubectl get pods -n production cl")).toEqual([["client"], "cl"]);
    expect(shell.complete("kubectl --context cluster-b get deploy -n production my")).toEqual([["my-api"], "my"]);
    expect(shell.complete("kubectl config use-context cluster-")).toEqual([["cluster-a", "cluster-b", "cluster-c"], "cluster-"]);
    expect(shell.complete("kubectl get pods | gr")).toEqual([["grep"], "gr"]);
    expect(shell.complete("mcsim a")).toEqual([["advance"], "a"]);
  });
});

import type { ToolOutput } from "../dns/format/output.js";
import type { Pod } from "../k8s/objects.js";
import { SECOND } from "../sim/time.js";
import { runUntilDone } from "../dns/client-socket.js";
import type { World } from "../scenario/world.js";
import { dig } from "./dig.js";
import { curl, wget } from "./curl.js";
import { host } from "./host.js";
import { imageHas, type PodTool } from "./images.js";
import { nslookup } from "./nslookup.js";
import { podShell, type PodShell } from "./pod.js";

/**
 * A command run inside a pod, as `kubectl exec POD -- CMD ARGS` runs it: the DNS tools (`dig`,
 * `nslookup`, `host`), the HTTP clients (`curl`, `wget`) and `cat /etc/resolv.conf`. A program
 * the image does not have ({@link imageHas}) fails as the container runtime fails it, with exit
 * status 126: busybox and Alpine images have busybox's `nslookup` and `wget` but no `dig` or
 * `curl`, which is where the lesson's `kubectl exec -it dns-test -- dig ...` in a busybox pod fails.
 */
export function execInPod(shell: PodShell, argv: readonly string[]): ToolOutput {
  const [command, ...args] = argv;
  switch (command) {
    case "dig":
    case "host":
    case "curl":
    case "wget":
    case "nslookup": {
      if (!imageHas(shell.image, command)) return notInImage(command);
      return POD_TOOLS[command](shell, args);
    }
    case "cat":
      return cat(shell, args);
    default:
      return notInImage(command ?? "");
  }
}

/** The network tools, each as the image's build of it behaves. */
const POD_TOOLS: Readonly<Record<PodTool, (shell: PodShell, args: readonly string[]) => ToolOutput>> = { dig, host, curl, wget, nslookup };

/** The container runtime's refusal of a program the image does not have. */
function notInImage(command: string): ToolOutput {
  return {
    stdout: "",
    stderr: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${command}": executable file not found in $PATH: unknown\n`,
    exitCode: 126,
  };
}

/** The files of a pod a lesson reads. */
function cat(shell: PodShell, args: readonly string[]): ToolOutput {
  let stdout = "";
  let stderr = "";
  for (const file of args) {
    if (file === "/etc/resolv.conf") stdout += shell.resolvConf;
    else stderr += `cat: can't open '${file}': No such file or directory\n`;
  }
  return { stdout, stderr, exitCode: stderr ? 1 : 0 };
}

/** How long a pod started for a command may take to run before the start is given up. */
const START_LIMIT = 120 * SECOND;

/**
 * Starts a pod as `kubectl run NAME --image=IMAGE` does (default DNS policy, one container) and
 * runs the clock until it runs, for a command to run in it.
 *
 * @throws WorldError (from {@link podShell}) when it is not running within two simulated minutes.
 */
export function startPod(world: World, cluster: string, namespace: string, name: string, image: string): PodShell {
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { run: name } },
    spec: { containers: [{ name, image }], dnsPolicy: "ClusterFirst" },
  };
  world.apply(cluster, [pod]);
  const c = world.cluster(cluster);
  const sim = world.sim;
  const stop = c.watch("Pod", `shell/start/${name}`, () => {
    if (c.podHost(namespace, name)) sim.stop("the pod runs");
  });
  runUntilDone(sim, () => c.podHost(namespace, name) !== undefined, sim.now + START_LIMIT);
  stop();
  return podShell(world, cluster, `${namespace}/${name}`);
}

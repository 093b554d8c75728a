import type { ToolOutput } from "../../dns/format/output.js";
import { WorldError } from "../../scenario/world.js";
import { execInPod, startPod } from "../exec.js";
import { podShell } from "../pod.js";
import { contextCluster, KubectlError, parseFlags } from "./flags.js";
import type { KubectlTarget } from "./kubectl.js";

/**
 * `kubectl exec` and `kubectl run`: commands inside pods, through {@link execInPod} (the tools
 * behave by the pod's image). Both take simulated time: `run` waits until its pod runs, and the
 * tools until their replies arrive.
 */

const ATTACH = { "-i": "stdin", "--stdin": "stdin", "-t": "tty", "--tty": "tty", "-q": "quiet", "--quiet": "quiet" };

/** A command's output as kubectl exec passes it on: `command terminated with exit code N` when it failed. */
function passOn(out: ToolOutput): ToolOutput {
  return out.exitCode === 0 ? out : { ...out, stderr: `${out.stderr}command terminated with exit code ${out.exitCode}\n` };
}

/** `kubectl exec [-it] POD [-c CONTAINER] -- CMD ARGS`. */
export function exec(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, { values: { "-c": "container", "--container": "container" }, switches: ATTACH });
  const context = f.values.get("context") ?? target.context;
  const cluster = contextCluster(target.world.clusters, context);
  const namespace = f.values.get("namespace") ?? "default";
  const [ref, ...extra] = f.words;
  if (ref === undefined) throw new KubectlError("exec requires a pod: kubectl exec POD -- COMMAND [args...]");
  if (extra.length > 0 || f.command === undefined) throw new KubectlError("give the command after --, as in kubectl exec POD -- COMMAND [args...]");
  if (f.command.length === 0) throw new KubectlError("you must specify at least one command for the container");
  const name = ref.startsWith("pod/") || ref.startsWith("pods/") ? ref.slice(ref.indexOf("/") + 1) : ref;
  if (!cluster.api.get("Pod", namespace, name)) return notFound(name);
  if (!cluster.podHost(namespace, name)) throw new KubectlError(`unable to upgrade connection: container not found ("${name}")`);
  return passOn(execInPod(podShell(target.world, context, `${namespace}/${name}`), f.command));
}

/**
 * `kubectl run NAME --image=IMAGE [--rm] [-it] [-- CMD ARGS]`: starts a pod and waits until it
 * runs. Attached (`-i`), it runs the command in it and prints its output; with `--rm` it then
 * deletes the pod. Detached, the pod keeps running (as `sleep infinity` would), for `exec`.
 */
export function run(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, {
    values: { "--image": "image", "--restart": "restart", "--labels": "labels" },
    switches: { ...ATTACH, "--rm": "rm", "--command": "command" },
  });
  const context = f.values.get("context") ?? target.context;
  const cluster = contextCluster(target.world.clusters, context);
  const namespace = f.values.get("namespace") ?? "default";
  const [name, ...extra] = f.words;
  if (name === undefined) throw new KubectlError("NAME is required for run");
  if (extra.length > 0) throw new KubectlError(`give the command after --, as in kubectl run ${name} --image=IMAGE -- COMMAND [args...]`);
  const image = f.values.get("image");
  if (image === undefined) throw new KubectlError('required flag(s) "image" not set');
  const attach = f.switches.has("stdin");
  if (f.switches.has("rm") && !attach) throw new KubectlError("--rm should only be used for attached containers");
  if (attach && (f.command === undefined || f.command.length === 0)) {
    throw new KubectlError(`an interactive shell inside a pod is not supported here: give the command after --, as in kubectl run ${name} --rm -it --image=${image} -- nslookup NAME`);
  }
  if (!cluster.api.get("Namespace", "", namespace)) return { stdout: "", stderr: `Error from server (NotFound): namespaces "${namespace}" not found\n`, exitCode: 1 };
  if (cluster.api.get("Pod", namespace, name)) return { stdout: "", stderr: `Error from server (AlreadyExists): pods "${name}" already exists\n`, exitCode: 1 };
  let shell;
  try {
    shell = startPod(target.world, context, namespace, name, image);
  } catch (e) {
    if (e instanceof WorldError) throw new KubectlError(`timed out waiting for the condition (pod ${namespace}/${name} is not running)`);
    throw e;
  }
  if (!attach) return { stdout: `pod/${name} created\n`, stderr: "", exitCode: 0 };
  const out = execInPod(shell, f.command!);
  if (!f.switches.has("rm")) return out;
  cluster.api.delete("Pod", namespace, name);
  const failed = out.exitCode === 0 ? "" : `pod ${namespace}/${name} terminated (Error)\n`;
  return { stdout: `${out.stdout}pod "${name}" deleted\n`, stderr: `${out.stderr}${failed}`, exitCode: out.exitCode };
}

function notFound(pod: string): ToolOutput {
  return { stdout: "", stderr: `Error from server (NotFound): pods "${pod}" not found\n`, exitCode: 1 };
}

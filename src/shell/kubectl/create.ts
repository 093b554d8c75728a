import type { ToolOutput } from "../../dns/format/output.js";
import { ApiError } from "../../k8s/apiserver.js";
import type { ConfigMap, Deployment, K8sObject, Namespace, Service } from "../../k8s/objects.js";
import { formatTimestamp } from "../../k8s/timestamp.js";
import { contextCluster, KubectlError, namedObjects, objectRef, parseFlags, typeName } from "./flags.js";
import type { KubectlTarget } from "./kubectl.js";

/**
 * `kubectl create`: the generators a lesson uses (`namespace`, `deployment --image`, `service
 * clusterip --tcp`, `configmap --from-literal`), each making the object kubectl's generator
 * makes, and `kubectl rollout restart`, which stamps the pod template as kubectl does so that the
 * Deployment controller replaces every pod with new ones under a new template hash.
 */

/** `create namespace|deployment|service clusterip|configmap NAME ...`. */
export function create(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, {
    values: { "--image": "image", "--replicas": "replicas", "--port": "port", "--tcp": "tcp", "--from-literal": "literal", "--clusterip": "clusterip" },
  });
  const cluster = contextCluster(target.world.clusters, f.values.get("context") ?? target.context);
  const namespace = f.values.get("namespace") ?? "default";
  const [what, ...rest] = f.words;
  const named = (words: readonly string[], usage: string): string => {
    if (words.length !== 1) throw new KubectlError(`exactly one NAME is required, got ${words.length}\nSee 'kubectl create ${usage} -h' for help and examples`);
    return words[0]!;
  };
  let object: K8sObject;
  switch (what) {
    case "namespace":
    case "ns":
      object = { apiVersion: "v1", kind: "Namespace", metadata: { name: named(rest, "namespace") } } satisfies Namespace;
      break;
    case "deployment":
    case "deploy":
      object = deployment(named(rest, "deployment"), namespace, f.values);
      break;
    case "configmap":
    case "cm": {
      const data: Record<string, string> = {};
      // Several --from-literal flags: parseFlags keeps the last, so read them all from args.
      for (const literal of allValues(args, "--from-literal")) {
        const eq = literal.indexOf("=");
        if (eq <= 0) throw new KubectlError(`invalid literal source ${literal}, expected key=value`);
        data[literal.slice(0, eq)] = literal.slice(eq + 1);
      }
      object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: named(rest, "configmap"), namespace }, data } satisfies ConfigMap;
      break;
    }
    case "service":
    case "svc": {
      const [type, ...names] = rest;
      if (type !== "clusterip") throw new KubectlError(`kubectl create service ${type ?? ""}: this kubectl creates clusterip services (kubectl create service clusterip NAME --tcp=PORT:TARGET)`);
      object = clusterIpService(named(names, "service clusterip"), namespace, allValues(args, "--tcp"), f.values.get("clusterip"));
      break;
    }
    case undefined:
      throw new KubectlError("must specify one of -f and -k, or a resource to create: namespace, deployment, service clusterip, configmap");
    default:
      throw new KubectlError(`unknown command "${what}" for "kubectl create" (this kubectl creates namespace, deployment, service clusterip, configmap)`);
  }
  try {
    cluster.api.create(object);
  } catch (e) {
    if (e instanceof ApiError) return { stdout: "", stderr: `${e.message}\n`, exitCode: 1 };
    throw e;
  }
  return { stdout: `${objectRef(object)} created\n`, stderr: "", exitCode: 0 };
}

/** Every value of a flag given more than once (`--from-literal=a=1 --from-literal b=2`). */
function allValues(args: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") break;
    if (args[i] === flag && args[i + 1] !== undefined) out.push(args[++i]!);
    else if (args[i]!.startsWith(`${flag}=`)) out.push(args[i]!.slice(flag.length + 1));
  }
  return out;
}

/** kubectl's deployment generator: label `app: NAME`, one container named after the image. */
function deployment(name: string, namespace: string, values: ReadonlyMap<string, string>): Deployment {
  const image = values.get("image");
  if (image === undefined) throw new KubectlError('required flag(s) "image" not set');
  const replicas = values.get("replicas") ?? "1";
  if (!/^\d+$/.test(replicas)) throw new KubectlError(`invalid argument "${replicas}" for "-r, --replicas" flag: strconv.ParseInt: parsing "${replicas}": invalid syntax`);
  const port = values.get("port");
  // create_deployment.go buildPodSpec: the image's last path element, without tag or digest.
  const container = image.split("/").pop()!.split(/[:@]/)[0]!.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas: Number(replicas),
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: container, image, ...(port ? { ports: [{ containerPort: Number(port) }] } : {}) }] } },
    },
  };
}

/** kubectl's clusterip generator: selector `app: NAME`, ports named `PORT-TARGET`. */
function clusterIpService(name: string, namespace: string, tcp: readonly string[], clusterIP: string | undefined): Service {
  if (tcp.length === 0 && clusterIP !== "None") throw new KubectlError("at least one tcp port specifier must be provided");
  const ports = tcp.map((spec) => {
    const [port, target = port] = spec.split(":");
    if (!/^\d+$/.test(port ?? "") || !/^\d+$/.test(target ?? "")) throw new KubectlError(`invalid port specifier ${spec}`);
    return { name: `${port}-${target}`, protocol: "TCP" as const, port: Number(port), targetPort: Number(target) };
  });
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels: { app: name } },
    spec: { type: "ClusterIP", selector: { app: name }, ports, ...(clusterIP !== undefined ? { clusterIP } : {}) },
  };
}

/** `kubectl rollout restart deployment/NAME`: the `kubectl.kubernetes.io/restartedAt` annotation on the pod template. */
export function rollout(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, {});
  const [sub, ...refs] = f.words;
  if (sub !== "restart") throw new KubectlError(sub === undefined ? "you must specify a rollout command: kubectl rollout restart deployment/NAME" : `unknown command "${sub}" for "kubectl rollout" (this kubectl knows restart)`);
  const cluster = contextCluster(target.world.clusters, f.values.get("context") ?? target.context);
  const namespace = f.values.get("namespace") ?? "default";
  const lines: string[] = [];
  const errors: string[] = [];
  for (const t of namedObjects(refs)) {
    // mcsim's StatefulSet controller does not roll its pods on a template change; its Deployment controller does.
    if (t.kind !== "Deployment") throw new KubectlError(`restarting is not supported for ${typeName(t.kind)} here: kubectl rollout restart deployment/NAME`);
    const o = cluster.api.get(t.kind, namespace, t.name);
    if (!o) {
      errors.push(`Error from server (NotFound): deployments.apps "${t.name}" not found`);
      continue;
    }
    const copy = JSON.parse(JSON.stringify(o)) as Deployment;
    const meta = (copy.spec.template.metadata ??= {});
    meta.annotations = { ...meta.annotations, "kubectl.kubernetes.io/restartedAt": formatTimestamp(target.world.sim.now) };
    cluster.api.update(copy);
    lines.push(`${objectRef(copy)} restarted`);
  }
  return { stdout: lines.map((l) => `${l}\n`).join(""), stderr: errors.map((e) => `${e}\n`).join(""), exitCode: errors.length > 0 ? 1 : 0 };
}

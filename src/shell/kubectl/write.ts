import type { ToolOutput } from "../../dns/format/output.js";
import { ApiError, cloneData, qualifiedResource } from "../../k8s/apiserver.js";
import type { KubeCluster } from "../../k8s/cluster.js";
import { loadManifests, ManifestError } from "../../k8s/manifest.js";
import { NAMESPACED, type K8sObject, type Kind } from "../../k8s/objects.js";
import { contextCluster, KubectlError, namedObjects, objectRef, parseFlags, typeName, type ParsedFlags } from "./flags.js";
import type { KubectlTarget } from "./kubectl.js";

/**
 * The verbs that change objects: `apply -f FILE|-`, `delete`, `scale`, `label` and `annotate`,
 * through the cluster's API server (so its admission and validation apply), printing what
 * kubectl prints for each object (`deployment.apps/web scaled`).
 */

const FILE_FLAGS = { "-f": "file", "--filename": "file" };

/** The cluster a verb's `--context` (or the current context) names. */
function clusterOf(target: KubectlTarget, f: ParsedFlags): KubeCluster {
  return contextCluster(target.world.clusters, f.values.get("context") ?? target.context);
}

/**
 * The objects of `-f FILE` or `-f -` (stdin, named `STDIN` in messages as kubectl names it),
 * through the manifest loader, so a manifest the scenario loader would refuse is refused here.
 * With `-n`, objects left in the loader's default namespace go to that namespace instead.
 */
function objectsOf(target: KubectlTarget, f: ParsedFlags, verb: string): { objects: K8sObject[]; source: string } {
  const file = f.values.get("file");
  if (file === undefined) throw new KubectlError(`must specify one of -f and -k\n\nerror: kubectl ${verb} -f FILE, or -f - to read stdin (a here-document)`);
  const source = file === "-" ? "STDIN" : file;
  const text = file === "-" ? (target.stdin ?? "") : target.readFile?.(file);
  if (text === undefined) throw new KubectlError(`the path "${file}" does not exist`);
  let objects: K8sObject[];
  try {
    objects = loadManifests(text, source);
  } catch (e) {
    if (e instanceof ManifestError) throw new KubectlError(`error validating "${source}": ${e.message}`);
    throw e;
  }
  if (objects.length === 0) throw new KubectlError(`no objects passed to ${verb}`);
  const namespace = f.values.get("namespace");
  if (namespace !== undefined) {
    for (const o of objects) if (NAMESPACED.has(o.kind) && o.metadata.namespace === "default") o.metadata.namespace = namespace;
  }
  return { objects, source };
}

/** Prints each object's line, and the API server's refusals on stderr (exit 1 when there is one). */
function report(lines: readonly string[], errors: readonly string[]): ToolOutput {
  return { stdout: lines.map((l) => `${l}\n`).join(""), stderr: errors.map((e) => `${e}\n`).join(""), exitCode: errors.length > 0 ? 1 : 0 };
}

/** `kubectl apply -f FILE|-`: each object `created`, `configured` or `unchanged`. */
export function apply(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, { values: FILE_FLAGS });
  if (f.words.length > 0) throw new KubectlError(`Unexpected args: [${f.words.join(" ")}]`);
  const cluster = clusterOf(target, f);
  const { objects, source } = objectsOf(target, f, "apply");
  const lines: string[] = [];
  const errors: string[] = [];
  for (const object of objects) {
    const before = cluster.api.get(object.kind, object.metadata.namespace ?? "", object.metadata.name);
    try {
      const after = cluster.api.apply(object);
      // The API server hands back the stored object itself when an update changes nothing.
      lines.push(`${objectRef(object)} ${before === undefined ? "created" : after === before ? "unchanged" : "configured"}`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      errors.push(`Error from server (${e.reason}): error when ${before === undefined ? "creating" : "applying patch to"} "${source}": ${e.detail}`);
    }
  }
  return report(lines, errors);
}

/** `kubectl delete KIND NAME... | KIND/NAME... | -f FILE|-`. */
export function del(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, { values: FILE_FLAGS, switches: { "--ignore-not-found": "ignoreNotFound", "--now": "now", "--wait": "wait" } });
  const cluster = clusterOf(target, f);
  const namespace = f.values.get("namespace") ?? "default";
  const targets = f.values.has("file")
    ? objectsOf(target, f, "delete").objects.map((o) => ({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? namespace }))
    : namedObjects(f.words).map((o) => ({ ...o, namespace }));
  const lines: string[] = [];
  const errors: string[] = [];
  for (const t of targets) {
    try {
      cluster.api.delete(t.kind, t.namespace, t.name);
      lines.push(`${typeName(t.kind)} "${t.name}" deleted`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (!(e.reason === "NotFound" && f.switches.has("ignoreNotFound"))) errors.push(e.message);
    }
  }
  return report(lines, errors);
}

/** The object a verb changes, or kubectl's NotFound. */
function existing(cluster: KubeCluster, kind: Kind, namespace: string, name: string): K8sObject {
  const o = cluster.api.get(kind, namespace, name);
  if (!o) throw new ApiError("NotFound", `${qualifiedResource(kind)} "${name}" not found`);
  return cloneData(o) as K8sObject;
}

/** `kubectl scale deployment|statefulset NAME --replicas=N`. */
export function scale(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, { values: { "--replicas": "replicas" } });
  const cluster = clusterOf(target, f);
  const replicas = f.values.get("replicas");
  if (replicas === undefined) throw new KubectlError('required flag(s) "replicas" not set');
  if (!/^\d+$/.test(replicas)) throw new KubectlError(`invalid argument "${replicas}" for "--replicas" flag: strconv.ParseInt: parsing "${replicas}": invalid syntax`);
  const lines: string[] = [];
  const errors: string[] = [];
  for (const t of namedObjects(f.words)) {
    if (t.kind !== "Deployment" && t.kind !== "StatefulSet") throw new KubectlError(`cannot scale ${typeName(t.kind)}: only deployments and statefulsets scale`);
    try {
      const o = existing(cluster, t.kind, f.values.get("namespace") ?? "default", t.name);
      if (o.kind === "Deployment" || o.kind === "StatefulSet") o.spec.replicas = Number(replicas);
      cluster.api.update(o);
      lines.push(`${objectRef(o)} scaled`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      errors.push(e.message);
    }
  }
  return report(lines, errors);
}

/** `kubectl label` and `kubectl annotate`: `KEY=VALUE` sets, `KEY-` removes, `--overwrite` to change a value. */
export function relabel(field: "labels" | "annotations", target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, { switches: { "--overwrite": "overwrite" } });
  const cluster = clusterOf(target, f);
  const isChange = (w: string) => w.includes("=") || (w.endsWith("-") && w.length > 1);
  const refs = f.words.filter((w, i) => i === 0 || !isChange(w));
  const changes = f.words.filter((w, i) => i > 0 && isChange(w));
  const what = field === "labels" ? "label" : "annotation";
  if (changes.length === 0) throw new KubectlError(`at least one ${what} update is required`);
  const lines: string[] = [];
  const errors: string[] = [];
  for (const t of namedObjects(refs)) {
    try {
      const o = existing(cluster, t.kind, f.values.get("namespace") ?? "default", t.name);
      const map: Record<string, string> = { ...o.metadata[field] };
      for (const c of changes) {
        const eq = c.indexOf("=");
        if (eq < 0) {
          delete map[c.slice(0, -1)];
          continue;
        }
        const [key, value] = [c.slice(0, eq), c.slice(eq + 1)];
        if (map[key] !== undefined && map[key] !== value && !f.switches.has("overwrite")) {
          throw new KubectlError(`'${key}' already has a value (${map[key]}), and --overwrite is false`);
        }
        map[key] = value;
      }
      o.metadata[field] = map;
      const before = cluster.api.get(t.kind, o.metadata.namespace ?? "", t.name);
      const after = cluster.api.update(o);
      const verb = field === "labels" ? (changes.every((c) => !c.includes("=")) ? "unlabeled" : "labeled") : "annotated";
      lines.push(`${objectRef(o)} ${after === before ? `not ${field === "labels" ? "labeled" : "annotated"}` : verb}`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      errors.push(e.message);
    }
  }
  return report(lines, errors);
}

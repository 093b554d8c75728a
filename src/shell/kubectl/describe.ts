import { createHash } from "node:crypto";
import type { ToolOutput } from "../../dns/format/output.js";
import type { KubeCluster } from "../../k8s/cluster.js";
import { matchesSelector } from "../../k8s/labels.js";
import { NAMESPACED, type ConfigMap, type Container, type Deployment, type K8sObject, type Pod, type Service } from "../../k8s/objects.js";
import { civilTime, parseTimestamp, SIM_EPOCH_UNIX_SECONDS, twoDigits } from "../../k8s/timestamp.js";
import { POD_TEMPLATE_HASH } from "../../k8s/workloads.js";
import { contextCluster, KubectlError, parseFlags } from "./flags.js";
import type { KubectlTarget } from "./kubectl.js";
import { firstThree, podReady, qualifiedName, readyAddresses, resourceType, type ResourceType } from "./resources.js";
import { parseSelector } from "./selector.js";
import { tabwriteBlocks } from "./tabwriter.js";

/**
 * `kubectl describe TYPE [NAME_PREFIX...]` and `TYPE/NAME`: the describers of kubectl's
 * `pkg/describe/describe.go` for pods, services, endpoints, deployments and configmaps, and its
 * generic describer (every field of the object, labels made from the camelCase keys) for the
 * rest: the MCS kinds, Istio's, secrets and namespaces. Each is laid out through Go's tabwriter
 * as kubectl's is. mcsim records no Events, so each ends `Events: <none>`.
 */

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A timestamp as Go's time.RFC1123Z writes it: `Thu, 01 Jan 2026 00:00:05 +0000`. */
function rfc1123z(timestamp: string | undefined): string {
  const t = parseTimestamp(timestamp ?? "");
  if (t === undefined) return "<unknown>";
  const c = civilTime(SIM_EPOCH_UNIX_SECONDS + Math.floor(t / 1_000_000));
  return `${WEEKDAYS[c.weekday]}, ${twoDigits(c.day)} ${MONTHS[c.month - 1]} ${c.year} ${twoDigits(c.hour)}:${twoDigits(c.minute)}:${twoDigits(c.second)} +0000`;
}

/** kubectl's describe output, a line at a time: `Key:\tvalue` cells, aligned by {@link tabwriteBlocks} at the end. */
class Lines {
  text = "";
  write(level: number, line: string): void {
    this.text += `${"  ".repeat(level)}${line}\n`;
  }
  /** printLabelsMultiline: sorted `key=value`, one a line, or `<none>`. */
  map(title: string, map: Readonly<Record<string, string>> | undefined, sep = "="): void {
    const keys = Object.keys(map ?? {}).sort();
    if (keys.length === 0) this.write(0, `${title}:\t<none>`);
    keys.forEach((k, i) => this.write(0, `${i === 0 ? `${title}:` : ""}\t${k}${sep}${map![k]}`));
  }
  meta(o: Readonly<K8sObject>): void {
    this.write(0, `Name:\t${o.metadata.name}`);
    if (NAMESPACED.has(o.kind)) this.write(0, `Namespace:\t${o.metadata.namespace ?? "default"}`);
  }
  labels(o: Readonly<K8sObject>): void {
    this.map("Labels", o.metadata.labels);
    this.map("Annotations", o.metadata.annotations, ": ");
  }
  events(): string {
    this.write(0, "Events:\t<none>");
    return tabwriteBlocks(this.text);
  }
}

function formatLabels(map: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${v}`).join(",");
}

/** A container runtime's id for a container: derived from the pod's uid, so it is stable. */
function containerId(pod: Readonly<Pod>, c: Container): string {
  return createHash("sha256").update(`${pod.metadata.uid ?? pod.metadata.name}/${c.name}`).digest("hex");
}

function imageId(image: string): string {
  const repo = image.replace(/:[^/:]+$/, "");
  const full = repo.includes("/") ? (/^[^/]+\.[^/]+\//.test(repo) ? repo : `docker.io/${repo}`) : `docker.io/library/${repo}`;
  return `${full}@sha256:${createHash("sha256").update(image).digest("hex")}`;
}

/** describeContainers: each container's image, ports, command, state, environment and mounts. */
function containers(w: Lines, list: readonly Container[], space: string, pod?: Readonly<Pod>): void {
  w.write(0, `${space}Containers:`);
  for (const c of list) {
    w.write(1, `${space ? " " : ""}${c.name}:`);
    const running = pod?.status?.phase === "Running";
    if (pod) w.write(2, `Container ID:\t${running ? `containerd://${containerId(pod, c)}` : ""}`);
    w.write(2, `Image:\t${c.image}`);
    if (pod) w.write(2, `Image ID:\t${running ? imageId(c.image) : ""}`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? "TCP"}`);
    w.write(2, `${ports.length > 1 ? "Ports" : "Port"}:\t${ports.join(", ") || "<none>"}`);
    w.write(2, `${ports.length > 1 ? "Host Ports" : "Host Port"}:\t${(c.ports ?? []).map((p) => `0/${p.protocol ?? "TCP"}`).join(", ") || "<none>"}`);
    for (const [title, items] of [["Command", c.command], ["Args", c.args]] as const) {
      if (!items?.length) continue;
      w.write(2, `${title}:`);
      for (const item of items) for (const line of item.split("\n")) w.write(3, line);
    }
    if (pod) {
      if (running) {
        w.write(2, "State:\tRunning");
        w.write(3, `Started:\t${rfc1123z(pod.metadata.creationTimestamp)}`);
      } else {
        w.write(2, "State:\tWaiting");
        w.write(3, "Reason:\tContainerCreating");
      }
      w.write(2, `Ready:\t${podReady(pod) ? "True" : "False"}`);
      w.write(2, "Restart Count:\t0");
    }
    if (!c.env?.length) w.write(2, "Environment:\t<none>");
    else {
      w.write(2, "Environment:");
      for (const e of c.env) w.write(3, `${e.name}:\t${e.value ?? ""}`);
    }
    w.write(2, "Mounts:\t<none>");
  }
}

function describePod(pod: Readonly<Pod>): string {
  const w = new Lines();
  w.meta(pod);
  w.write(0, "Priority:\t0");
  w.write(0, `Service Account:\t${pod.spec.serviceAccountName ?? "default"}`);
  w.write(0, `Node:\t${pod.spec.nodeName ? `${pod.spec.nodeName}/${pod.status?.hostIP ?? ""}` : "<none>"}`);
  if (pod.spec.nodeName) w.write(0, `Start Time:\t${rfc1123z(pod.metadata.creationTimestamp)}`);
  w.labels(pod);
  w.write(0, `Status:\t${pod.status?.phase ?? "Pending"}`);
  w.write(0, `IP:\t${pod.status?.podIP ?? ""}`);
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  if (ips.length === 0) w.write(0, "IPs:\t<none>");
  else {
    w.write(0, "IPs:");
    for (const ip of ips) w.write(1, `IP:\t${ip}`);
  }
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (owner) {
    // mcsim's Deployment controller makes pods itself; kubectl names the ReplicaSet it would have made.
    const hash = pod.metadata.labels?.[POD_TEMPLATE_HASH];
    w.write(0, `Controlled By:\t${owner.kind === "Deployment" && hash ? `ReplicaSet/${owner.name}-${hash}` : `${owner.kind}/${owner.name}`}`);
  }
  containers(w, pod.spec.containers, "", pod);
  const conditions = pod.status?.conditions ?? [];
  if (conditions.length > 0) {
    w.write(0, "Conditions:");
    w.write(1, "Type\tStatus");
    for (const c of conditions) w.write(1, `${c.type} \t${c.status} `);
  }
  w.write(0, "Volumes:\t<none>");
  const resources = pod.spec.containers.some((c) => c.resources?.requests || c.resources?.limits);
  w.write(0, `QoS Class:\t${resources ? "Burstable" : "BestEffort"}`);
  w.map("Node-Selectors", pod.spec.nodeSelector);
  // The DefaultTolerationSeconds admission plugin adds these two to every pod.
  w.write(0, "Tolerations:\tnode.kubernetes.io/not-ready:NoExecute op=Exists for 300s");
  w.write(0, "\tnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s");
  return w.events();
}

function describeService(svc: Readonly<Service>, cluster: KubeCluster): string {
  const w = new Lines();
  const s = svc.spec;
  w.meta(svc);
  w.labels(svc);
  w.write(0, `Selector:\t${formatLabels(s.selector)}`);
  w.write(0, `Type:\t${s.type ?? "ClusterIP"}`);
  if (s.ipFamilyPolicy) w.write(0, `IP Family Policy:\t${s.ipFamilyPolicy}`);
  w.write(0, `IP Families:\t${s.ipFamilies?.join(",") || "<none>"}`);
  w.write(0, `IP:\t${s.clusterIP ?? ""}`);
  if (s.clusterIPs?.length) w.write(0, `IPs:\t${s.clusterIPs.join(",")}`);
  if (s.externalName) w.write(0, `External Name:\t${s.externalName}`);
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? "");
  if (ingress.length > 0) w.write(0, `LoadBalancer Ingress:\t${ingress.join(", ")}`);
  const slices = cluster.api.listByLabel("EndpointSlice", svc.metadata.namespace ?? "default", "kubernetes.io/service-name", svc.metadata.name);
  for (const p of s.ports ?? []) {
    const protocol = p.protocol ?? "TCP";
    w.write(0, `Port:\t${p.name || "<unset>"}\t${p.port}/${protocol}`);
    w.write(0, `TargetPort:\t${p.targetPort ?? p.port}/${protocol}`);
    if (p.nodePort) w.write(0, `NodePort:\t${p.name || "<unset>"}\t${p.nodePort}/${protocol}`);
    const portName = p.name ?? "";
    w.write(0, `Endpoints:\t${s.type === "ExternalName" ? "" : firstThree(readyAddresses(slices, (sp) => (sp.name ?? "") === portName))}`);
  }
  w.write(0, `Session Affinity:\t${s.sessionAffinity ?? "None"}`);
  if (s.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${s.externalTrafficPolicy}`);
  if (s.type !== "ExternalName") w.write(0, `Internal Traffic Policy:\t${s.internalTrafficPolicy ?? "Cluster"}`);
  return w.events();
}

/** describeEndpoints, of the Endpoints object the controller would write from the Service's slices. */
function describeEndpoints(svc: Readonly<Service>, cluster: KubeCluster): string {
  const w = new Lines();
  w.meta(svc);
  w.map("Labels", svc.metadata.labels);
  w.map("Annotations", undefined);
  w.write(0, "Subsets:");
  const slices = cluster.api.listByLabel("EndpointSlice", svc.metadata.namespace ?? "default", "kubernetes.io/service-name", svc.metadata.name);
  const endpoints = slices.flatMap((sl) => sl.endpoints);
  if (endpoints.length > 0) {
    const ready = endpoints.filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses);
    const notReady = endpoints.filter((e) => e.conditions?.ready === false).flatMap((e) => e.addresses);
    w.write(1, `Addresses:\t${ready.join(",") || "<none>"}`);
    w.write(1, `NotReadyAddresses:\t${notReady.join(",") || "<none>"}`);
    const ports = slices[0]?.ports ?? [];
    if (ports.length > 0) {
      w.write(1, "Ports:");
      w.write(2, "Name\tPort\tProtocol");
      w.write(2, "----\t----\t--------");
      for (const p of ports) w.write(2, `${p.name || "<unset>"}\t${p.port ?? 0}\t${p.protocol ?? "TCP"}`);
    }
    w.write(0, "");
  }
  return w.events();
}

function describeDeployment(d: Readonly<Deployment>, cluster: KubeCluster): string {
  const w = new Lines();
  const ns = d.metadata.namespace ?? "default";
  const replicas = d.spec.replicas ?? 1;
  const pods = cluster.api.list("Pod", ns).filter((p) => matchesSelector(p.metadata.labels, d.spec.selector));
  const hashes = [...new Set(pods.map((p) => p.metadata.labels?.[POD_TEMPLATE_HASH] ?? ""))];
  const newest = pods.reduce<Readonly<Pod> | undefined>((a, p) => (a === undefined || Number(p.metadata.resourceVersion) > Number(a.metadata.resourceVersion) ? p : a), undefined);
  const newHash = newest?.metadata.labels?.[POD_TEMPLATE_HASH];
  const updated = pods.filter((p) => p.metadata.labels?.[POD_TEMPLATE_HASH] === newHash);
  const available = pods.filter(podReady).length;
  w.meta(d);
  w.write(0, `CreationTimestamp:\t${rfc1123z(d.metadata.creationTimestamp)}`);
  w.labels(d);
  w.write(0, `Selector:\t${formatLabels(d.spec.selector.matchLabels)}`);
  w.write(0, `Replicas:\t${replicas} desired | ${updated.length} updated | ${pods.length} total | ${available} available | ${Math.max(0, pods.length - available)} unavailable`);
  w.write(0, "StrategyType:\tRollingUpdate");
  w.write(0, "MinReadySeconds:\t0");
  w.write(0, "RollingUpdateStrategy:\t25% max unavailable, 25% max surge");
  const template = d.spec.template;
  w.write(0, "Pod Template:");
  w.map("  Labels", template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) w.map("  Annotations", template.metadata?.annotations, ": ");
  if (template.spec.serviceAccountName) w.write(1, `Service Account:\t${template.spec.serviceAccountName}`);
  containers(w, template.spec.containers, "  ");
  w.write(1, "Volumes:\t<none>");
  w.write(1, `Node-Selectors:\t${formatLabels(template.spec.nodeSelector)}`);
  w.write(1, "Tolerations:\t<none>");
  // The conditions the Deployment controller would keep (mcsim keeps no Deployment status).
  const maxUnavailable = Math.floor(replicas * 0.25);
  w.write(0, "Conditions:");
  w.write(1, "Type\tStatus\tReason");
  w.write(1, "----\t------\t------");
  w.write(1, `Available \t${available >= replicas - maxUnavailable ? "True\tMinimumReplicasAvailable" : "False\tMinimumReplicasUnavailable"}`);
  w.write(1, `Progressing \tTrue\t${updated.length === replicas && updated.every(podReady) ? "NewReplicaSetAvailable" : "ReplicaSetUpdated"}`);
  const rs = (hash: string | undefined) => `${d.metadata.name}-${hash} (${pods.filter((p) => p.metadata.labels?.[POD_TEMPLATE_HASH] === hash).length}/${hash === newHash ? replicas : 0} replicas created)`;
  const old = hashes.filter((h) => h !== newHash);
  w.write(0, `OldReplicaSets:\t${old.length ? old.map(rs).join(", ") : "<none>"}`);
  w.write(0, `NewReplicaSet:\t${newHash ? rs(newHash) : "<none>"}`);
  return w.events();
}

function describeConfigMap(cm: Readonly<ConfigMap>): string {
  const w = new Lines();
  w.meta(cm);
  w.labels(cm);
  let text = tabwriteBlocks(w.text);
  text += "\nData\n====\n";
  for (const k of Object.keys(cm.data ?? {}).sort()) text += `${k}:\n----\n${cm.data![k]}\n`;
  text += "\nBinaryData\n====\n\n";
  return `${text}Events:  <none>\n`;
}

/** describeNamespace: mcsim has no ResourceQuota or LimitRange objects to list. */
function describeNamespace(ns: Readonly<K8sObject>): string {
  const w = new Lines();
  w.write(0, `Name:\t${ns.metadata.name}`);
  w.labels(ns);
  w.write(0, "Status:\tActive");
  return `${tabwriteBlocks(w.text)}\nNo resource quota.\n\nNo LimitRange resource.\n`;
}

/** smartLabelFor: `creationTimestamp` is `Creation Timestamp`, `apiVersion` is `API Version`. */
function smartLabel(field: string): string {
  if (/[^\p{L}-]/u.test(field)) return field;
  const acronyms = new Set(["API", "URL", "UID", "OSB", "GUID"]);
  return (field.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|-/g) ?? [field])
    .map((part) => (acronyms.has(part.toUpperCase()) ? part.toUpperCase() : part[0]!.toUpperCase() + part.slice(1)))
    .join(" ");
}

/** printUnstructuredContent: keys sorted, maps and lists of maps as indented blocks. */
function unstructured(w: Lines, level: number, content: Readonly<Record<string, unknown>>, prefix: string, skip: ReadonlySet<string>): void {
  for (const key of Object.keys(content).sort()) {
    const path = `${prefix}.${key}`;
    if (skip.has(path)) continue;
    const value = content[key];
    if (Array.isArray(value)) {
      w.write(level, `${smartLabel(key)}:`);
      for (const item of value) {
        if (typeof item === "object" && item !== null) unstructured(w, level + 1, item as Record<string, unknown>, path, skip);
        else w.write(level + 1, String(item));
      }
    } else if (typeof value === "object" && value !== null) {
      w.write(level, `${smartLabel(key)}:`);
      unstructured(w, level + 1, value as Record<string, unknown>, path, skip);
    } else w.write(level, `${smartLabel(key)}:\t${String(value)}`);
  }
}

const GENERIC_SKIP = new Set([".metadata.name", ".metadata.namespace", ".metadata.labels", ".metadata.annotations", ".metadata.managedFields"]);

function describeGeneric(o: Readonly<K8sObject>): string {
  const w = new Lines();
  w.write(0, `Name:\t${o.metadata.name}`);
  w.write(0, `Namespace:\t${NAMESPACED.has(o.kind) ? (o.metadata.namespace ?? "default") : ""}`);
  w.labels(o);
  unstructured(w, 0, JSON.parse(JSON.stringify(o)) as Record<string, unknown>, "", GENERIC_SKIP);
  return w.events();
}

function describeOne(type: ResourceType, o: Readonly<K8sObject>, cluster: KubeCluster): string {
  if (type.names[0] === "endpoints") return describeEndpoints(o as Service, cluster);
  switch (o.kind) {
    case "Pod":
      return describePod(o);
    case "Service":
      return describeService(o, cluster);
    case "Deployment":
      return describeDeployment(o, cluster);
    case "ConfigMap":
      return describeConfigMap(o);
    case "Namespace":
      return describeNamespace(o);
    default:
      return describeGeneric(o);
  }
}

/**
 * `kubectl describe`: a name that is not an object's exact name describes every object whose name
 * starts with it, as kubectl does (`kubectl describe pods web` for a Deployment's pods).
 */
export function describe(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, { values: { "-l": "selector", "--selector": "selector" }, switches: { "-A": "all", "--all-namespaces": "all" } });
  const cluster = contextCluster(target.world.clusters, f.values.get("context") ?? target.context);
  const namespace = f.values.get("namespace") ?? "default";
  const all = f.switches.has("all");
  const [first, ...rest] = f.words;
  if (first === undefined) throw new KubectlError('You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.');
  const typeOf = (word: string): ResourceType => {
    const t = resourceType(word);
    if (!t) throw new KubectlError(`the server doesn't have a resource type "${word}"`);
    return t;
  };
  const requests = first.includes("/")
    ? f.words.map((w) => ({ type: typeOf(w.slice(0, w.indexOf("/"))), names: [w.slice(w.indexOf("/") + 1)] }))
    : [{ type: typeOf(first), names: rest }];
  const matches = f.values.has("selector") ? parseSelector(f.values.get("selector")!) : () => true;
  const texts: string[] = [];
  const errors: string[] = [];
  for (const { type, names } of requests) {
    const namespaced = NAMESPACED.has(type.kind);
    const listed = cluster.api.list(type.kind, namespaced && !all ? namespace : undefined).filter((o) => matches(o.metadata.labels));
    listed.sort((x, y) => (x.metadata.namespace ?? "").localeCompare(y.metadata.namespace ?? "") || x.metadata.name.localeCompare(y.metadata.name));
    if (names.length === 0) {
      texts.push(...listed.map((o) => describeOne(type, o, cluster)));
      continue;
    }
    for (const name of names) {
      const exact = cluster.api.get(type.kind, namespaced ? namespace : "", name);
      const found = exact ? [exact] : listed.filter((o) => o.metadata.name.startsWith(name));
      if (found.length === 0) errors.push(`Error from server (NotFound): ${qualifiedName(type)} "${name}" not found`);
      texts.push(...found.map((o) => describeOne(type, o, cluster)));
    }
  }
  if (texts.length === 0 && errors.length === 0) {
    return { stdout: "", stderr: `No resources found${all || !requests.some((r) => NAMESPACED.has(r.type.kind)) ? "" : ` in ${namespace} namespace`}.\n`, exitCode: 0 };
  }
  return { stdout: texts.join("\n\n"), stderr: errors.map((e) => `${e}\n`).join(""), exitCode: errors.length > 0 ? 1 : 0 };
}

import { createHash } from "node:crypto";
import type { ToolOutput } from "../../dns/format/output.js";
import { CoreDns, DNS_PORT } from "../../dns/coredns.js";
import type { KubeCluster } from "../../k8s/cluster.js";
import type { Pod } from "../../k8s/objects.js";
import { formatTimestamp } from "../../k8s/timestamp.js";
import type { AccessLogEntry, Sidecar } from "../../mesh/istio/sidecar.js";
import { shownResponse } from "../http-response.js";
import { contextCluster, KubectlError, parseFlags } from "./flags.js";
import type { KubectlTarget } from "./kubectl.js";

/**
 * `kubectl logs POD [-c CONTAINER] [--tail N]`: what the simulated processes write. A CoreDNS
 * pod prints CoreDNS's start-up lines, then its log: the `log` plugin's line for each query it
 * answered (when the Corefile has `log`) and the `errors` plugin's (dns.md §3.4). The
 * `istio-proxy` container of a pod with a sidecar prints Envoy's access log in Istio's default
 * TEXT format, for the calls made through it since access logging went on (the lab shell turns
 * it on). Other containers print nothing: mcsim's apps write no logs.
 */

/** The version banner of the CoreDNS image kubeadm deploys (v1.11.3). */
const COREDNS_BANNER = "CoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9";

export function logs(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const f = parseFlags(args, { values: { "-c": "container", "--container": "container", "--tail": "tail" }, switches: { "-f": "follow", "--follow": "follow", "--timestamps": "timestamps" } });
  const context = f.values.get("context") ?? target.context;
  const cluster = contextCluster(target.world.clusters, context);
  const namespace = f.values.get("namespace") ?? "default";
  const [ref, ...extra] = f.words;
  if (ref === undefined) throw new KubectlError("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command");
  if (extra.length > 0) throw new KubectlError(`only one POD is accepted here: kubectl logs POD -c ${extra[0]}`);
  const tail = Number(f.values.get("tail") ?? "-1");
  if (!Number.isInteger(tail)) throw new KubectlError(`invalid argument "${f.values.get("tail")}" for "--tail" flag: strconv.ParseInt: parsing "${f.values.get("tail")}": invalid syntax`);
  const name = ref.replace(/^pods?\//, "");
  const pod = cluster.api.get("Pod", namespace, name);
  if (!pod) return { stdout: "", stderr: `Error from server (NotFound): pods "${name}" not found\n`, exitCode: 1 };
  const sidecar = target.world.mesh?.sidecarOf(context, namespace, name);
  const names = [...pod.spec.containers.map((c) => c.name), ...(sidecar ? ["istio-proxy"] : [])];
  const container = f.values.get("container");
  let stderr = "";
  if (container !== undefined && !names.includes(container)) throw new KubectlError(`container ${container} is not valid for pod ${name}`);
  if (container === undefined && names.length > 1) stderr = `Defaulted container "${names[0]}" out of: ${names.join(", ")}${sidecar ? ", istio-init (init)" : ""}\n`;
  const chosen = container ?? names[0]!;
  const lines = chosen === "istio-proxy" && sidecar ? accessLog(pod, sidecar) : processLog(cluster, pod);
  const shown = tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
  return { stdout: shown.map((l) => `${l}\n`).join(""), stderr, exitCode: 0 };
}

/** A container's own output: CoreDNS's, for a pod running it. */
function processLog(cluster: KubeCluster, pod: Readonly<Pod>): string[] {
  const server = cluster.podHost(pod.metadata.namespace ?? "default", pod.metadata.name)?.listeners.get(DNS_PORT);
  if (!(server instanceof CoreDns)) return [];
  const corefile = cluster.api.get("ConfigMap", pod.metadata.namespace ?? "default", "coredns")?.data?.Corefile ?? "";
  return [
    ...server.zones.map((z) => `${z}:${DNS_PORT}`),
    `[INFO] plugin/reload: Running configuration SHA512 = ${createHash("sha512").update(corefile).digest("hex")}`,
    ...COREDNS_BANNER.split("\n"),
    ...server.logs.map((l) => l.line),
  ];
}

/** An instant as Envoy's %START_TIME% writes it: RFC 3339 with milliseconds. */
function startTime(t: number): string {
  return formatTimestamp(t).replace("Z", `.${String(Math.floor((t % 1_000_000) / 1000)).padStart(3, "0")}Z`);
}

/**
 * Istio's default TEXT access log line (meshConfig accessLogFormat unset):
 * `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
 * %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
 * "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 * %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 * "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW%
 * %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
 * %REQUESTED_SERVER_NAME% %ROUTE_NAME%`. Request ids and ephemeral ports are made from a hash of
 * the call, so the same run prints the same lines.
 */
function accessLog(pod: Readonly<Pod>, sidecar: Sidecar): string[] {
  const ip = pod.status?.podIP ?? "-";
  return (sidecar.accessLog ?? []).map((e: AccessLogEntry, i) => {
    const r = e.result;
    const hash = createHash("sha256").update(`${sidecar.label}/${i}/${e.startedAt}`).digest("hex");
    const uuid = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
    const port = (n: number) => 32768 + (parseInt(hash.slice(32 + n * 4, 36 + n * 4), 16) % 28232);
    const duration = Math.floor((r.finishedAt - e.startedAt) / 1000);
    const shown = r.status === null ? { body: "", local: true, details: "downstream_remote_disconnect" } : shownResponse(r);
    const destination = `${r.address ?? "-"}:${e.authority.includes(":") ? e.authority.slice(e.authority.lastIndexOf(":") + 1) : "80"}`;
    return [
      `[${startTime(e.startedAt)}]`,
      `"${e.method} ${e.path} HTTP/1.1"`,
      String(r.status ?? 0),
      r.flag ?? "-",
      shown.details,
      "-",
      '"-"',
      "0",
      String(shown.body.length),
      String(duration),
      shown.local ? "-" : String(duration),
      '"-"',
      `"${e.userAgent ?? "-"}"`,
      `"${uuid}"`,
      `"${e.authority}"`,
      `"${r.upstream ?? "-"}"`,
      e.cluster ?? "-",
      r.upstream ? `${ip}:${port(0)}` : "-",
      destination,
      `${ip}:${port(1)}`,
      "-",
      e.cluster === "PassthroughCluster" ? "allow_any" : "default",
    ].join(" ");
  });
}

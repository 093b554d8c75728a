/**
 * Kubeconfigs as the multicluster tools write them (`istioctl create-remote-secret`, `linkerd
 * multicluster link`) and as client-go reads them back, for the controllers that watch another
 * cluster's API server (mesh.md §1.2, §5.1).
 */
import { parse } from "yaml";

/** A kubeconfig with one cluster, context and user named `cluster`, whose user has a bearer `token`. */
export function kubeconfigFor(cluster: string, server: string, token: string): string {
  return [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    `    server: ${server}`,
    `  name: ${cluster}`,
    "contexts:",
    "- context:",
    `    cluster: ${cluster}`,
    `    user: ${cluster}`,
    `  name: ${cluster}`,
    `current-context: ${cluster}`,
    "kind: Config",
    "preferences: {}",
    "users:",
    `- name: ${cluster}`,
    "  user:",
    `    token: ${token}`,
    "",
  ].join("\n");
}

/**
 * The server URL of a kubeconfig: its current context's cluster's, or with no current context
 * its only cluster's, as client-go's loader picks it.
 *
 * @throws Error naming what is missing, in the words istiod logs.
 */
export function kubeconfigServer(text: string): URL {
  let config: unknown;
  try {
    config = parse(text);
  } catch (e) {
    throw new Error(`kubeconfig is not YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const c = config as { clusters?: { name?: string; cluster?: { server?: unknown } }[]; contexts?: { name?: string; context?: { cluster?: string } }[]; "current-context"?: string } | null;
  const clusters = Array.isArray(c?.clusters) ? c.clusters : [];
  const current = c?.["current-context"];
  const clusterName = current === undefined ? undefined : c?.contexts?.find((x) => x?.name === current)?.context?.cluster;
  if (current !== undefined && clusterName === undefined) throw new Error(`invalid configuration: context was not found for specified context: ${current}`);
  const entry = clusterName === undefined ? (clusters.length === 1 ? clusters[0] : undefined) : clusters.find((x) => x?.name === clusterName);
  if (!entry) throw new Error(clusterName === undefined ? "invalid configuration: no configuration has been provided" : `invalid configuration: cluster "${clusterName}" not found`);
  const server = entry.cluster?.server;
  if (typeof server !== "string" || server === "") throw new Error("invalid configuration: no server found for cluster");
  try {
    return new URL(server);
  } catch {
    throw new Error(`invalid configuration: server ${JSON.stringify(server)} is not a URL`);
  }
}

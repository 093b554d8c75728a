import type { AppSpec } from "../../src/http/apps.js";
import type { RequestResult } from "../../src/http/message.js";
import type { Deployment, Pod, Service } from "../../src/k8s/objects.js";
import { SECOND, type Micros } from "../../src/sim/time.js";
import { World, type WorldRequestOptions } from "../../src/scenario/world.js";

/** A Deployment of `replicas` pods labelled app=web, each declaring containerPort 8080. */
export const webDeployment = (replicas: number): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 8080 }] }] } },
  },
});

/** Service web: port 80 to the pods' 8080. */
export const webService: Service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
};

export const clientPod: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "client", namespace: "default" }, spec: { containers: [{ name: "c", image: "debian:12" }] } };

/** The web app: every pod labelled app=web serves on its containerPorts. */
export const WEB_APP: AppSpec = { name: "web", namespace: "default", labels: { app: "web" } };

/**
 * One cluster east with a client pod, the web Deployment (`replicas`), its Service, and the web
 * app (unless `apps` says otherwise), run until everything is ready.
 */
export function httpWorld(options: { readonly seed?: number; readonly replicas?: number; readonly apps?: readonly AppSpec[] } = {}): World {
  const w = new World({ seed: options.seed ?? 1, traceLevel: "summary" });
  w.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"] });
  w.serveHttp("east", options.apps ?? [WEB_APP]);
  w.apply("east", [webDeployment(options.replicas ?? 2), webService, clientPod]);
  w.runFor(20 * SECOND);
  return w;
}

/** Makes one call from the client pod and runs the clock until it has ended (or `wait` passed). */
export function call(w: World, url: string, options: Partial<WorldRequestOptions> = {}, wait: Micros = 60 * SECOND): RequestResult {
  const pending = w.request("east", "default/client", url, { timeout: 5 * SECOND, ...options });
  w.runFor(wait);
  if (!pending.result) throw new Error(`the call of ${url} did not end within ${wait}us`);
  return pending.result;
}

/** The names of the web pods, in order. */
export function webPods(w: World): string[] {
  return w
    .cluster("east")
    .api.list("Pod", "default")
    .filter((p) => p.metadata.labels?.app === "web")
    .map((p) => p.metadata.name)
    .sort();
}

/**
 * `istioctl remote-clusters` and `istioctl proxy-status` (mesh.md §2.1, §2.2): pure functions
 * over what istiod's debug endpoints (`clusterz`, `syncz`) give, printing what the real ones
 * print, with Go's tabwriter as istioctl sets it (minimum width 0, padding 5, spaces).
 */
import type { IstiodDebug, ProxySyncInfo } from "../mesh/istio/istiod.js";
import { SUBSCRIPTION_ORDER, syncStatus, type XdsType } from "../mesh/istio/xds.js";
import type { Micros } from "../sim/time.js";
import { SECOND } from "../sim/time.js";
import { humanDuration } from "./kubectl/age.js";

/** Go's tabwriter with istioctl's settings: each column as wide as its widest cell plus 5; the last unpadded. */
export function tabwrite(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, c) => c < r.length - 1 && (widths[c] = Math.max(widths[c] ?? 0, cell.length + 5)));
  return rows.map((r) => `${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("")}\n`).join("");
}

/** `major.minor` of a version as a number to compare (`1.27.0` → 1.27, `1.9` → 1.09). */
function minor(version: string): number {
  const [major = "0", min = "0"] = version.split(".");
  return Number(major) + Number(min) / 100;
}

/**
 * `istioctl remote-clusters`: a row per cluster of each istiod, istiods by pod name; the config
 * cluster's SECRET is empty. From 1.31 a REVISION column ends the row (mesh.md §2.1).
 */
export function remoteClusters(istiods: readonly IstiodDebug[], version: string): string {
  const revision = minor(version) >= 1.31;
  const rows: string[][] = [["NAME", "SECRET", "STATUS", "ISTIOD", ...(revision ? ["REVISION"] : [])]];
  for (const i of [...istiods].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0))) {
    for (const c of i.clusters) rows.push([c.id, c.secretName, c.syncStatus, i.pod, ...(revision ? [i.revision] : [])]);
  }
  return tabwrite(rows);
}

/** Options of {@link proxyStatus}. */
export interface ProxyStatusOptions {
  /** The Istio version of istioctl, which chooses the layout (mesh.md §2.2). */
  readonly version: string;
  /** `-v 1`: 1.27+'s per-type columns. */
  readonly verbosity?: number;
  /** Now, for the ages of 1.23+ cells. */
  readonly now: Micros;
}

/**
 * `istioctl proxy-status`: a row per proxy, sorted by proxy ID. Up to 1.26 the columns are
 * `NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION`, each cell the type's status with its age
 * from 1.23 (`SYNCED (2m)`); from 1.27 `NAME CLUSTER ISTIOD VERSION SUBSCRIBED TYPES`, and with
 * `-v 1` the per-type columns in type-URL order (CDS ECDS EDS LDS RDS) (mesh.md §2.2).
 */
export function proxyStatus(istiods: readonly IstiodDebug[], options: ProxyStatusOptions): string {
  const v = minor(options.version);
  const proxies = istiods.flatMap((i) => i.proxies).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const cell = (p: ProxySyncInfo, type: XdsType): string => {
    const state = p.types.get(type);
    const status = syncStatus(state);
    if (v < 1.23 || state?.lastSent === undefined) return status;
    return `${status} (${humanDuration(Math.floor((options.now - state.lastSent) / SECOND))})`;
  };
  if (v < 1.27 || (options.verbosity ?? 0) >= 1) {
    const types: readonly XdsType[] = v < 1.27 ? ["CDS", "LDS", "EDS", "RDS", "ECDS"] : ["CDS", "ECDS", "EDS", "LDS", "RDS"];
    const rows = [["NAME", "CLUSTER", ...types, "ISTIOD", "VERSION"]];
    for (const p of proxies) rows.push([p.id, p.cluster, ...types.map((t) => cell(p, t)), p.istiod, p.version]);
    return tabwrite(rows);
  }
  const rows = [["NAME", "CLUSTER", "ISTIOD", "VERSION", "SUBSCRIBED TYPES"]];
  for (const p of proxies) {
    const subscribed = SUBSCRIPTION_ORDER.filter((t) => p.types.has(t));
    rows.push([p.id, p.cluster, p.istiod, p.version, subscribed.length === 0 ? "0" : `${subscribed.length} (${subscribed.join(",")})`]);
  }
  return tabwrite(rows);
}

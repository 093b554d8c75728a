/**
 * `nslookup`, in the three forms a lab meets in pods (dns.md §6.2): busybox ≥ 1.29 (the default),
 * busybox ≤ 1.28 (`busybox:1.28`, which the Kubernetes docs use) and BIND's (dnsutils images).
 */

import { formatBindNslookup, type BindNslookupRun } from "./nslookup-bind.js";
import { formatBusyboxLibcNslookup, formatBusyboxNslookup, type BusyboxLibcNslookupRun, type BusyboxNslookupRun } from "./nslookup-busybox.js";
import type { ToolOutput } from "./output.js";

/** A run of one of the nslookups; `style` says which (busybox ≥ 1.29 when left out). */
export type NslookupRun = BusyboxNslookupRun | BusyboxLibcNslookupRun | BindNslookupRun;

/** What `nslookup` prints for a run, in the style the run names, and its exit status. */
export function formatNslookup(run: NslookupRun): ToolOutput {
  switch (run.style) {
    case "bind":
      return formatBindNslookup(run);
    case "busybox-libc":
      return formatBusyboxLibcNslookup(run);
    default:
      return formatBusyboxNslookup(run);
  }
}

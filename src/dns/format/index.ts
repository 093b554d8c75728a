/**
 * Output of the lab's DNS debugging tools, byte for byte as the real ones print it (dns.md §6):
 * BIND 9.18 `dig` and the three `nslookup`s. Pure functions from what a lookup exchanged (dns-packet
 * messages, tries that timed out) to stdout, stderr and the exit status.
 */

export type { ToolOutput } from "./output.js";
export type { Endpoint } from "./address.js";
export { formatDig, DIG_VERSION, type DigRun, type DigReply, type DigRetry } from "./dig.js";
export { formatNslookup, type NslookupRun } from "./nslookup.js";
export type { BusyboxNslookupRun, BusyboxLibcNslookupRun, BusyboxReply, LibcAddress } from "./nslookup-busybox.js";
export type { BindNslookupRun, BindNslookupEvent } from "./nslookup-bind.js";
export { rdataText } from "./rdata.js";
export { recordLine, questionLine } from "./columns.js";

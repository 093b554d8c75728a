/**
 * dig's column algorithm (dns.md §6.1, masterdump.c `indent`): TTL at 24, class at 32, type at
 * 40, RDATA at 48, tabs 8 wide, at least one position between fields.
 */

import { describe, expect, it } from "vitest";
import { questionLine, recordLine } from "../../../src/dns/format/index.js";
import { a } from "./packets.js";

describe("record and question columns (dns.md §6.1)", () => {
  it("dns.md §6.1: a 37-character owner with TTL 5: `kubernetes.default.svc.cluster.local. 5\\tIN A\\t10.96.0.1`", () => {
    expect("kubernetes.default.svc.cluster.local.".length).toBe(37);
    expect(recordLine(a("kubernetes.default.svc.cluster.local", "10.96.0.1", 5))).toBe("kubernetes.default.svc.cluster.local. 5\tIN A\t10.96.0.1");
  });

  it("dns.md §6.1: the same owner with TTL 22, as in a real 2016 output: `… 22 IN A\\t10.32.0.1`", () => {
    expect(recordLine(a("kubernetes.default.svc.cluster.local", "10.32.0.1", 22))).toBe("kubernetes.default.svc.cluster.local. 22 IN A\t10.32.0.1");
  });

  it("dns.md §6.1: short names get tabs: `google.com.\\t\\t300\\tIN\\tA\\t142.250.64.78`", () => {
    expect(recordLine(a("google.com", "142.250.64.78", 300))).toBe("google.com.\t\t300\tIN\tA\t142.250.64.78");
  });

  it("dns.md §6.1: long Kubernetes names get single spaces: `…local. 30 IN A 10.102.13.85`", () => {
    expect(recordLine(a("web-clusterip.default.svc.cluster.local", "10.102.13.85"))).toBe("web-clusterip.default.svc.cluster.local. 30 IN A 10.102.13.85");
  });

  it("dns.md §6.1: a field that ends one short of a tab stop moves on by a tab, not a space", () => {
    // owner 23 characters: the TTL goes to column 24 with one tab (23 → 24 crosses the stop at 24).
    expect(recordLine(a("abcdefghij.abcdefghijk", "10.0.0.1", 7))).toBe("abcdefghij.abcdefghijk.\t7\tIN\tA\t10.0.0.1");
    // owner 24 characters: already at the TTL column, so one space.
    expect(recordLine(a("abcdefghij.abcdefghijkl", "10.0.0.1", 7))).toBe("abcdefghij.abcdefghijkl. 7\tIN\tA\t10.0.0.1");
  });

  it("dns.md §6.1: question lines use the class and type columns only, the `;` not counted", () => {
    expect(questionLine({ name: "web-clusterip.default.svc.cluster.local", type: "A", class: "IN" })).toBe(";web-clusterip.default.svc.cluster.local. IN A");
    expect(questionLine({ name: "google.com", type: "A", class: "IN" })).toBe(";google.com.\t\t\tIN\tA");
    expect(questionLine({ name: "kubernetes.default.svc.cluster.local", type: "AAAA" })).toBe(";kubernetes.default.svc.cluster.local. IN AAAA");
    expect(questionLine({ name: ".", type: "NS", class: "IN" })).toBe(";.\t\t\t\tIN\tNS");
  });

  it("types and classes dns-packet does not name are written as RFC 3597 names", () => {
    expect(recordLine({ type: "UNKNOWN_65280" as "NULL", name: "x.example", ttl: 1, class: "UNKNOWN_254" as "IN", data: Buffer.from([1, 2]) })).toBe("x.example.\t\t1\tCLASS254 TYPE65280 \\# 2 0102");
  });
});

/**
 * Presentation format of names and addresses (dns.md §6.1): BIND's escapes, and IPv6 as glibc's
 * inet_ntop writes it (which dns-packet's decoder does not always do).
 */

import { describe, expect, it } from "vitest";
import { rdataText } from "../../../src/dns/format/index.js";
import { ntop6 } from "../../../src/dns/format/address.js";
import { nameText } from "../../../src/dns/format/names.js";
import { roundTrip, type Answer } from "../../../src/dns/message.js";

describe("IPv6 as inet_ntop writes it", () => {
  it("compresses the first longest run of two or more zero groups, never a single one", () => {
    expect(ntop6("1:0:0:1:0:0:0:1")).toBe("1:0:0:1::1");
    expect(ntop6("1:0:0:1:1:0:0:1")).toBe("1::1:1:0:0:1");
    expect(ntop6("1:0:1:1:1:1:1:1")).toBe("1:0:1:1:1:1:1:1");
    expect(ntop6("FD00:0000:0000:0000:0000:0000:0000:000A")).toBe("fd00::a");
    expect(ntop6("0:0:0:0:0:0:0:0")).toBe("::");
    expect(ntop6("1::")).toBe("1::");
    expect(ntop6("::1")).toBe("::1");
  });

  it("keeps the dotted quad of IPv4-mapped and IPv4-compatible addresses, in either input form", () => {
    expect(ntop6("::ffff:1.2.3.4")).toBe("::ffff:1.2.3.4");
    expect(ntop6("::ffff:102:304")).toBe("::ffff:1.2.3.4");
    expect(ntop6("::1.2.3.4")).toBe("::1.2.3.4");
    expect(ntop6("64:ff9b::1.2.3.4")).toBe("64:ff9b::102:304");
  });

  it("differs from dns-packet's decoder where that one picks the wrong run", () => {
    const record: Answer = { type: "AAAA", name: "x", ttl: 1, class: "IN", data: "1:0:0:1:0:0:0:1" };
    const decoded = roundTrip({ type: "response", answers: [record] }).answers![0]!;
    expect(decoded.type === "AAAA" && decoded.data).toBe("1::1:0:0:0:1");
    expect(rdataText(decoded)).toBe("1:0:0:1::1");
  });

  it("leaves text that is no IPv6 address as it is", () => {
    expect(ntop6("10.96.0.10")).toBe("10.96.0.10");
    expect(ntop6("1:2:3")).toBe("1:2:3");
    expect(ntop6("1::2::3")).toBe("1::2::3");
  });
});

describe("names in presentation format", () => {
  it("escapes BIND's special characters and bytes outside ! to ~, keeps case", () => {
    expect(nameText("Web.Default.svc.cluster.local", { absolute: true })).toBe("Web.Default.svc.cluster.local.");
    expect(nameText('a b;c"d(e)f@g$h\\i.example', { absolute: true })).toBe('a\\032b\\;c\\"d\\(e\\)f\\@g\\$h\\\\i.example.');
    expect(nameText("caf\u00e9.example", { absolute: false })).toBe("caf\\195\\169.example");
  });

  it("writes the root as `.` with or without the final dot, and takes a name with a trailing dot as the same", () => {
    expect(nameText(".", { absolute: true })).toBe(".");
    expect(nameText(".", { absolute: false })).toBe(".");
    expect(nameText("a.example.", { absolute: true })).toBe("a.example.");
  });

  it("reads an SOA RNAME's `\\.` (dns-packet's mailbox form) as a dot inside the first label", () => {
    expect(nameText("john\\.doe.example.com", { absolute: true, mailbox: true })).toBe("john\\.doe.example.com.");
    const soa: Answer = { type: "SOA", name: "example.com", ttl: 1, class: "IN", data: { mname: "ns.example.com", rname: "john\\.doe.example.com", serial: 1 } };
    const decoded = roundTrip({ type: "response", answers: [soa] }).answers![0]!;
    expect(rdataText(decoded)).toBe("ns.example.com. john\\.doe.example.com. 1 0 0 0 0");
  });
});

describe("RDATA fallbacks", () => {
  it("writes bytes dns-packet left unparsed in RFC 3597 form, and refuses types it cannot write", () => {
    expect(rdataText({ type: "NULL", name: "x", data: Buffer.alloc(0) })).toBe("\\# 0");
    expect(() => rdataText({ type: "DS", name: "x", data: { keyTag: 1, algorithm: 8, digestType: 2, digest: Buffer.alloc(2) } })).toThrow(/DS records/);
  });
});

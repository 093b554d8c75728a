/**
 * Pinned traces of generated lookups (see `trace-cases.ts`): every action each call returns, and
 * every result, exactly as the stubs gave them when the digests were written. They were first
 * written by the generator-per-closure implementation, before the stubs were made fast, so they
 * also show that making them fast changed nothing a caller can see.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as resolver from "../../../src/dns/resolver/index.js";
import { TRACE_CASES, digest, trace } from "./trace-cases.js";

const GOLDEN = JSON.parse(readFileSync(new URL("./traces.golden.json", import.meta.url), "utf8")) as string[];

describe("pinned traces of generated lookups", () => {
  it("has a digest for every case", () => {
    expect(GOLDEN.length).toBe(TRACE_CASES);
  });

  it("every case does exactly what it did when pinned (actions, IDs, times, discards, results)", () => {
    const changed: string[] = [];
    for (let seed = 0; seed < TRACE_CASES; seed++) {
      const lines = trace(resolver, seed);
      if (digest(lines) !== GOLDEN[seed]) changed.push(`case ${seed}:\n  ${lines.join("\n  ")}`);
    }
    expect(changed.length, `${changed.length} traces changed; the first:\n${changed[0] ?? ""}`).toBe(0);
  });

  it("the cases reach the interesting paths (retransmission, TCP, discarded replies, each behaviour)", () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < TRACE_CASES; seed++) {
      const lines = trace(resolver, seed);
      const behaviour = (JSON.parse(lines[0] as string) as { behaviour: string }).behaviour;
      const all = lines.join("\n");
      seen.add(behaviour);
      if (all.includes('"transport":"tcp"')) seen.add(`${behaviour} tcp`);
      if (all.includes('"discarded"')) seen.add(`${behaviour} discarded`);
      if (/\ntimer \d+ \d+ -> \[[^\n]*"kind":"send"/.test(all)) seen.add(`${behaviour} retransmit`);
      if (all.includes('"ok":true')) seen.add(`${behaviour} ok`);
      if (all.includes('"ok":false')) seen.add(`${behaviour} fail`);
    }
    for (const b of ["glibc", "musl", "go"]) {
      for (const what of ["", " tcp", " discarded", " retransmit", " ok", " fail"]) expect(seen, `${b}${what}`).toContain(`${b}${what}`);
    }
  });
});

import { dns } from "./dns.js";
import { federation } from "./federation.js";
import { kernel } from "./kernel.js";
import { linkerd } from "./linkerd.js";
import { mcs, mcsChild } from "./mcs.js";
import { mesh } from "./mesh.js";
import { runChild, scenario } from "./scenario.js";
import { serveDns, serveDnsChild } from "./serve-dns.js";
import { shell, shellChild } from "./shell.js";
import { stub } from "./stub.js";
import type { Benchmark, Figure } from "./figure.js";

/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME` runs one; `--json` prints one JSON
 * object per figure instead of a table. Exits 1 when a figure misses its target.
 */

const BENCHMARKS: readonly Benchmark[] = [kernel, dns, stub, scenario, federation, serveDns, mcs, mesh, linkerd, shell];

function format(n: number): string {
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  return n.toFixed(3);
}

function main(args: string[]): number {
  // A benchmark that measures a run in a process of its own (for its peak memory) calls back here.
  if (args[0] === "--child") {
    process.stdout.write(`${JSON.stringify(runChild(args[1]!))}\n`);
    return 0;
  }
  if (args[0] === "--mcs-child") {
    process.stdout.write(`${JSON.stringify(mcsChild(Number(args[1]), Number(args[2])))}\n`);
    return 0;
  }
  // serve-dns's load runs on the event loop, in a process of its own.
  if (args[0] === "--serve-dns-child") {
    serveDnsChild().then(
      (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
      (e: unknown) => {
        process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
        process.exitCode = 1;
      },
    );
    return 0;
  }
  // The lab shell benchmark's earlier commands go to the lab server from a process of their own.
  if (args[0] === "--shell-child") {
    shellChild(args[1]!, Number(args[2])).then(
      () => undefined,
      (e: unknown) => {
        process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
        process.exitCode = 1;
      },
    );
    return 0;
  }
  const json = args.includes("--json");
  const names = args.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(", ")}; there are: ${BENCHMARKS.map((b) => b.name).join(", ")}\n`);
    return 2;
  }
  const chosen = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
  let failed = 0;
  for (const bench of chosen) {
    if (!json) process.stdout.write(`${bench.name}: ${bench.description}\n`);
    const figures: Figure[] = bench.run();
    for (const f of figures) {
      if (f.pass === false) failed++;
      if (json) {
        process.stdout.write(`${JSON.stringify(f)}\n`);
        continue;
      }
      const vs = f.baseline ? `  ${f.ratio!.toFixed(2)}x ${f.baseline}` : "";
      const verdict = f.target ? `  target ${f.target}: ${f.pass ? "pass" : "FAIL"}` : "";
      process.stdout.write(`  ${f.figure.padEnd(44)} ${format(f.value).padStart(14)} ${f.unit}${vs}${verdict}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));

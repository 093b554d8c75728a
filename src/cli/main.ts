#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import { CorefileError } from "../dns/corefile.js";
import { DnsChaosError } from "../dns/chaos.js";
import { ApiError } from "../k8s/apiserver.js";
import { ManifestError } from "../k8s/manifest.js";
import { LinkError } from "../net/link.js";
import { TopologyError } from "../net/topology.js";
import { demoReportJson, formatDemoReport } from "../scenario/demo-report.js";
import { runDemo } from "../scenario/demo.js";
import { ScenarioError } from "../scenario/load.js";
import { runScenario } from "../scenario/run.js";
import { scenarioJsonSchema } from "../scenario/schema.js";
import { WorldError } from "../scenario/world.js";
import { DistributionError } from "../sim/distribution.js";
import { TRACE_LEVELS, type TraceLevel } from "../sim/trace.js";
import { LabUnavailable } from "../shell/host/client.js";
import { cilium } from "../shell/cilium.js";
import { istioctl } from "../shell/istioctl.js";
import { linkerd } from "../shell/linkerd.js";
import { kubectl } from "../shell/kubectl/kubectl.js";
import { LabFileError } from "../shell/lab/labfile.js";
import { VERSION } from "../version.js";
import { EXIT, UsageError, countOption, durationOption, openTrace, seedOption } from "./options.js";
import { execCommand, type ExecFlags } from "./exec.js";
import { clusterToolCommand, type ClusterTool, type ClusterToolFlags } from "./cluster-tool.js";
import { replayCommand } from "./replay.js";
import { labCommand } from "./lab.js";
import { runCommand, type RunFlags } from "./run.js";
import { shellCommand, type ShellFlags } from "./shell.js";
import { DEFAULT_LISTEN, listenOption, serveDnsCommand, type ServeDnsFlags } from "./serve-dns.js";
import { readScenarioFile } from "./scenario-file.js";

const REPORT_BUGS = `This is a bug in mcsim ${VERSION} (Node.js ${process.version}). Please report it with the command line you ran, the scenario and the output above.`;

/** Errors that mean the input is wrong (a scenario, a manifest, a Corefile), not mcsim. */
const BAD_INPUT = [ScenarioError, ManifestError, CorefileError, TopologyError, ApiError, WorldError, LinkError, DistributionError, DnsChaosError, LabFileError, LabUnavailable];

interface DemoFlags {
  seed: number;
  duration: number;
  rate: number;
  trace?: string;
  traceLevel?: TraceLevel;
  json?: boolean;
  maxEvents?: number;
}

function demo(flags: DemoFlags): number {
  const trace = openTrace(flags.trace);
  try {
    const report = runDemo({
      seed: flags.seed,
      duration: flags.duration,
      rate: flags.rate,
      traceLevel: flags.traceLevel ?? (flags.trace ? "full" : "off"),
      traceSinks: trace.sinks,
      ...(flags.maxEvents === undefined ? {} : { maxEvents: flags.maxEvents }),
    });
    process.stdout.write(flags.json ? `${JSON.stringify(demoReportJson(report))}\n` : `${formatDemoReport(report)}\n`);
    if (report.run.stoppedBy === "budget") process.stderr.write(`mcsim: ${report.run.message}\n`);
  } finally {
    trace.close();
  }
  return EXIT.ok;
}

function validate(file: string): number {
  const { scenario, source } = readScenarioFile(file);
  // Building the world (stopping at 0s) finds what only a cluster can: a clusterIP out of range, a
  // fault's selector naming no zone. A valid scenario then does not fail as soon as it runs.
  runScenario(scenario, { until: 0 });
  const s = scenario.spec;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const others = Object.keys(source.files).filter((f) => f !== file);
  process.stdout.write(
    `${file}: valid scenario ${scenario.metadata.name}: ${count(s.clusters.length, "cluster")}, ${count(s.traffic.length, "stream")}, ${count(s.faults.length, "fault")}, ${count(s.expect.length, "expectation")}` +
      `${others.length ? `; read ${others.join(", ")}` : ""}\n`,
  );
  return EXIT.ok;
}

function program(): Command {
  const cli = new Command("mcsim")
    .description("Deterministic emulator of multi-cluster Kubernetes networking")
    .version(VERSION)
    .showHelpAfterError("(run mcsim --help for usage)")
    // Commander's own errors begin "error:"; ours begin "mcsim:", as every other message does.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "mcsim: ")) })
    .exitOverride();
  const traceLevel = () => new Option("--trace-level <level>", "what the trace records").choices(TRACE_LEVELS);
  cli
    .command("run")
    .description("run a scenario and print its report; exit 1 when an expectation fails")
    .argument("<scenario>", "the scenario file (YAML)")
    .option("--seed <n>", "override the scenario's seed", seedOption)
    .option("--until <duration>", "stop at this simulated time (a partial report)", durationOption("--until"))
    .option("--trace <file>", "write the NDJSON trace to this file (replay it with mcsim replay)")
    .addOption(traceLevel().default(undefined, "full with --trace, else summary"))
    .option("--pcap <file>", "write every DNS message as a packet to this file (classic pcap, for tshark and Wireshark)")
    .option("--show-config", "print each cluster's coredns ConfigMap and the objects the patterns add, as YAML, instead of running")
    .addOption(new Option("--report <format>", "how to print the report").choices(["table", "json"]).default("table"))
    .option("--max-events <n>", "stop a runaway run after this many events (a partial report)", countOption("--max-events"))
    .option("--max-wall <duration>", "stop after this much wall-clock time (a partial report)", durationOption("--max-wall"))
    .action((file: string, flags: RunFlags) => {
      process.exitCode = runCommand(file, flags);
    });
  cli
    .command("validate")
    .description("check a scenario and the files it names, without running it")
    .argument("<scenario>", "the scenario file (YAML)")
    .action((file: string) => {
      process.exitCode = validate(file);
    });
  cli
    .command("schema")
    .description("print the scenario file's JSON Schema (draft-07), for editors")
    .action(() => {
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
      process.exitCode = EXIT.ok;
    });
  cli
    .command("replay")
    .description("run the scenario recorded in a trace again and check that the trace is identical; exit 1 when it is not")
    .argument("<trace>", "a trace written by mcsim run --trace")
    .action((file: string) => {
      process.exitCode = replayCommand(file);
    });
  cli
    .command("serve-dns")
    .description(
      "run a scenario to a simulated instant, then answer real DNS queries (UDP and TCP, one port) as one cluster's DNS service does, until interrupted",
    )
    .argument("<scenario>", "the scenario file (YAML)")
    .requiredOption("--cluster <name>", "the cluster whose DNS service (kube-dns) answers")
    .addOption(new Option("--listen <address>", "where to listen: IP:PORT, [IPv6]:PORT or PORT").argParser(listenOption).default(listenOption(DEFAULT_LISTEN), DEFAULT_LISTEN))
    .option("--at <duration>", "the simulated instant to start serving at (default: the end of the scenario's warmup)", durationOption("--at"))
    .option("--seed <n>", "override the scenario's seed", seedOption)
    .option("--rate-limit <n>", "queries per second allowed from one client address", countOption("--rate-limit"), 1000)
    .action((file: string, flags: ServeDnsFlags) => {
      serveDnsCommand(file, flags);
    });
  cli
    .command("exec")
    .description("run a scenario to a simulated instant, then run one command in a pod, as kubectl exec does: dig, nslookup (busybox's or BIND's, by the pod's image), cat /etc/resolv.conf")
    .argument("<scenario>", "the scenario file (YAML)")
    .argument("<pod>", "the pod to run the command in")
    .argument("<command...>", "the command and its arguments, after --")
    .option("--context <cluster>", "the cluster the pod is in (default: the scenario's first)")
    .option("-n, --namespace <namespace>", "the pod's namespace", "default")
    .option("--image <image>", "start the pod first with this image, as kubectl run does (busybox:1.36, busybox:1.28, debian:12, ...)")
    .option("--at <duration>", "the simulated instant to run the command at (default: the end of the scenario's warmup)", durationOption("--at"))
    .option("--seed <n>", "override the scenario's seed", seedOption)
    .action((file: string, pod: string, argv: string[], flags: ExecFlags) => {
      process.exitCode = execCommand(file, pod, argv, flags);
    });
  const clusterTool = (name: string, tool: ClusterTool, what: string) =>
    cli
      .command(name)
      .description(`run a scenario to a simulated instant, then one ${name} command against it: ${what}`)
      .argument("<scenario>", "the scenario file (YAML)")
      .argument("<args...>", `${name}'s arguments, after --`)
      .option("--context <cluster>", "the current context (default: the scenario's first cluster)")
      .option("--at <duration>", "the simulated instant to run the command at (default: the end of the scenario's warmup)", durationOption("--at"))
      .option("--seed <n>", "override the scenario's seed", seedOption)
      .action((file: string, args: string[], flags: ClusterToolFlags) => {
        process.exitCode = clusterToolCommand(tool, file, args, flags);
      });
  clusterTool("kubectl", kubectl, "one context per cluster; get, apply, delete, scale, label, annotate, exec, run, config, with -n, -A, -l, -o wide|yaml|json|name");
  clusterTool("istioctl", istioctl, "remote-clusters, proxy-status (ps), proxy-config endpoint|cluster POD[.NAMESPACE], analyze [-n NS|-A], version, of the context's istiod or pod");
  clusterTool("cilium", cilium, "clustermesh status, of the context's Cilium ClusterMesh");
  clusterTool("linkerd", linkerd, "multicluster (mc) gateways|check, of the context's service mirrors");
  cli
    .command("shell")
    .description(
      "run a scenario to a simulated instant, then a lab shell on it: kubectl (one context per cluster), istioctl, mcsim time|advance, sleep, pipes into grep|head|tail|wc; interactive on a terminal, else from --script or stdin",
    )
    .argument("<scenario>", "the scenario file (YAML)")
    .option("--script <file>", "run the commands of this file instead of reading them from stdin")
    .option("--context <cluster>", "the context current at the start (default: the scenario's first cluster)")
    .addOption(new Option("--step <duration>", "how far each kubectl or istioctl command runs the clock after it (0 for none)").argParser(durationOption("--step")).default(1_000_000, "1s"))
    .option("--echo", "print each prompt and command before its output, as a terminal shows them (for transcripts)")
    .option("--at <duration>", "the simulated instant the shell starts at (default: the end of the scenario's warmup)", durationOption("--at"))
    .option("--seed <n>", "override the scenario's seed", seedOption)
    .action((file: string, flags: ShellFlags) => {
      shellCommand(file, flags, report);
    });
  labCommand(cli, report);
  cli
    .command("demo")
    .description("run the built-in demo: two clusters in two regions pinging each other, with a partition in the middle")
    .option("--seed <n>", "the world's seed", seedOption, 1)
    .addOption(
      new Option("--duration <duration>", "simulated time to run (e.g. 60s, 5m)").argParser(durationOption("--duration")).default(60_000_000, "60s"),
    )
    .option("--rate <n>", "pings per second from each client", countOption("--rate"), 50)
    .option("--trace <file>", "write the NDJSON trace to this file")
    .addOption(traceLevel().default(undefined, "full with --trace, else off"))
    .option("--max-events <n>", "stop the run after this many events (a partial result)", countOption("--max-events"))
    .option("--json", "print the report as one JSON object")
    .action((flags: DemoFlags) => {
      process.exitCode = demo(flags);
    });
  return cli;
}

/** Prints what an error means for the user and gives the exit code it calls for. */
function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help and version "errors" are successes; anything else commander rejects is bad input.
    return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (e instanceof UsageError || BAD_INPUT.some((kind) => e instanceof kind)) {
    process.stderr.write(`mcsim: ${(e as Error).message}\n`);
    return EXIT.badInput;
  }
  process.stderr.write(`mcsim: internal error: ${(e as Error)?.stack ?? String(e)}\n${REPORT_BUGS}\n`);
  return EXIT.internal;
}

function main(argv: readonly string[]): void {
  try {
    program().parse(argv as string[], { from: "user" });
  } catch (e) {
    process.exitCode = report(e);
  }
}

// `mcsim schema | head`: a reader that stops early is no error, and no reason for a stack trace.
// Any other failure to write (a full disk) is, like a --trace file that cannot be written, not a bug.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit();
  process.stderr.write(`mcsim: cannot write the output (${e.code ?? e.message})\n`);
  process.exit(EXIT.badInput);
});

main(process.argv.slice(2));

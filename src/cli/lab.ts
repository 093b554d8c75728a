import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { parse } from "yaml";
import { LAB_FILES } from "../shell/host/address.js";
import { labRequest } from "../shell/host/client.js";
import type { LabResponse, RunResponse, StatusResponse } from "../shell/host/protocol.js";
import { serveLab } from "../shell/host/server.js";
import type { LabConfig } from "../shell/host/state.js";
import { quote } from "../shell/lab/engine.js";
import { EXPORT_PLATFORMS, exportLab, type ExportPlatform } from "../shell/lab/export.js";
import { loadLab, type LoadedLab } from "../shell/lab/labfile.js";
import { DEFAULT_STEP } from "../shell/session.js";
import { formatDuration, type Micros } from "../sim/time.js";
import { VERSION } from "../version.js";
import { EXIT, UsageError, durationOption, readInput, seedOption } from "./options.js";
import { checkCluster, readScenarioFile } from "./scenario-file.js";

/** The programs `mcsim lab env` puts first on PATH, each a shim that runs it in the lab. */
const SHIMS = ["kubectl", "istioctl", "linkerd", "dig", "nslookup"] as const;

/** The flags of `mcsim lab init`. */
interface InitFlags {
  state: string;
  clock: "wall" | "step";
  context?: string;
  step: Micros;
  at?: Micros;
  seed?: number;
}

/** A scenario or lab file named on the command line, with the texts of every file it read. */
interface Sources {
  readonly scenarioFile: string;
  readonly files: Record<string, string>;
  readonly lab?: { readonly file: string; readonly text: string; readonly loaded: LoadedLab };
}

/**
 * Reads what `mcsim lab init` and `export` are given: a lab file (`kind: Lab`, or a folder holding
 * `lab.yaml`) and the scenario it names, or a scenario alone.
 */
function readSources(given: string): Sources {
  const path = existsSync(given) && statSync(given).isDirectory() ? join(given, "lab.yaml") : given;
  const text = readInput(path);
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = undefined; // the loaders report the syntax error with its place
  }
  const isLab = typeof doc === "object" && doc !== null && ((doc as { kind?: unknown }).kind === "Lab" || ("steps" in doc && !("spec" in doc)));
  if (!isLab) {
    const { source } = readScenarioFile(path);
    return { scenarioFile: path, files: { ...source.files } };
  }
  const files: Record<string, string> = {};
  const loaded = loadLab(text, path, (p) => {
    const { scenario, source } = readScenarioFile(p);
    Object.assign(files, source.files);
    return scenario;
  });
  return { scenarioFile: loaded.scenarioFile, files, lab: { file: path, text, loaded } };
}

/** The shims' client: dist/lab-client.js beside the built command, or its source when run by tsx. */
function clientCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const source = here.endsWith(".ts");
  const client = source ? resolve(dirname(here), "../shell/host/lab-client.ts") : join(dirname(here), "lab-client.js");
  return [process.execPath, ...(source ? process.execArgv : []), client];
}

function init(given: string, flags: InitFlags): Promise<number> {
  const dir = resolve(flags.state);
  if (existsSync(join(dir, LAB_FILES.config))) throw new UsageError(`--state ${flags.state}: a lab is there already; mcsim lab stop ${flags.state}, or choose another directory`);
  const sources = readSources(given);
  const scenario = sources.lab?.loaded.scenario ?? readScenarioFile(sources.scenarioFile).scenario;
  const context = flags.context ?? scenario.spec.clusters[0]!.name;
  checkCluster(scenario, context, "--context");
  mkdirSync(join(dir, LAB_FILES.bin), { recursive: true });
  const config: LabConfig = {
    version: VERSION,
    scenario: { file: sources.scenarioFile, files: sources.files },
    ...(sources.lab ? { lab: { file: sources.lab.file, text: sources.lab.text } } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.at !== undefined ? { at: flags.at } : {}),
    step: flags.step,
    clock: flags.clock,
    context,
    server: [process.execPath, ...process.execArgv, resolve(process.argv[1]!), "lab", "serve", dir],
  };
  writeFileSync(join(dir, LAB_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
  const client = clientCommand().map(quote).join(" ");
  for (const shim of SHIMS) {
    const file = join(dir, LAB_FILES.bin, shim);
    writeFileSync(file, `#!/bin/sh\n# mcsim lab shim: ${shim} in the lab in ${dir}\nexec ${client} ${quote(dir)} ${shim} "$@"\n`);
    chmodSync(file, 0o755);
  }
  return status(flags.state, true).then((code) => {
    if (code === EXIT.ok) process.stdout.write(`shims: eval "$(mcsim lab env ${quote(flags.state)})" puts ${SHIMS.join(", ")} first on PATH\n`);
    return code;
  });
}

async function status(dir: string, start = false): Promise<number> {
  const s = (await labRequest(dir, { op: "status" }, start)) as StatusResponse | undefined;
  if (!s) {
    const log = join(dir, LAB_FILES.log);
    const n = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").length : 0;
    process.stdout.write(`lab ${dir}: stopped, ${n} command${n === 1 ? "" : "s"} in its log; the next command starts it again\n`);
    return EXIT.expectationFailed;
  }
  process.stdout.write(
    `lab ${dir}: running (pid ${s.pid})\n` +
      `scenario: ${s.scenario}${s.lab ? `, lab: ${s.lab}` : ""}\n` +
      `clock: ${formatDuration(s.now)} (${s.clock})\ncontext: ${s.context}\ncommands: ${s.commands}\ndigest: ${s.digest}\n`,
  );
  return EXIT.ok;
}

async function stop(dir: string): Promise<number> {
  const r = await labRequest(dir, { op: "stop" }, false);
  process.stdout.write(r ? `lab ${dir}: stopped\n` : `lab ${dir}: not running\n`);
  return EXIT.ok;
}

/** Prints a run's or check's output, in order, and gives its exit status. */
function printed(r: LabResponse | undefined): number {
  if (r && "error" in r) throw new Error(r.error);
  const out = r as RunResponse;
  for (const [stream, text] of out.output) (stream === "stdout" ? process.stdout : process.stderr).write(text);
  return out.exitCode;
}

async function run(dir: string, command: readonly string[]): Promise<number> {
  // No command: a script on stdin, run as one input, as mcsim shell --script runs it.
  const text = command.length > 0 ? command.join(" ") : readFileSync(0, "utf8");
  return printed(await labRequest(dir, { op: "run", text, cwd: process.cwd() }));
}

function env(dir: string): number {
  const bin = join(resolve(dir), LAB_FILES.bin);
  if (!existsSync(bin)) throw new UsageError(`${dir}: no lab here; start one with mcsim lab init SCENARIO --state ${dir}`);
  process.stdout.write(`export PATH=${quote(bin)}:"$PATH"\n`);
  return EXIT.ok;
}

function exportCommand(platform: ExportPlatform, given: string, out: string): number {
  const sources = readSources(given);
  if (!sources.lab) throw new UsageError(`${given}: a scenario, not a lab file; export takes a lab file (kind: Lab) or a folder with lab.yaml`);
  const base = dirname(sources.lab.file);
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries({ [sources.lab.file]: sources.lab.text, ...sources.files })) {
    const rel = relative(base, path);
    if (rel.startsWith("..")) throw new UsageError(`${path}: outside the lab's folder ${base}; keep the lab's files beside its lab file`);
    files[rel] = text;
  }
  const written = exportLab(platform, { lab: sources.lab.loaded.lab, labFile: basename(sources.lab.file), files });
  for (const [path, text] of Object.entries(written)) {
    const file = join(out, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    if (text.startsWith("#!")) chmodSync(file, 0o755);
  }
  process.stdout.write(`${out}: ${Object.keys(written).length} files for ${platform}\n`);
  return EXIT.ok;
}

/**
 * `mcsim lab`: labs for lab platforms, whose state is shared by every process of the learner's
 * machine (the terminal's shims, the platform's check scripts) through a lab server.
 *
 * @param report turns an error into its message and exit code, as main does for other commands.
 */
export function labCommand(cli: Command, report: (e: unknown) => number): void {
  const done = (action: () => Promise<number> | number) =>
    Promise.resolve()
      .then(action)
      .then(
        (code) => void (process.exitCode = code),
        (e: unknown) => void (process.exitCode = report(e)),
      );
  const lab = cli.command("lab").description("labs for lab platforms: a lab server holding the simulation, shims for kubectl, istioctl, linkerd, dig and nslookup, checks and exports");
  lab
    .command("init")
    .description("start a lab: its server runs the scenario (or the lab file's) in the background, logging every command to DIR/log.ndjson")
    .argument("<scenario>", "a scenario file, a lab file (kind: Lab), or a folder with lab.yaml")
    .requiredOption("--state <dir>", "the lab's state directory (created)")
    .addOption(new Option("--clock <clock>", "wall: the simulated clock keeps up with the wall clock; step: only commands move it").choices(["wall", "step"]).default("wall"))
    .option("--context <cluster>", "the context current at the start (default: the scenario's first cluster)")
    .addOption(new Option("--step <duration>", "how far each kubectl or istioctl command runs the clock (0 for none)").argParser(durationOption("--step")).default(DEFAULT_STEP, "1s"))
    .option("--at <duration>", "the simulated instant the lab starts at (default: the end of the scenario's warmup)", durationOption("--at"))
    .option("--seed <n>", "override the scenario's seed", seedOption)
    .action((file: string, flags: InitFlags) => done(() => init(file, flags)));
  lab.command("status").description("say whether the lab's server runs, its clock, context and number of commands; exit 1 when stopped").argument("<dir>", "the lab's state directory").action((dir: string) => done(() => status(dir)));
  lab.command("stop").description("stop the lab's server (its log stays: the next command starts it again, replaying the log)").argument("<dir>", "the lab's state directory").action((dir: string) => done(() => stop(dir)));
  lab
    .command("run")
    .description("run one lab shell command line in the lab (or, with none, the script on stdin) and exit with its status")
    .argument("<dir>", "the lab's state directory")
    .argument("[command...]", "the command line, after --")
    .action((dir: string, command: string[]) => done(() => run(dir, command)));
  lab.command("env").description("print the shell line that puts the lab's shims first on PATH: eval \"$(mcsim lab env DIR)\"").argument("<dir>", "the lab's state directory").action((dir: string) => done(() => env(dir)));
  lab
    .command("check")
    .description("evaluate checks of the lab file by name: exit 0 when they pass, else 1 with the reason in one line")
    .argument("<dir>", "the lab's state directory")
    .argument("<check...>", "the checks' names")
    .action((dir: string, names: string[]) => done(async () => printed(await labRequest(dir, { op: "check", names }))));
  lab
    .command("export")
    .description("write a lab platform's files for a lab: Killercoda (index.json, step Markdown, verify scripts) or Instruqt (track.yml, challenges, check scripts)")
    .addArgument(new Command().createArgument("<platform>", "killercoda or instruqt").choices(EXPORT_PLATFORMS))
    .argument("<lab>", "a lab file (kind: Lab) or a folder with lab.yaml")
    .requiredOption("--out <dir>", "where to write the files")
    .action((platform: ExportPlatform, file: string, flags: { out: string }) => done(() => exportCommand(platform, file, flags.out)));
  lab
    .command("serve", { hidden: true })
    .argument("<dir>", "the lab's state directory")
    .action((dir: string) => serveLab(dir));
}

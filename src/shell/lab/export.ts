import { VERSION } from "../../version.js";
import { quote } from "./engine.js";
import type { Lab, LabStep } from "./labfile.js";

/**
 * A lab written out as a lab platform's files (landscape.md §1.1 Killercoda, §1.2 Instruqt). The
 * platform's machine installs mcsim, starts the lab from its sources (`mcsim lab init`), puts the
 * shims first on PATH (`mcsim lab env`), and completes a step when its script, which runs
 * `mcsim lab check` on the step's checks, exits 0.
 */

/** The platforms `mcsim lab export` writes for. */
export const EXPORT_PLATFORMS = ["killercoda", "instruqt"] as const;
export type ExportPlatform = (typeof EXPORT_PLATFORMS)[number];

/** What an export is made from: the lab, and its sources (the lab file, scenario, manifests) by path relative to the lab file's folder. */
export interface LabSources {
  readonly lab: Lab;
  /** The lab file's path in `files`. */
  readonly labFile: string;
  readonly files: Readonly<Record<string, string>>;
}

/** Where the exported machine keeps the lab's sources and its state. */
const SOURCES = "/root/mcsim-lab-src";
const STATE = "/root/mcsim-lab";
const READY = "/tmp/mcsim-lab-ready";

/** The files of a lab for a platform, by path relative to the export's folder. */
export function exportLab(platform: ExportPlatform, sources: LabSources): Record<string, string> {
  return platform === "killercoda" ? killercoda(sources) : instruqt(sources);
}

/** Installs mcsim and starts the lab (the platform's setup or background script). */
function setupScript(labFile: string, extra: string): string {
  return `#!/bin/bash
# Installs mcsim ${VERSION} and starts the lab; the learner's shell gets its kubectl, istioctl,
# linkerd, dig and nslookup first on PATH.
set -euo pipefail
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi
npm install -g mcsim@${VERSION}
${extra}mcsim lab init ${SOURCES}/${labFile} --state ${STATE}
echo 'eval "$(mcsim lab env ${STATE})"' >> /root/.bashrc
touch ${READY}
`;
}

/** The script that completes a step: 0 when every check passes, else the first failure's reason. */
function checkCommand(step: LabStep): string {
  return `mcsim lab check ${STATE} ${step.checks.map((c) => quote(c.name)).join(" ")}`;
}

/** The step's text, then its hints and solution folded away, as Killercoda's solution dropdowns. */
function stepMarkdown(step: LabStep, runnable: string): string {
  let md = `# ${step.title}\n\n${step.text.trimEnd()}\n`;
  step.hints.forEach((h, i) => (md += `\n<details><summary>Hint${step.hints.length > 1 ? ` ${i + 1}` : ""}</summary>\n\n${h.trimEnd()}\n\n</details>\n`));
  if (step.solution.length > 0) md += `\n<details><summary>Solution</summary>\n\n\`\`\`plain\n${step.solution.map((s) => s.trimEnd()).join("\n")}\n\`\`\`${runnable}\n\n</details>\n`;
  return md;
}

/** Killercoda: index.json, Markdown per step, verify scripts, the sources as assets (§1.1). */
function killercoda(sources: LabSources): Record<string, string> {
  const { lab } = sources;
  const out: Record<string, string> = {};
  out["intro.md"] = `# ${lab.title}\n\n${(lab.description ?? "").trimEnd()}\n\nThe clusters are simulated by mcsim: wait for the terminal to say the lab is ready.\n`;
  out["setup.sh"] = setupScript(sources.labFile, "");
  out["foreground.sh"] = `#!/bin/bash\nwhile [ ! -f ${READY} ]; do sleep 1; done\neval "$(mcsim lab env ${STATE})"\nclear\necho "The lab is ready: kubectl, istioctl, dig and nslookup talk to the simulated clusters."\n`;
  const steps = lab.steps.map((step, i) => {
    const dir = `step${i + 1}`;
    out[`${dir}/text.md`] = stepMarkdown(step, "{{exec}}");
    if (step.checks.length > 0) out[`${dir}/verify.sh`] = `#!/bin/bash\n# ${step.title}: ${step.checks.map((c) => c.name).join(", ")}\n${checkCommand(step)}\n`;
    return { title: step.title, text: `${dir}/text.md`, ...(step.checks.length > 0 ? { verify: `${dir}/verify.sh` } : {}) };
  });
  out["finish.md"] = `# Done\n\n${(lab.finish ?? `You have completed ${lab.title}.`).trimEnd()}\n`;
  const assets = Object.keys(sources.files).map((path) => {
    out[`assets/lab/${path}`] = sources.files[path]!;
    const slash = path.lastIndexOf("/");
    return { file: `lab/${path}`, target: slash < 0 ? SOURCES : `${SOURCES}/${path.slice(0, slash)}` };
  });
  const index = {
    title: lab.title,
    description: firstLine(lab.description ?? lab.title),
    details: {
      intro: { text: "intro.md", background: "setup.sh", foreground: "foreground.sh" },
      steps,
      finish: { text: "finish.md" },
      assets: { host01: assets },
    },
    backend: { imageid: "ubuntu" },
  };
  out["index.json"] = `${JSON.stringify(index, null, 2)}\n`;
  return out;
}

/** Instruqt: track.yml, config.yml, the track's setup script, a folder per challenge with its check and solve scripts (§1.2). */
function instruqt(sources: LabSources): Record<string, string> {
  const { lab } = sources;
  const out: Record<string, string> = {};
  const host = "workstation";
  out["track.yml"] = yaml({ slug: slug(lab.title), title: lab.title, teaser: firstLine(lab.description ?? lab.title), description: lab.description ?? lab.title, tags: ["kubernetes", "multi-cluster", "mcsim"], timelimit: 3600 });
  out["config.yml"] = `version: "3"\ncontainers:\n- name: ${host}\n  image: node:20\n  shell: /bin/bash\n`;
  const files = Object.entries(sources.files)
    .map(([path, text]) => {
      let delimiter = "MCSIM_FILE";
      while (text.split("\n").includes(delimiter)) delimiter += "_";
      return `mkdir -p "$(dirname ${SOURCES}/${path})"\ncat > ${SOURCES}/${path} <<'${delimiter}'\n${text.endsWith("\n") ? text : `${text}\n`}${delimiter}\n`;
    })
    .join("");
  out[`track_scripts/setup-${host}`] = setupScript(sources.labFile, files);
  lab.steps.forEach((step, i) => {
    const dir = `${String(i + 1).padStart(2, "0")}-${slug(step.title)}`;
    const front = yaml({ slug: slug(step.title), type: "challenge", title: step.title, teaser: firstLine(step.text), tabs: [{ title: "Terminal", type: "terminal", hostname: host }], difficulty: "basic", timelimit: 900 });
    out[`${dir}/assignment.md`] = `---\n${front}---\n\n${stepMarkdown(step, "")}`;
    if (step.checks.length > 0) {
      out[`${dir}/check-${host}`] = `#!/bin/bash\n# ${step.title}: ${step.checks.map((c) => c.name).join(", ")}; Instruqt shows a FAIL: line to the learner.\nif ! reason=$(${checkCommand(step)} 2>&1); then\n  echo "FAIL: $reason"\n  exit 1\nfi\n`;
    }
    if (step.solution.length > 0) {
      out[`${dir}/solve-${host}`] = `#!/bin/bash\n# ${step.title}: the solution, run in the lab as the learner would type it.\nmcsim lab run ${STATE} <<'MCSIM_SOLUTION'\n${step.solution.map((s) => s.trimEnd()).join("\n")}\nMCSIM_SOLUTION\n`;
    }
  });
  return out;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "step";
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]!;
}

/** A little YAML: scalars as JSON strings (valid YAML), lists of scalars or flat maps. */
function yaml(value: Readonly<Record<string, unknown>>, indent = ""): string {
  let text = "";
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      text += `${indent}${key}:\n`;
      for (const item of v) {
        if (typeof item === "object" && item !== null) {
          const [first, ...rest] = yaml(item as Record<string, unknown>, "").trimEnd().split("\n");
          text += `${indent}- ${first}\n${rest.map((l) => `${indent}  ${l}\n`).join("")}`;
        } else text += `${indent}- ${JSON.stringify(item)}\n`;
      }
    } else text += `${indent}${key}: ${typeof v === "number" ? v : JSON.stringify(v)}\n`;
  }
  return text;
}

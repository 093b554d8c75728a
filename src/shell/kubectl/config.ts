import type { ToolOutput } from "../../dns/format/output.js";
import { KubectlError, parseFlags } from "./flags.js";
import type { KubectlTarget } from "./kubectl.js";
import { formatTable } from "./table.js";

/**
 * `kubectl config`: the kubeconfig a lab starts with has one context per simulated cluster, named
 * as the cluster, with a user of the same name and no namespace (as `kind` and `k3d` write theirs).
 * `get-contexts`, `current-context` and `use-context`, which changes the target's context.
 */
export function config(target: KubectlTarget, args: readonly string[]): ToolOutput {
  const [sub, ...rest] = args;
  const names = [...target.world.clusters.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  switch (sub) {
    case "current-context":
      parseFlags(rest, {});
      return ok(`${target.context}\n`);
    case "use-context": {
      const { words } = parseFlags(rest, {});
      const name = words[0];
      if (name === undefined || words.length > 1) throw new KubectlError("Unexpected args: use-context takes one context name, as in kubectl config use-context NAME");
      if (!target.world.clusters.has(name)) throw new KubectlError(`no context exists with the name: "${name}"`);
      target.context = name;
      return ok(`Switched to context "${name}".\n`);
    }
    case "get-contexts": {
      const f = parseFlags(rest, { values: { "-o": "output", "--output": "output" }, switches: { "--no-headers": "noHeaders" } });
      const output = f.values.get("output");
      if (output !== undefined && output !== "name") throw new KubectlError(`output must be one of '' or 'name': got ${JSON.stringify(output)}`);
      const missing = f.words.find((w) => !target.world.clusters.has(w));
      if (missing !== undefined) throw new KubectlError(`context ${missing} not found`);
      const shown = f.words.length > 0 ? names.filter((n) => f.words.includes(n)) : names;
      if (output === "name") return ok(shown.map((n) => `${n}\n`).join(""));
      const rows = shown.map((n) => [n === target.context ? "*" : "", n, n, n, ""]);
      const header = ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"];
      return ok(f.switches.has("noHeaders") ? formatTable(rows[0]!, rows.slice(1)) : formatTable(header, rows));
    }
    case undefined:
      throw new KubectlError('you must specify a config command: kubectl config get-contexts|current-context|use-context NAME');
    default:
      throw new KubectlError(`unknown command "${sub}" for "kubectl config" (this kubectl knows get-contexts, current-context, use-context)`);
  }
}

function ok(stdout: string): ToolOutput {
  return { stdout, stderr: "", exitCode: 0 };
}

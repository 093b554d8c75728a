import type { ToolOutput } from "../dns/format/output.js";
import { parseResolvConf } from "../dns/resolver/resolvconf.js";
import type { PodShell } from "./pod.js";

/**
 * BIND 9.18's `host NAME`: the name looked up through the pod's resolv.conf (its search list and
 * ndots, as host walks them), printed as host prints it: `NAME is an alias for TARGET.` for a
 * CNAME, `NAME has address A` and `NAME has IPv6 address AAAA`, `Host NAME not found:
 * 3(NXDOMAIN)` (exit 1), and `;; communications error ... timed out` when no server answers.
 */
export function host(shell: PodShell, args: readonly string[]): ToolOutput {
  const names = args.filter((a) => !a.startsWith("-"));
  const [name] = names;
  if (name === undefined || names.length > 1 || args.some((a) => a.startsWith("-"))) {
    return { stdout: "", stderr: "Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n            [-R number] [-m flag] [-p port] hostname [server]\n(mcsim's host takes one hostname)\n", exitCode: 1 };
  }
  const r = shell.lookup(name);
  if (r.ok) {
    const answered = r.answeredName ?? name;
    const canonical = r.canonicalName ?? answered;
    let out = canonical !== answered ? `${answered} is an alias for ${canonical}.\n` : "";
    for (const a of r.addresses) out += `${canonical} has ${a.family === 6 ? "IPv6 address" : "address"} ${a.address}\n`;
    return { stdout: out, stderr: "", exitCode: 0 };
  }
  switch (r.error) {
    case "not-found":
      return { stdout: `Host ${name} not found: 3(NXDOMAIN)\n`, stderr: "", exitCode: 1 };
    case "no-data":
      return { stdout: "", stderr: "", exitCode: 0 };
    case "fail":
      return { stdout: `Host ${name} not found: 5(REFUSED)\n`, stderr: "", exitCode: 1 };
    default: {
      const answered = r.queries.some((q) => q.outcome !== "timeout");
      if (answered) return { stdout: `Host ${name} not found: 2(SERVFAIL)\n`, stderr: "", exitCode: 1 };
      const server = parseResolvConf(shell.resolvConf).nameservers[0] ?? "127.0.0.1";
      return { stdout: `;; communications error to ${server}#53: timed out\n;; communications error to ${server}#53: timed out\n;; no servers could be reached\n`, stderr: "", exitCode: 1 };
    }
  }
}

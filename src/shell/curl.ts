import type { ToolOutput } from "../dns/format/output.js";
import { parseUrl, UrlError, type ParsedUrl, type RequestResult } from "../http/message.js";
import { civilTime, SIM_EPOCH_UNIX_SECONDS, twoDigits } from "../k8s/timestamp.js";
import { parseDuration, SECOND, type Micros } from "../sim/time.js";
import { reasonPhrase, shownResponse } from "./http-response.js";
import type { PodShell } from "./pod.js";

/**
 * `curl` and busybox `wget` inside pods: one HTTP call through the pod's resolver and, when it
 * has one, its sidecar (World.request, as `request:` traffic calls), printed as the tools print
 * it: the body, headers (`-I`, `-v`, `wget -S`), `-w '%{http_code}'`, and curl's error lines
 * and exit codes ((6) could not resolve, (7) failed to connect, (28) timed out, (56) reset).
 */

/** The curl in curlimages/curl and the toolbox images. */
const CURL_VERSION = "8.11.1";
/** What `curl` waits for a connection when no --connect-timeout is given: Linux gives up on SYNs after ~127s. */
const KERNEL_CONNECT_LIMIT: Micros = 127 * SECOND;
/** The whole call's limit when none is given: long enough for anything the simulation does. */
const NO_LIMIT: Micros = 600 * SECOND;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** An HTTP Date header (RFC 9110 IMF-fixdate) for the simulated instant. */
function httpDate(t: Micros): string {
  const c = civilTime(SIM_EPOCH_UNIX_SECONDS + Math.floor(t / SECOND));
  return `${WEEKDAYS[c.weekday]}, ${twoDigits(c.day)} ${MONTHS[c.month - 1]} ${c.year} ${twoDigits(c.hour)}:${twoDigits(c.minute)}:${twoDigits(c.second)} GMT`;
}

/** A response as the client received it: status line, headers and body. */
interface Received {
  readonly statusLine: string;
  readonly headers: readonly [string, string][];
  readonly body: string;
}

/**
 * The response a call got. An app's answer has the headers a small server writes; through a
 * sidecar, Envoy lowercases them and adds `x-envoy-upstream-service-time` and `server: envoy`,
 * and its own replies (503 UH, 504 UT) carry its bodies.
 */
function received(r: RequestResult, sidecar: boolean): Received {
  const shown = shownResponse(r);
  const status = r.status!;
  const ms = Math.max(0, Math.floor((r.finishedAt - r.startedAt) / 1000));
  const headers: [string, string][] = sidecar
    ? [
        ["content-type", "text/plain"],
        ["content-length", String(shown.body.length)],
        ["date", httpDate(r.finishedAt)],
        ...(shown.local ? [] : ([["x-envoy-upstream-service-time", String(ms)]] as [string, string][])),
        ["server", "envoy"],
      ]
    : [
        ["Content-Type", "text/plain; charset=utf-8"],
        ["Date", httpDate(r.finishedAt)],
        ["Content-Length", String(shown.body.length)],
      ];
  return { statusLine: `HTTP/1.1 ${status} ${reasonPhrase(status)}`, headers, body: shown.body };
}

class CurlUsage extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

interface CurlArgs {
  url: string | undefined;
  silent: boolean;
  showError: boolean;
  verbose: boolean;
  head: boolean;
  include: boolean;
  fail: boolean;
  output: string | undefined;
  writeOut: string | undefined;
  maxTime: Micros | undefined;
  connectTimeout: Micros | undefined;
  method: string | undefined;
  headers: Record<string, string>;
}

/** curl's seconds (`-m 5`, `--max-time 0.5`). */
function seconds(flag: string, value: string | undefined): Micros {
  if (value === undefined) throw new CurlUsage(`option ${flag}: requires parameter`, 2);
  if (!/^\d+(\.\d+)?$/.test(value)) throw new CurlUsage(`option ${flag}: expected a proper numerical parameter`, 2);
  return Math.round(Number(value) * SECOND);
}

function parseCurl(args: readonly string[]): CurlArgs {
  const a: CurlArgs = { url: undefined, silent: false, showError: false, verbose: false, head: false, include: false, fail: false, output: undefined, writeOut: undefined, maxTime: undefined, connectTimeout: undefined, method: undefined, headers: {} };
  const switches: Record<string, (keyof CurlArgs & ("silent" | "showError" | "verbose" | "head" | "include" | "fail")) | null> = {
    s: "silent", S: "showError", v: "verbose", I: "head", i: "include", f: "fail", L: null, k: null,
  };
  const long: Record<string, string> = { "--silent": "-s", "--show-error": "-S", "--verbose": "-v", "--head": "-I", "--include": "-i", "--fail": "-f", "--location": "-L", "--insecure": "-k", "--output": "-o", "--write-out": "-w", "--max-time": "-m", "--header": "-H", "--request": "-X" };
  for (let i = 0; i < args.length; i++) {
    let arg = args[i]!;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 0) [arg, inline] = [arg.slice(0, eq), arg.slice(eq + 1)];
      if (arg === "--connect-timeout") {
        a.connectTimeout = seconds(arg, inline ?? args[++i]);
        continue;
      }
      const short = long[arg];
      if (short === undefined) throw new CurlUsage(`option ${arg}: is unknown`, 2);
      arg = short;
    }
    if (!arg.startsWith("-") || arg === "-") {
      a.url = arg;
      continue;
    }
    for (let k = 1; k < arg.length; k++) {
      const letter = arg[k]!;
      if (Object.hasOwn(switches, letter)) {
        const name = switches[letter];
        if (name) a[name] = true;
        continue;
      }
      // A letter taking a value takes the rest of the word, or the next argument.
      const value = inline ?? (k + 1 < arg.length ? arg.slice(k + 1) : args[++i]);
      if (value === undefined && "owmHX".includes(letter)) throw new CurlUsage(`option -${letter}: requires parameter`, 2);
      switch (letter) {
        case "o":
          a.output = value;
          break;
        case "w":
          a.writeOut = value;
          break;
        case "m":
          a.maxTime = seconds("-m", value);
          break;
        case "H": {
          const colon = value!.indexOf(":");
          if (colon > 0) a.headers[value!.slice(0, colon).trim().toLowerCase()] = value!.slice(colon + 1).trim();
          break;
        }
        case "X":
          a.method = value;
          break;
        default:
          throw new CurlUsage(`option -${letter}: is unknown`, 2);
      }
      break;
    }
  }
  return a;
}

/** `-w`'s variables and escapes: %{http_code}, %{time_total}, %{remote_ip}, %{url_effective}, \n. */
function writeOut(format: string, r: RequestResult | undefined, url: string): string {
  return format
    .replace(/%\{(\w+)\}/g, (whole, name: string) => {
      switch (name) {
        case "http_code":
        case "response_code":
          return String(r?.status ?? 0).padStart(3, "0");
        case "time_total":
          return r ? ((r.finishedAt - r.startedAt) / SECOND).toFixed(6) : "0.000000";
        case "remote_ip":
          return r?.address ?? "";
        case "url_effective":
          return url;
        default:
          return whole;
      }
    })
    .replace(/\\n/g, "\n")
    .replace(/\\t/g, "\t");
}

/** A tool's URL argument, with `http://` when it names no scheme (as curl and wget take one); `parsed` is absent when mcsim cannot call it. */
function readUrl(arg: string): { url: string; parsed?: ParsedUrl } {
  const url = /^[a-z]+:\/\//i.test(arg) ? arg : `http://${arg}`;
  try {
    return { url, parsed: parseUrl(url) };
  } catch (e) {
    if (!(e instanceof UrlError)) throw e;
    return { url };
  }
}

/** curl's error line and exit code for a call that got no response. */
function curlError(r: RequestResult, host: string, port: number, a: CurlArgs): [number, string] {
  const ms = Math.floor((r.finishedAt - r.startedAt) / 1000);
  switch (r.error) {
    case "dns":
      return [6, `Could not resolve host: ${host}`];
    case "connect-refused":
      return [7, `Failed to connect to ${host} port ${port} after ${ms} ms: Couldn't connect to server`];
    case "connect-timeout":
      return a.maxTime !== undefined && r.finishedAt - r.startedAt >= a.maxTime
        ? [28, `Connection timed out after ${ms} milliseconds`]
        : [28, `Failed to connect to ${host} port ${port} after ${ms} ms: Timeout was reached`];
    case "reset":
      return [56, "Recv failure: Connection reset by peer"];
    default:
      return r.address === undefined ? [28, `Resolving timed out after ${ms} milliseconds`] : [28, `Operation timed out after ${ms} milliseconds with 0 bytes received`];
  }
}

/** `curl [-sSvIif] [-o FILE] [-w FORMAT] [-m SECS] [--connect-timeout SECS] [-H HEADER] [-X METHOD] URL`. */
export function curl(shell: PodShell, args: readonly string[]): ToolOutput {
  let a: CurlArgs;
  try {
    a = parseCurl(args);
  } catch (e) {
    if (!(e instanceof CurlUsage)) throw e;
    return { stdout: "", stderr: `curl: ${e.message}\ncurl: try 'curl --help' for more information\n`, exitCode: e.code };
  }
  if (a.url === undefined) return { stdout: "", stderr: "curl: no URL specified\ncurl: try 'curl --help' for more information\n", exitCode: 2 };
  if (a.output !== undefined && a.output !== "/dev/null" && a.output !== "-") {
    return { stdout: "", stderr: `curl: (23) Failure writing output to destination (mcsim's pods have no files to write: use -o /dev/null)\n`, exitCode: 23 };
  }
  const { url, parsed } = readUrl(a.url);
  if (!parsed) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
    return { stdout: "", stderr: scheme && scheme !== "http" ? `curl: (1) Protocol "${scheme}" not supported (mcsim models http:// only)\n` : `curl: (3) URL rejected: Malformed input to a URL function\n`, exitCode: scheme && scheme !== "http" ? 1 : 3 };
  }
  const method = a.method ?? (a.head ? "HEAD" : "GET");
  const requestHeaders = { "user-agent": `curl/${CURL_VERSION}`, accept: "*/*", ...a.headers };
  const r = shell.request(url, {
    method,
    headers: requestHeaders,
    timeout: a.maxTime ?? NO_LIMIT,
    connectTimeout: Math.min(a.connectTimeout ?? KERNEL_CONNECT_LIMIT, a.maxTime ?? NO_LIMIT),
  });
  const quiet = a.silent && !a.showError;
  let stdout = "";
  let stderr = "";
  if (a.verbose) {
    stderr += r.address ? `*   Trying ${r.address}:${parsed.port}...\n` : `* Could not resolve host: ${parsed.host}\n`;
    if (r.status !== null) {
      stderr += `* Connected to ${parsed.host} (${r.address}) port ${parsed.port}\n`;
      stderr += `> ${method} ${parsed.path} HTTP/1.1\n> Host: ${parsed.authority}\n`;
      for (const [k, v] of Object.entries(requestHeaders)) stderr += `> ${k === "user-agent" ? "User-Agent" : k === "accept" ? "Accept" : k}: ${v}\n`;
      stderr += ">\n";
    }
  }
  if (r.status === null) {
    const [code, message] = curlError(r, parsed.host, parsed.port, a);
    if (!quiet) stderr += `curl: (${code}) ${message}\n`;
    if (a.writeOut !== undefined) stdout += writeOut(a.writeOut, r, url);
    return { stdout, stderr, exitCode: code };
  }
  const response = received(r, shell.hasSidecar);
  const head = `${response.statusLine}\r\n${response.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  if (a.verbose) {
    stderr += head.split("\r\n").slice(0, -1).map((l) => `< ${l}\n`).join("");
    stderr += `* Connection #0 to host ${parsed.host} left intact\n`;
  }
  if (a.fail && r.status >= 400) {
    if (!quiet) stderr += `curl: (22) The requested URL returned error: ${r.status}\n`;
    if (a.writeOut !== undefined) stdout += writeOut(a.writeOut, r, url);
    return { stdout, stderr, exitCode: 22 };
  }
  if (a.output === undefined || a.output === "-") stdout += a.head ? head : `${a.include ? head : ""}${response.body}`;
  if (a.writeOut !== undefined) stdout += writeOut(a.writeOut, r, url);
  return { stdout, stderr, exitCode: 0 };
}

/** busybox wget's `-T SECS` and its other flags. */
interface WgetArgs {
  url: string | undefined;
  quiet: boolean;
  output: string | undefined;
  serverResponse: boolean;
  timeout: Micros | undefined;
  spider: boolean;
}

/** busybox wget (1.36): `wget [-q] [-O FILE|-] [-S] [-T SECS] [--spider] URL`. */
export function wget(shell: PodShell, args: readonly string[]): ToolOutput {
  const a: WgetArgs = { url: undefined, quiet: false, output: undefined, serverResponse: false, timeout: undefined, spider: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--spider") a.spider = true;
    else if (arg.startsWith("-") && arg.length > 1 && !arg.startsWith("--")) {
      for (let k = 1; k < arg.length; k++) {
        const letter = arg[k]!;
        if (letter === "q") a.quiet = true;
        else if (letter === "S") a.serverResponse = true;
        else if (letter === "O" || letter === "T") {
          const value = k + 1 < arg.length ? arg.slice(k + 1) : args[++i];
          if (value === undefined) return { stdout: "", stderr: `wget: option requires an argument -- '${letter}'\n`, exitCode: 1 };
          if (letter === "O") a.output = value;
          else a.timeout = parseDuration(`${value}s`);
          break;
        } else return { stdout: "", stderr: `wget: unrecognized option '-${letter}'\n`, exitCode: 1 };
      }
    } else a.url = arg;
  }
  if (a.url === undefined) return { stdout: "", stderr: "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n", exitCode: 1 };
  const { url, parsed } = readUrl(a.url);
  if (!parsed) return { stdout: "", stderr: `wget: not an http or ftp url: ${a.url}\n`, exitCode: 1 };
  const r = shell.request(url, { method: a.spider ? "HEAD" : "GET", headers: { "user-agent": "Wget" }, timeout: a.timeout ?? 900 * SECOND, connectTimeout: a.timeout ?? KERNEL_CONNECT_LIMIT });
  const toStdout = a.output === "-";
  let stderr = "";
  if (!a.quiet && r.address !== undefined) stderr += `Connecting to ${parsed.authority} (${r.address}:${parsed.port})\n`;
  if (r.status === null) {
    const message =
      r.error === "dns"
        ? `wget: bad address '${parsed.host}'`
        : r.error === "connect-refused"
          ? `wget: can't connect to remote host (${r.address}): Connection refused`
          : r.error === "connect-timeout" && (a.timeout === undefined || r.finishedAt - r.startedAt < a.timeout)
            ? `wget: can't connect to remote host (${r.address}): Connection timed out`
            : r.error === "reset"
              ? "wget: error getting response: Connection reset by peer"
              : "wget: download timed out";
    return { stdout: "", stderr: `${stderr}${message}\n`, exitCode: 1 };
  }
  const response = received(r, shell.hasSidecar);
  if (a.serverResponse) stderr += `  ${response.statusLine}\n${response.headers.map(([k, v]) => `  ${k}: ${v}\n`).join("")}`;
  if (r.status >= 400) return { stdout: "", stderr: `${stderr}wget: server returned error: ${response.statusLine}\n`, exitCode: 1 };
  if (a.spider) return { stdout: "", stderr: a.quiet ? stderr : `${stderr}remote file exists\n`, exitCode: 0 };
  const file = a.output ?? (parsed.path.split("/").pop() || "index.html");
  const bar = `${(toStdout ? "-" : file).padEnd(20)} 100% |********************************| ${String(response.body.length).padStart(5)}  0:00:00 ETA\n`;
  if (toStdout) return { stdout: response.body, stderr: a.quiet ? stderr : `${stderr}writing to stdout\n${bar}written to stdout\n`, exitCode: 0 };
  return { stdout: "", stderr: a.quiet ? stderr : `${stderr}saving to '${file}'\n${bar}'${file}' saved\n`, exitCode: 0 };
}

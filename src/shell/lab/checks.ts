import { runUntilDone } from "../../dns/client-socket.js";
import { NAMESPACED, type Condition } from "../../k8s/objects.js";
import { evaluate } from "../../scenario/expect.js";
import type { Measurements } from "../../scenario/measure.js";
import type { ScenarioSpec } from "../../scenario/spec.js";
import { WorldError, type World } from "../../scenario/world.js";
import { formatDuration, SECOND } from "../../sim/time.js";
import { UrlError } from "../../http/message.js";
import { resourceType } from "../kubectl/resources.js";
import type { LabCheck, LookupCheck, ObjectCheck, RequestCheck } from "./labfile.js";

/** What a lab's checks look at: the lab's world, and its scenario's measurements of traffic. */
export interface CheckTarget {
  readonly world: World;
  readonly spec: ScenarioSpec;
  readonly measurements: Measurements;
}

/** A check's verdict, with its reason in one line (what verify and check scripts print). */
export interface CheckResult {
  readonly pass: boolean;
  readonly reason: string;
}

/** How long a lookup or request check may run the clock before it counts as failed. */
const CHECK_LIMIT = 30 * SECOND;

/**
 * Evaluates a check against the lab as it is now. Lookups and requests run the clock as long as
 * they take (a real one takes that long too); an object or expectation check takes no time.
 */
export function runCheck(target: CheckTarget, check: LabCheck): CheckResult {
  try {
    switch (check.kind) {
      case "object":
        return objectCheck(target.world, check.object);
      case "lookup":
        return lookupCheck(target.world, check.lookup);
      case "request":
        return requestCheck(target.world, check.request);
      case "expect": {
        const now = target.world.sim.now;
        const from = Math.max(0, now - check.last);
        const r = evaluate({ ...check.expect, window: { kind: "window", from, to: now } }, target.spec, target.measurements, new Map());
        return { pass: r.pass, reason: `${r.description} over the last ${formatDuration(now - from)}: ${r.detail}` };
      }
    }
  } catch (e) {
    // A pod that is not there (yet), or a URL curl would refuse too, is the learner's to fix, not a bug.
    if (e instanceof WorldError || e instanceof UrlError) return { pass: false, reason: e.message };
    throw e;
  }
}

function objectCheck(world: World, o: ObjectCheck): CheckResult {
  const type = resourceType(o.kind)!;
  const namespaced = NAMESPACED.has(type.kind);
  const what = `${type.nameType}/${o.name}${namespaced ? ` in namespace ${o.namespace}` : ""} of cluster ${o.cluster}`;
  const object = world.cluster(o.cluster).api.get(type.kind, namespaced ? o.namespace : "", o.name);
  if (!object) return { pass: false, reason: `${what} not found` };
  if (!o.condition) return { pass: true, reason: `${what} exists` };
  const conditions = ((object as { status?: { conditions?: readonly Condition[] } }).status?.conditions ?? []) as readonly Condition[];
  const found = conditions.find((c) => c.type === o.condition!.type);
  const want = `${o.condition.type}=${o.condition.status}`;
  if (!found) return { pass: false, reason: `${what} has no ${o.condition.type} condition (want ${want})` };
  const pass = found.status === o.condition.status;
  return { pass, reason: `${what} is ${found.type}=${found.status}${pass ? "" : ` (want ${want})`}${!pass && found.reason ? `: ${found.reason}` : ""}` };
}

function lookupCheck(world: World, l: LookupCheck): CheckResult {
  const sim = world.sim;
  const lookup = world.resolve(l.cluster, `${l.namespace}/${l.pod}`, l.name, { family: l.type === "A" ? "inet" : "inet6", onDone: () => sim.stop("the check's lookup is done") });
  runUntilDone(sim, () => lookup.result !== undefined, sim.now + CHECK_LIMIT);
  const r = lookup.result;
  const from = `${l.name} (${l.type}) from ${l.namespace}/${l.pod} in ${l.cluster}`;
  if (!r) return { pass: false, reason: `${from}: no answer within ${formatDuration(CHECK_LIMIT)}` };
  const addresses = r.addresses.map((a) => a.address);
  const last = r.queries[r.queries.length - 1]?.outcome ?? "NOERROR";
  const got = r.ok ? `answered ${addresses.join(" ")}` : `failed: ${last}${r.code ? ` (${r.code})` : ""}`;
  if (l.rcode !== undefined) return { pass: last === l.rcode, reason: `${from} ${got}${last === l.rcode ? "" : ` (want ${l.rcode})`}` };
  if (l.address !== undefined) return { pass: addresses.includes(l.address), reason: `${from} ${got}${addresses.includes(l.address) ? "" : ` (want ${l.address})`}` };
  return { pass: r.ok, reason: `${from} ${got}` };
}

function requestCheck(world: World, q: RequestCheck): CheckResult {
  const sim = world.sim;
  const call = world.request(q.cluster, `${q.namespace}/${q.pod}`, q.url, { timeout: CHECK_LIMIT, onDone: () => sim.stop("the check's request is done") });
  runUntilDone(sim, () => call.result !== undefined, sim.now + CHECK_LIMIT + SECOND);
  const r = call.result;
  const from = `GET ${q.url} from ${q.namespace}/${q.pod} in ${q.cluster}`;
  if (!r) return { pass: false, reason: `${from}: no response within ${formatDuration(CHECK_LIMIT)}` };
  const got = r.status === null ? `failed: ${r.error}` : `got ${r.status}${r.flag ? ` ${r.flag}` : ""}`;
  const pass = r.status !== null && (q.status === undefined ? r.status >= 200 && r.status < 300 : r.status === q.status);
  return { pass, reason: `${from} ${got}${pass ? "" : ` (want ${q.status ?? "2xx"})`}` };
}

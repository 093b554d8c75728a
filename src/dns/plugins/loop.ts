/**
 * loop — detects a forwarding loop at startup by sending itself a probe.
 *
 * Syntax (CoreDNS plugin/loop README, setup.go): `loop`, no arguments, once per server block.
 *
 * Modelled as CoreDNS does it (loop.go, setup.go; dns.md §3.4, §4.2):
 * - When the server starts, the plugin sends `HINFO <n1>.<n2>.<zone>` to the server's own address
 *   through DnsServer.exchange (over the simulated network, UDP, 2 s timeout as dns.Exchange);
 *   `zone` is the first zone of the block, n1 and n2 non-negative 63-bit numbers drawn from the
 *   server's `loop` stream. Until an exchange gets a reply it tries again 1 s after each failure,
 *   for up to 30 s; 2 s after the first reply, or after the 30 s, the plugin switches itself off.
 * - While on, every HINFO query for that name that reaches the plugin is counted; the third is a
 *   loop, logged as CoreDNS logs it before exiting:
 *   `[FATAL] plugin/loop: Loop (CLIENT -> :PORT) detected for zone "ZONE", see
 *   https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO NAME"`.
 * - Only the first zone of each block is probed, and only at startup (README "Limitations").
 *
 * What is not modelled: CoreDNS exits at that point (and Kubernetes restarts it: CrashLoopBackOff).
 * The plugin interface has no way to stop the server, so after the FATAL line the plugin drops
 * every query that reaches it, as a dead process would answer none of them; queries answered
 * before it in the chain (kubernetes, cache) are still answered.
 */
import { SECOND } from "../../sim/time.js";
import { canonical, makeQuery, wireName } from "../message.js";
import { directiveError, inZone, type PluginFactory } from "../plugin.js";
import { onlyOnce } from "./directives.js";

const PROBE_TIMEOUT = 2 * SECOND;
const RETRY_AFTER = 1 * SECOND;
const DEADLINE = 30 * SECOND;
const SWITCH_OFF_AFTER = 2 * SECOND;

export const loop: PluginFactory = {
  name: "loop",
  setup(context) {
    const d = context.directive;
    if (d.args.length > 0) throw directiveError(d, `loop: takes no arguments, got ${d.args.length}`);
    if (d.block) throw directiveError(d, "loop: takes no block");
    if (!onlyOnce(context)) return null;
    const server = context.server;
    const sim = server.sim;
    const zone = context.zones[0] ?? ".";
    const rng = server.rng.stream("loop");
    // Go's rand.Int(): a non-negative 63-bit number.
    const int63 = (): string => ((BigInt(rng.nextUint32() & 0x7fffffff) << 32n) | BigInt(rng.nextUint32())).toString();
    const qname = zone === "." ? `${int63()}.${int63()}.` : `${int63()}.${int63()}.${zone}`;
    let off = false;
    let seen = 0;
    let halted = false;

    const deadline = sim.now + DEADLINE;
    const probe = (): void => {
      const address = server.address;
      if (!address || sim.now >= deadline) {
        off = true;
        return;
      }
      const query = makeQuery(wireName(qname), "HINFO", { id: rng.int(65536) });
      server.exchange(address, query, "udp", PROBE_TIMEOUT, (reply) => {
        if (reply) {
          sim.after(SWITCH_OFF_AFTER, () => {
            off = true;
          });
          return;
        }
        if (sim.now + RETRY_AFTER >= deadline) off = true;
        else sim.after(RETRY_AFTER, probe);
      });
    };
    sim.after(0, probe);

    return {
      name: "loop",
      serve(request, writer, next) {
        if (halted) return;
        if (request.qtype !== "HINFO" || off || !inZone(request.name, zone)) return next(request, writer);
        if (request.name === canonical(qname)) seen++;
        if (seen > 2) {
          halted = true;
          const local = `:${server.address?.port ?? 53}`;
          server.log(
            `[FATAL] plugin/loop: Loop (${request.client.text} -> ${local}) detected for zone ${JSON.stringify(zone)}, see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${qname}"`,
          );
          return;
        }
        next(request, writer);
      },
    };
  },
};

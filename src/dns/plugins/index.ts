import type { PluginFactory } from "../plugin.js";
import { health, prometheus, ready, reload } from "./accepted.js";
import { errors } from "./errors.js";
import { autopath } from "./autopath.js";
import { cache } from "./cache.js";
import { forward } from "./forward.js";
import { hosts } from "./hosts.js";
import { kubernetes } from "./kubernetes/index.js";
import { lighthouse } from "./lighthouse/index.js";
import { loadbalance } from "./loadbalance.js";
import { log } from "./log.js";
import { loop } from "./loop.js";
import { multicluster } from "./multicluster/index.js";
import { rewrite } from "./rewrite.js";

/**
 * The plugins mcsim implements, by name. The chain order is not here: it is CoreDNS's plugin.cfg
 * order (PLUGIN_ORDER in the Corefile parser), whatever order a Corefile lists them in.
 */
export const PLUGINS: ReadonlyMap<string, PluginFactory> = new Map(
  [errors, health, ready, reload, prometheus, kubernetes, multicluster, lighthouse, cache, forward, rewrite, loadbalance, hosts, autopath, log, loop].map((f) => [f.name, f]),
);

/** The names of the implemented plugins, for the Corefile parser's "not implemented" errors. */
export const IMPLEMENTED_PLUGINS: ReadonlySet<string> = new Set(PLUGINS.keys());

/**
 * health, ready, reload, prometheus — accepted, outside the query path.
 *
 * Syntax (CoreDNS READMEs):
 *
 *     health [ADDRESS] { lameduck DURATION }
 *     ready [ADDRESS]
 *     reload [INTERVAL] [JITTER]
 *     prometheus [ADDRESS]
 *
 * They serve HTTP endpoints and metrics beside DNS, which the simulation has no client for yet;
 * their arguments are checked so that a mistake in them is still an error, as CoreDNS makes it.
 * The `ready` state itself is kept by each plugin that reports it (CoreDns.isReady).
 */
import { parseDuration } from "../../sim/time.js";
import { directiveError, type PluginFactory, type SetupContext } from "../plugin.js";

function atMost(context: SetupContext, n: number): void {
  const d = context.directive;
  if (d.args.length > n) throw directiveError(d, `${d.name}: takes at most ${n} argument${n === 1 ? "" : "s"}, got ${d.args.length}`);
}

function durations(context: SetupContext, values: readonly string[]): void {
  for (const v of values) {
    try {
      parseDuration(v);
    } catch (e) {
      throw directiveError(context.directive, `${context.directive.name}: ${(e as Error).message}`);
    }
  }
}

function noBlock(context: SetupContext): void {
  const d = context.directive;
  if (d.block && d.block.length > 0) throw directiveError(d.block[0]!, `${d.name}: unknown property ${JSON.stringify(d.block[0]!.name)}`);
}

export const health: PluginFactory = {
  name: "health",
  setup(context) {
    atMost(context, 1);
    for (const option of context.directive.block ?? []) {
      if (option.name !== "lameduck" || option.args.length !== 1) throw directiveError(option, `health: expected "lameduck DURATION", got ${JSON.stringify([option.name, ...option.args].join(" "))}`);
      durations(context, option.args);
    }
    return null;
  },
};

export const ready: PluginFactory = {
  name: "ready",
  setup(context) {
    atMost(context, 1);
    noBlock(context);
    return null;
  },
};

export const reload: PluginFactory = {
  name: "reload",
  setup(context) {
    atMost(context, 2);
    noBlock(context);
    durations(context, context.directive.args);
    return null;
  },
};

export const prometheus: PluginFactory = {
  name: "prometheus",
  setup(context) {
    atMost(context, 1);
    noBlock(context);
    return null;
  },
};

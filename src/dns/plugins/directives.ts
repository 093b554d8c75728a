/**
 * Helpers shared by plugins that read their directives the way CoreDNS's setup functions do.
 *
 * CoreDNS calls a plugin's setup once per server block, and the setup reads every directive of
 * that name in the block (`for c.Next() { … }`): two `rewrite` lines are one handler with one rule
 * list, two `log` lines one handler with two rules, and plugins that allow one use per block fail
 * with `plugin.ErrOnce`. mcsim calls setup once per directive, so the first directive of a name
 * builds the handler from all of them (SetupContext.serverDirectives) and the others return null.
 */
import { reverseZones, type Directive } from "../corefile.js";
import { canonical } from "../message.js";
import { directiveError, type SetupContext } from "../plugin.js";

/** The directives of the block named like `context.directive`, in Corefile order, and whether `context.directive` is the first. */
export interface SameNamed {
  readonly all: readonly Directive[];
  readonly first: boolean;
}

function samePlace(a: Directive, b: Directive): boolean {
  return a === b || (a.file === b.file && a.line === b.line && a.column === b.column && a.name === b.name);
}

/** See {@link SameNamed}. Without `serverDirectives`, the directive stands alone. */
export function sameNamed(context: SetupContext): SameNamed {
  const d = context.directive;
  const all = (context.serverDirectives ?? []).filter((x) => x.name === d.name);
  if (!all.some((x) => samePlace(x, d))) return { all: [d], first: true };
  return { all, first: samePlace(all[0]!, d) };
}

/**
 * For plugins CoreDNS allows once per server block: the error (CoreDNS's `plugin.ErrOnce`,
 * "this plugin can only be used once per Server Block") at the second directive, thrown while
 * the first is set up; or true when this directive is the one to set up, false for a later one.
 */
export function onlyOnce(context: SetupContext): boolean {
  const { all, first } = sameNamed(context);
  if (all.length > 1) throw directiveError(all[1]!, `${context.directive.name}: this plugin can only be used once per Server Block`);
  return first;
}

/** A directive's tokens after its name, its block flattened in order (what Caddy's NextBlock/Val walk gives). */
export function flattenBlock(block: readonly Directive[] | null): string[] {
  const out: string[] = [];
  for (const d of block ?? []) out.push(d.name, ...d.args, ...flattenBlock(d.block));
  return out;
}

/**
 * Zone arguments as CoreDNS normalizes them (plugin.OriginsFromArgsOrServerBlock): names made
 * canonical, CIDRs turned into their reverse zones. A bad CIDR is an error at `at`.
 */
export function zonesOf(at: Directive, args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (!a.includes("/")) {
      out.push(canonical(a));
      continue;
    }
    try {
      out.push(...reverseZones(a));
    } catch (e) {
      throw directiveError(at, `${at.name}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** The most seconds a `ttl` option of the kubernetes and lighthouse plugins takes (their setup's parseTTL). */
const MAX_TTL = 3600;

/** A `ttl SECONDS` option: one whole number from 0 to 3600, or an error at the option naming `plugin`. */
export function ttlOption(plugin: string, option: Directive): number {
  if (option.args.length !== 1) throw directiveError(option, `${plugin}: ttl takes 1 argument, got ${option.args.length}`);
  const text = option.args[0]!;
  const ttl = Number(text);
  if (!/^\d+$/.test(text) || ttl > MAX_TTL) throw directiveError(option, `${plugin}: ttl must be a whole number of seconds from 0 to ${MAX_TTL}, got ${JSON.stringify(text)}`);
  return ttl;
}

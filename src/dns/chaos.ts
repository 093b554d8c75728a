/**
 * Chaos Mesh's DNSChaos (simulation.md §4.1 "DNSChaos"): rules that make CoreDNS fail (`error`,
 * SERVFAIL) or lie (`random`, a random address) for A and AAAA queries whose name matches a
 * pattern. Real Chaos Mesh runs a second CoreDNS with the k8s_dns_chaos plugin and repoints the
 * target pods at it; mcsim lets the cluster's own CoreDNS replicas consult one shared table, which
 * gives the same answers without changing the pods' resolv.conf.
 *
 * Patterns follow the DNSChaos spec (`DomainNamePatterns`) and the trie k8s_dns_chaos builds from
 * them (tidb-tools' table-rule-selector): `?` stands for exactly one character, `*` for any
 * suffix and only as the last character (`*.example.com` and `chaos-*.org` are refused there at
 * insert time, so they are refused here too), and no patterns at all means every name.
 * k8s_dns_chaos matches the query name as it comes, with its trailing dot, and inserts every
 * pattern without `*` twice, as written and with a dot appended; so names are compared here in
 * that fully qualified form: `google.com` matches `google.com.`, and `github.*` matches the name
 * `github` itself (`github.`) as well as `github.com.`.
 */

/** What a matching query gets: `error` a SERVFAIL, `random` one random A or AAAA record. */
export type DnsChaosAction = "error" | "random";

/** One DNSChaos experiment, as {@link DnsChaos.add} takes it. */
export interface DnsChaosRule {
  readonly action: DnsChaosAction;
  /**
   * Domain templates: `google.com` (exactly that name), `chaos-mes?.org` (`?` is one character),
   * `github.*` (`*`, only at the end, is any suffix). Case-insensitive; a trailing dot is ignored.
   * Empty: every domain.
   */
  readonly patterns: readonly string[];
  /** which clients are affected: a predicate on the client's IP; all when absent */
  readonly clients?: (ip: string) => boolean;
}

/** A rule {@link DnsChaos.add} refuses: an unknown action or a pattern DNSChaos does not allow. */
export class DnsChaosError extends Error {
  override readonly name = "DnsChaosError";
  constructor(
    message: string,
    /** The offending pattern, when a pattern is what is wrong. */
    readonly pattern?: string,
  ) {
    super(message);
  }
}

/** What {@link DnsChaos.add} returns: the way to end the experiment. */
export interface DnsChaosHandle {
  /** Takes the rule out of the table; calling it again does nothing. */
  remove(): void;
}

/** A rule with its patterns compiled, so that a query costs a set lookup and a few char compares. */
interface Compiled {
  readonly rule: DnsChaosRule;
  /** True when the rule has no patterns: it matches every name. */
  readonly everything: boolean;
  /** Patterns without wildcards, for an O(1) lookup. */
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly Glob[];
}

/** A pattern with `?` or a trailing `*`. */
interface Glob {
  /** The pattern without its `*`, `?` kept as the one-character wildcard. */
  readonly text: string;
  /** True when the pattern ended in `*`: the name may go on after `text`. */
  readonly prefix: boolean;
}

const QUESTION = 63; // "?"
/** Letters, digits, `-`, `_` (SRV-style labels), dots and `?`: what a DNS name template holds. */
const PATTERN_CHARS = /^[a-z0-9_.?-]*$/;
const ALLOWED = "letters, digits, '-', '_', '.', '?' for exactly one character, and '*' for any suffix, only as the last character (e.g. google.com, chaos-mes?.org, github.*)";

/**
 * The DNSChaos rules active in one cluster, shared by all its CoreDNS replicas (pass it as
 * `ClusterDnsOptions.chaos`). Mutable at any instant of the run: adding or removing a
 * rule takes effect for the next query a replica serves.
 */
export class DnsChaos {
  private readonly rules: Compiled[] = [];

  /** How many rules are active. */
  get size(): number {
    return this.rules.length;
  }

  /**
   * Starts an experiment.
   *
   * @throws DnsChaosError when the action is unknown or a pattern is empty, has `*` anywhere but
   *   at its end, or holds a character no domain template has; nothing is added then.
   */
  add(rule: DnsChaosRule): DnsChaosHandle {
    if (rule.action !== "error" && rule.action !== "random") {
      throw new DnsChaosError(`invalid DNSChaos action ${JSON.stringify(rule.action)}: expected "error" or "random"`);
    }
    const exact = new Set<string>();
    const globs: Glob[] = [];
    for (const pattern of rule.patterns) {
      const glob = compile(pattern);
      if (glob.prefix || glob.text.includes("?")) globs.push(glob);
      else exact.add(glob.text);
    }
    const compiled: Compiled = { rule, everything: rule.patterns.length === 0, exact, globs };
    this.rules.push(compiled);
    return {
      remove: () => {
        const i = this.rules.indexOf(compiled);
        if (i >= 0) this.rules.splice(i, 1);
      },
    };
  }

  /**
   * The first active rule, in the order they were added, that applies to a query: an A or AAAA
   * query (DNSChaos touches no other type) for a name one of its patterns matches, from a client
   * its predicate accepts.
   */
  match(qname: string, qtype: string, clientIp: string): DnsChaosRule | undefined {
    // Runs for every query a replica serves: no work at all while no experiment is on.
    if (this.rules.length === 0 || (qtype !== "A" && qtype !== "AAAA")) return undefined;
    const name = fqdn(qname);
    for (const c of this.rules) {
      if (!(c.everything || c.exact.has(name) || anyGlobMatches(c.globs, name))) continue;
      if (c.rule.clients && !c.rule.clients(clientIp)) continue;
      return c.rule;
    }
    return undefined;
  }
}

/** Lower case with one trailing dot: the form k8s_dns_chaos sees query names in. */
function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower : `${lower}.`;
}

function compile(pattern: string): Glob {
  const fail = (why: string) => new DnsChaosError(`invalid DNSChaos pattern ${JSON.stringify(pattern)}: ${why}; allowed are ${ALLOWED}`, pattern);
  const star = pattern.indexOf("*");
  const prefix = star >= 0;
  // The trie k8s_dns_chaos matches with refuses any character after a `*`.
  if (prefix && star !== pattern.length - 1) throw fail("'*' may only be the last character");
  const body = prefix ? pattern.slice(0, -1) : pattern;
  if (!prefix && (body === "" || body === ".")) throw fail("a pattern cannot be empty (give no patterns to match every domain)");
  if (!PATTERN_CHARS.test(body.toLowerCase())) throw fail("it holds a character no domain template has");
  // A whole name is anchored at the root, as k8s_dns_chaos's `pattern.` insert does; a prefix is
  // kept as written, so `github.*` keeps its dot and never matches githubusercontent.com.
  return { text: prefix ? body.toLowerCase() : fqdn(body), prefix };
}

/** A plain loop rather than `some`: no closure to allocate per query. */
function anyGlobMatches(globs: readonly Glob[], name: string): boolean {
  for (const g of globs) if (globMatches(g, name)) return true;
  return false;
}

function globMatches(g: Glob, name: string): boolean {
  const t = g.text;
  if (g.prefix ? name.length < t.length : name.length !== t.length) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c !== QUESTION && c !== name.charCodeAt(i)) return false;
  }
  return true;
}

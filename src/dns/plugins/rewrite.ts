/**
 * rewrite — changes the question of a query before the rest of the chain sees it, and the reply
 * on its way back to the client.
 *
 * Syntax (CoreDNS plugin/rewrite README and name.go, rewrite.go, reverter.go; dns.md §4.4):
 *
 *     rewrite [continue|stop] name [exact|prefix|suffix|substring|regex] FROM TO [ANSWER...]
 *         ANSWER: answer auto | answer name FROM TO | answer value FROM TO
 *                 (after the first, the word `answer` may be left out)
 *     rewrite [continue|stop] type FROM TO
 *     rewrite [continue|stop] class FROM TO
 *     rewrite [continue|stop] ttl [exact|prefix|suffix|substring|regex] NAME SECONDS
 *     rewrite [continue|stop] rcode [exact|prefix|suffix|substring|regex] NAME FROM TO
 *     rewrite [continue|stop] { RULE }     (the block's words are the rule's, in order)
 *
 * `edns0` and `cname` rules are not supported by mcsim (a CorefileError says so).
 *
 * Behaviour, as CoreDNS's code has it:
 * - The match type defaults to `exact`, the action to `stop`. Names other than regex patterns are
 *   lower-cased and made fully qualified (`plugin.Name.Normalize`), so `suffix .clusterset.local`
 *   is `.clusterset.local.`; matching is on the lower-cased question name with a trailing dot,
 *   `suffix` a plain string suffix (include the leading dot to match on a label boundary).
 * - Every `rewrite` directive of a server block is one rule of one list, in Corefile order; the
 *   first directive builds the plugin (SetupContext.serverDirectives), the others set up nothing.
 *   Rules apply in order, each to the question the previous ones left; a matching `stop` rule
 *   ends the list. A rewritten name that is not a legal domain name is a SERVFAIL, with the
 *   error `invalid name after rewrite: NAME` (returnedError; logged as the errors plugin prints
 *   it, as forward does).
 * - The reply's question is put back to what the client asked, and the answer rules run over
 *   every record of the authority, answer and additional sections, in reverse order of the rules
 *   that produced them (reverter.go). `exact` rules always map the rewritten name (and names
 *   below it) back, in owner names and in CNAME/SRV/MX/NS/PTR/SOA/DNAME/NAPTR targets; `answer
 *   auto` does the same for prefix, substring and regex rules, and for `suffix` swaps the suffix
 *   back wherever a name ends with the replacement. `answer name|value FROM TO` are regexes with
 *   `{N}` groups over owner names or targets.
 * - CoreDNS quirk kept: when no `stop` rule matched and the matching rules carry no answer rule
 *   (say `continue name suffix …` without `answer auto`), the reply goes out unreverted, with the
 *   rewritten question in it.
 * - CoreDNS quirk kept: an `rcode` rule is applied per record, so it changes nothing in a reply
 *   that has no records at all (no SOA, no OPT).
 *
 * Regexes are Go RE2 syntax in CoreDNS and run as JavaScript regexes here: `(?P<name>` is read as
 * `(?<name>` and a leading `(?i)` as the `i` flag; RE2-only constructs beyond that are refused.
 */
import type { Directive } from "../corefile.js";
import { canonical, fqdn, rcodeOf, wireName, type Answer, type Packet, type Rcode, type RecordType } from "../message.js";
import { directiveError, type DnsRequest, type NextHandler, type Plugin, type PluginFactory, type ResponseWriter } from "../plugin.js";
import { flattenBlock, sameNamed } from "./directives.js";
import { returnedError, returnedErrorOf } from "./returned-error.js";

type Mode = "stop" | "continue";

/** A name rewriter: returns its input when it does not apply. */
type StringRewriter = (s: string) => string;

/** What a matched rule does to the reply. */
type ResponseRule =
  | { readonly kind: "name"; readonly rewrite: StringRewriter }
  | { readonly kind: "value"; readonly rewrite: StringRewriter }
  | { readonly kind: "ttl"; readonly ttl: number }
  | { readonly kind: "rcode"; readonly from: number; readonly to: number };

/** A question while rules run: the name fully qualified, case as written. */
interface Question {
  readonly name: string;
  readonly type: RecordType;
  readonly class: string;
}

interface Applied {
  readonly question: Question;
  readonly responses: readonly ResponseRule[];
}

interface Rule {
  readonly mode: Mode;
  /** The rule applied to the question as it stands; null when it does not match. */
  apply(question: Question): Applied | null;
}

/** A problem with a rule's arguments (turned into a CorefileError at the directive). */
class RuleError extends Error {}

const MATCH_TYPES = ["exact", "prefix", "suffix", "substring", "regex"] as const;
type MatchType = (typeof MATCH_TYPES)[number];

/** The record types dns-packet can carry in a question (miekg's names, upper case). */
const TYPES = new Set<string>([
  "A", "AAAA", "AFSDB", "ANY", "APL", "AXFR", "CAA", "CDNSKEY", "CDS", "CERT", "CNAME", "DHCID", "DLV", "DNAME", "DNSKEY", "DS",
  "HINFO", "HIP", "IPSECKEY", "IXFR", "KEY", "KX", "LOC", "MX", "NAPTR", "NS", "NSEC", "NSEC3", "NSEC3PARAM", "NULL", "OPT", "PTR",
  "RP", "RRSIG", "SIG", "SOA", "SPF", "SRV", "SSHFP", "TA", "TKEY", "TLSA", "TSIG", "TXT", "URI",
]);

const CLASSES = new Set(["IN", "CS", "CH", "HS", "ANY"]);

/** miekg/dns RcodeToString names of the 4-bit rcodes. */
const RCODE_NAMES: Readonly<Record<string, number>> = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5,
  YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, DSOTYPENI: 11,
};

/** plugin.Name(s).Normalize(): lower case, fully qualified. */
function normalize(name: string): string {
  return fqdn(name.toLowerCase());
}

/** miekg/dns IsDomainName for names mcsim builds (no escapes): labels of 1 to 63 octets, at most 255 in all. */
export function isDomainName(name: string): boolean {
  if (name === ".") return true;
  if (name === "") return false;
  const labels = (name.endsWith(".") ? name.slice(0, -1) : name).split(".");
  let length = 1;
  for (const label of labels) {
    const octets = Buffer.byteLength(label);
    if (octets === 0 || octets > 63) return false;
    length += octets + 1;
  }
  return length <= 255;
}

/** A Go RE2 pattern as a JavaScript RegExp. */
function compileRegex(pattern: string): RegExp {
  let source = pattern.replace(/\(\?P</g, "(?<");
  let flags = "";
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) {
      if (f === "U") throw new RuleError(`invalid regex matching pattern: ${pattern} (the RE2 flag U is not supported by mcsim)`);
      if (!flags.includes(f)) flags += f;
    }
    source = source.slice(inline[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch {
    throw new RuleError(`invalid regex matching pattern: ${pattern}`);
  }
}

/** How many capturing groups a pattern has (Go's NumSubexp). */
function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags).exec("")!.length - 1;
}

/** How many of `{0}` … `{100}` a replacement uses (name.go getSubExprUsage). */
function groupsUsed(s: string): number {
  let n = 0;
  for (let i = 0; i <= 100; i++) if (s.includes(`{${i}}`)) n++;
  return n;
}

/** name.go isValidRegexPattern: the pattern compiles and has the groups the replacement uses. */
function validRegex(from: string, to: string): RegExp {
  const re = compileRegex(from);
  if (groupsUsed(to) > groupCount(re)) {
    throw new RuleError(`the rewrite regex pattern (${to}) uses more subexpressions than its corresponding matching regex pattern (${from})`);
  }
  return re;
}

/** `{N}` groups of a match put into a replacement. */
function substitute(replacement: string, groups: RegExpExecArray): string {
  let s = replacement;
  groups.forEach((g, i) => {
    s = s.split(`{${i}}`).join(g ?? "");
  });
  return s;
}

function regexRewriter(pattern: RegExp, replacement: string): StringRewriter {
  return (src) => {
    const m = pattern.exec(src);
    return m ? substitute(replacement, m) : src;
  };
}

/** Maps a name, and the names below it, to another (name.go remapStringRewriter). */
function remapRewriter(orig: string, replacement: string): StringRewriter {
  return (src) => {
    if (src === orig) return replacement;
    if (src.endsWith(`.${orig}`)) return src.slice(0, src.length - orig.length) + replacement;
    return src;
  };
}

/** Swaps one suffix for another (name.go suffixStringRewriter). */
function suffixRewriter(suffix: string, replacement: string): StringRewriter {
  return (src) => (src.endsWith(suffix) ? src.slice(0, src.length - suffix.length) + replacement : src);
}

function nameAndValue(rewrite: StringRewriter): ResponseRule[] {
  return [
    { kind: "name", rewrite },
    { kind: "value", rewrite },
  ];
}

/** name.go parseAnswerRules. */
function parseAnswerRules(matchType: string, args: readonly string[]): { auto: boolean; rules: ResponseRule[] } {
  let auto = false;
  const rules: ResponseRule[] = [];
  let nameRules = 0;
  let last = "";
  let i = 0;
  if (args.length < 2) throw new RuleError(`invalid arguments for ${matchType} rule`);
  while (i < args.length) {
    if (last === "" && args[i] !== "answer") throw new RuleError(`exceeded the number of arguments for a non-answer rule argument for ${matchType} rule`);
    if (args[i] === "answer") i++;
    if (i >= args.length) throw new RuleError(`type missing for answer rule for ${matchType} rule`);
    last = args[i]!;
    i++;
    switch (last) {
      case "auto":
        auto = true;
        continue;
      case "name":
      case "value": {
        if (args.length - i < 2) throw new RuleError(`${last} answer rule for ${matchType} rule: 2 arguments required`);
        const from = args[i]!;
        const to = args[i + 1]!;
        let pattern: RegExp;
        try {
          pattern = validRegex(from, to);
        } catch (e) {
          throw new RuleError(`${last} answer rule for ${matchType} rule: ${(e as Error).message}`);
        }
        rules.push({ kind: last, rewrite: regexRewriter(pattern, normalize(to)) });
        if (last === "name") nameRules++;
        i += 2;
        break;
      }
      default:
        throw new RuleError(`invalid type ${JSON.stringify(last)} for answer rule for ${matchType} rule`);
    }
  }
  if (auto && nameRules > 0) throw new RuleError("auto name answer rule cannot be combined with explicit name answer rules");
  return { auto, rules };
}

/** A name matcher of the given type: the match and what it turns the (lower-cased) name into. */
function matcher(type: MatchType, from: string, to: string, pattern: RegExp | null): (name: string) => string | null {
  switch (type) {
    case "exact":
      return (name) => (name === from ? to : null);
    case "prefix":
      return (name) => (name.startsWith(from) ? to + name.slice(from.length) : null);
    case "suffix":
      return (name) => (name.endsWith(from) ? name.slice(0, name.length - from.length) + to : null);
    case "substring":
      return (name) => (name.includes(from) ? name.split(from).join(to) : null);
    case "regex":
      return (name) => {
        const m = pattern!.exec(name);
        return m ? substitute(to, m) : null;
      };
  }
}

/** name.go newNameRule. */
function nameRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length < 2) throw new RuleError("too few arguments for a name rule");
  let matchType: string;
  let from: string;
  let to: string;
  if (args.length === 2) {
    matchType = "exact";
    from = normalize(args[0]!);
    to = normalize(args[1]!);
  } else {
    matchType = args[0]!.toLowerCase();
    from = matchType === "regex" ? args[1]! : normalize(args[1]!);
    to = matchType === "regex" ? args[2]! : normalize(args[2]!);
  }
  if (!(MATCH_TYPES as readonly string[]).includes(matchType)) {
    throw new RuleError(`name rule supports only exact, prefix, suffix, substring, and regex name matching, received: ${matchType}`);
  }
  const type = matchType as MatchType;
  const answers = args.length > 3 ? parseAnswerRules(matchType, args.slice(3)) : { auto: false, rules: [] };
  let pattern: RegExp | null = null;
  if (type === "exact") validRegex(to, from);
  if (type === "regex") {
    pattern = validRegex(from, to);
    to = normalize(args[2]!);
  }
  const match = matcher(type, from, to, pattern);
  // exact rules always map back (newExactNameRule passes auto = true); suffix rules map back by
  // swapping the suffixes, fixed at setup; the others, with `answer auto`, map the rewritten name back.
  const auto = type === "exact" || (answers.auto && type !== "suffix");
  const fixed: ResponseRule[] = type === "suffix" && answers.auto ? [...nameAndValue(suffixRewriter(to, from)), ...answers.rules] : answers.rules;
  return {
    mode,
    apply(question) {
      const name = canonical(question.name);
      const rewritten = match(name);
      if (rewritten === null) return null;
      const responses = auto ? [...nameAndValue(remapRewriter(rewritten, name)), ...fixed] : fixed;
      return { question: { ...question, name: rewritten }, responses };
    },
  };
}

/** The match of a ttl or rcode rule: `[TYPE] NAME` (ttl.go, rcode.go). */
function nameMatch(kind: string, typeArg: string | null, nameArg: string): (name: string) => boolean {
  const type = (typeArg ?? "exact").toLowerCase();
  switch (type) {
    case "exact":
    case "prefix":
    case "suffix":
    case "substring": {
      const m = matcher(type, normalize(nameArg), "", null);
      return (name) => m(name) !== null;
    }
    case "regex": {
      let re: RegExp;
      try {
        re = compileRegex(nameArg);
      } catch {
        throw new RuleError(`invalid regex pattern in a ${kind} rule: ${nameArg}`);
      }
      return (name) => re.exec(name) !== null;
    }
    default:
      throw new RuleError(`${kind} rule supports only exact, prefix, suffix, substring, and regex name matching`);
  }
}

function ttlRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length < 2) throw new RuleError(`too few (${args.length}) arguments for a ttl rule`);
  if (args.length > 3) throw new RuleError("too many arguments for a ttl rule");
  const value = args[args.length - 1]!;
  if (!/^\d+$/.test(value) || Number(value) > 2147483647) throw new RuleError(`invalid TTL '${value}' for a ttl rule`);
  const matches = nameMatch("ttl", args.length === 3 ? args[0]! : null, args[args.length - 2]!);
  const responses: ResponseRule[] = [{ kind: "ttl", ttl: Number(value) }];
  return { mode, apply: (q) => (matches(canonical(q.name)) ? { question: q, responses } : null) };
}

function rcodeValue(v: string, which: string): number {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n <= 23) {
      if (n > 15) throw new RuleError(`${which} RCODE '${v}' for a rcode rule needs EDNS extended rcodes, which mcsim does not model`);
      return n;
    }
  }
  const named = RCODE_NAMES[v.toUpperCase()];
  if (named === undefined) throw new RuleError(`invalid ${which} RCODE '${v}' for a rcode rule`);
  return named;
}

function rcodeRule(mode: Mode, args: readonly string[]): Rule {
  if (args.length < 3) throw new RuleError(`too few (${args.length}) arguments for a rcode rule`);
  if (args.length > 4) throw new RuleError("too many arguments for a rcode rule");
  const from = rcodeValue(args[args.length - 2]!, "matching");
  const to = rcodeValue(args[args.length - 1]!, "replacement");
  const matches = nameMatch("rcode", args.length === 4 ? args[0]! : null, args[args.length - 3]!);
  const responses: ResponseRule[] = [{ kind: "rcode", from, to }];
  return { mode, apply: (q) => (matches(canonical(q.name)) ? { question: q, responses } : null) };
}

function typeRule(mode: Mode, args: readonly string[]): Rule {
  const [from, to] = args.map((a) => a.toUpperCase()) as [string, string];
  for (const t of [from, to]) if (!TYPES.has(t)) throw new RuleError(`invalid type ${JSON.stringify(t)}`);
  return { mode, apply: (q) => (q.type === from ? { question: { ...q, type: to as RecordType }, responses: [] } : null) };
}

function classRule(mode: Mode, args: readonly string[]): Rule {
  const [from, to] = args.map((a) => a.toUpperCase()) as [string, string];
  for (const c of [from, to]) if (!CLASSES.has(c)) throw new RuleError(`invalid class ${JSON.stringify(c)}`);
  return { mode, apply: (q) => (q.class === from ? { question: { ...q, class: to }, responses: [] } : null) };
}

/** rewrite.go newRule. */
function newRule(args: readonly string[]): Rule {
  if (args.length === 0) throw new RuleError("no rule type specified for rewrite");
  const first = args[0]!.toLowerCase();
  let mode: Mode = "stop";
  let rest = args.slice(1);
  let ruleType = first;
  if (first === "continue" || first === "stop") {
    mode = first;
    if (args.length < 2) throw new RuleError(`${first} rule must begin with a rule type`);
    ruleType = args[1]!.toLowerCase();
    rest = args.slice(2);
  }
  switch (ruleType) {
    case "answer":
      throw new RuleError("response rewrites must begin with a name rule");
    case "name":
      return nameRule(mode, rest);
    case "class":
    case "type":
      if (rest.length !== 2) throw new RuleError(`${ruleType} rules must have exactly two arguments`);
      return ruleType === "type" ? typeRule(mode, rest) : classRule(mode, rest);
    case "ttl":
      return ttlRule(mode, rest);
    case "rcode":
      return rcodeRule(mode, rest);
    case "edns0":
    case "cname":
      throw new RuleError(`${ruleType} rules are not supported by mcsim (name, type, class, ttl and rcode are)`);
    default:
      throw new RuleError(`invalid rule type ${JSON.stringify(args[0])}`);
  }
}

/** One directive's rule. */
function parseDirective(d: Directive): Rule {
  let args = [...d.args];
  if (args.length < 2) args = [...args, ...flattenBlock(d.block)];
  else if (d.block && d.block.length > 0) throw directiveError(d.block[0]!, "rewrite: a rule written on the directive's line takes no block");
  try {
    return newRule(args);
  } catch (e) {
    if (e instanceof RuleError) throw directiveError(d, `rewrite: ${e.message}`);
    throw e;
  }
}

/** The target name a record carries, for `value` rules (reverter.go getRecordValueForRewrite), as [get, set]. */
function valueOf(rr: Answer): [string, (v: string) => Answer] | null {
  const r = rr as Answer & { data?: unknown };
  switch (rr.type) {
    case "CNAME":
    case "NS":
    case "PTR":
    case "DNAME":
      return [fqdn(r.data as string), (v) => ({ ...rr, data: wireName(v) }) as Answer];
    case "SRV": {
      const data = r.data as { target: string };
      return [fqdn(data.target), (v) => ({ ...rr, data: { ...data, target: wireName(v) } }) as Answer];
    }
    case "MX": {
      const data = r.data as { exchange: string };
      return [fqdn(data.exchange), (v) => ({ ...rr, data: { ...data, exchange: wireName(v) } }) as Answer];
    }
    case "SOA": {
      const data = r.data as { mname: string };
      return [fqdn(data.mname), (v) => ({ ...rr, data: { ...data, mname: wireName(v) } }) as Answer];
    }
    case "NAPTR": {
      const data = r.data as { replacement: string };
      return [fqdn(data.replacement), (v) => ({ ...rr, data: { ...data, replacement: wireName(v) } }) as Answer];
    }
    default:
      return null;
  }
}

/** Runs the response rules over one record, last rule first; rcode rules change `state.flags`. */
function revertRecord(rr: Answer, rules: readonly ResponseRule[], state: { flags: number }): Answer {
  let out = rr;
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    if (rule.kind === "rcode") {
      if ((state.flags & 0xf) === rule.from) state.flags = (state.flags & ~0xf) | rule.to;
      continue;
    }
    if (out.type === "OPT") continue;
    switch (rule.kind) {
      case "name": {
        const name = rule.rewrite(fqdn(out.name));
        if (name !== fqdn(out.name)) out = { ...out, name: wireName(name) };
        break;
      }
      case "value": {
        const v = valueOf(out);
        if (v) {
          const next = rule.rewrite(v[0]);
          if (next !== v[0]) out = v[1](next);
        }
        break;
      }
      case "ttl":
        out = { ...out, ttl: rule.ttl } as Answer;
        break;
    }
  }
  return out;
}

/**
 * The writer that puts the client's question back and runs the answer rules (reverter.go
 * ResponseReverter). An error a later plugin returned without writing (returnedError) comes back
 * as the server's error reply for the client's own question, as rewrite.go writes it.
 */
function reverter(writer: ResponseWriter, client: Packet, rules: readonly ResponseRule[]): ResponseWriter {
  const original = client.questions![0]!;
  return {
    write(reply) {
      const error = returnedErrorOf(reply);
      if (error !== undefined) return writer.write(returnedError(client, rcodeOf(reply) as Rcode, error));
      const questions = [...(reply.questions ?? [])];
      if (questions.length === 0) questions.push({ ...original });
      else questions[0] = { ...original };
      const out: Packet = { ...reply, questions };
      if (rules.length > 0) {
        const state = { flags: reply.flags ?? 0 };
        const section = (rrs: readonly Answer[] | undefined) => rrs?.map((rr) => revertRecord(rr, rules, state));
        const authorities = section(reply.authorities);
        const answers = section(reply.answers);
        const additionals = section(reply.additionals);
        if (authorities) out.authorities = authorities;
        if (answers) out.answers = answers;
        if (additionals) out.additionals = additionals;
        out.flags = state.flags;
      }
      writer.write(out);
    },
  };
}

class RewritePlugin implements Plugin {
  readonly name = "rewrite";

  constructor(private readonly rules: readonly Rule[]) {}

  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void {
    const original = request.query.questions?.[0];
    if (!original) return next(request, writer);
    let question: Question = { name: fqdn(original.name), type: original.type, class: original.class ?? "IN" };
    const responses: ResponseRule[] = [];
    for (const rule of this.rules) {
      const applied = rule.apply(question);
      if (!applied) continue;
      if (!isDomainName(applied.question.name)) {
        // rewrite.go: the question is restored and the plugin returns SERVFAIL with an error,
        // which the errors plugin prints and the server writes.
        const error = `invalid name after rewrite: ${applied.question.name}`;
        request.server.log(`[ERROR] plugin/errors: 2 ${request.name} ${request.qtype}: ${error}`);
        return writer.write(returnedError(request.query, "SERVFAIL", error));
      }
      question = applied.question;
      responses.push(...applied.responses);
      if (rule.mode === "stop") return next(rewritten(request, question), reverter(writer, request.query, responses));
    }
    if (responses.length === 0) return next(rewritten(request, question), writer);
    return next(rewritten(request, question), reverter(writer, request.query, responses));
  }
}

/** The request with its question replaced (when it changed). */
function rewritten(request: DnsRequest, q: Question): DnsRequest {
  const was = request.query.questions![0]!;
  const qname = wireName(q.name);
  if (qname === was.name && q.type === was.type && q.class === (was.class ?? "IN")) return request;
  const questions = [{ name: qname, type: q.type, class: q.class as "IN" }];
  return { ...request, query: { ...request.query, questions }, qname, name: canonical(qname), qtype: q.type };
}

export const rewrite: PluginFactory = {
  name: "rewrite",
  setup(context) {
    const { all, first } = sameNamed(context);
    if (!first) return null;
    return new RewritePlugin(all.map(parseDirective));
  },
};

/**
 * Envoy's route matching as Istio configures it from a VirtualService's `http[].match`: a route
 * matches when any one of its match blocks holds, and a block holds when all its conditions do
 * (uri, method, authority, headers; port and source labels were settled by istiod for the proxy).
 */
import type { HTTPMatchRequest, StringMatch } from "../../k8s/istio.js";
import type { RouteEntry } from "./xds.js";

/** What of a request routing looks at. */
export interface RouteRequest {
  readonly method: string;
  readonly authority: string;
  /** With its query string, as the URL has it. */
  readonly path: string;
  /** Lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Compiled regexes by the match that holds them: the config's objects are shared by every proxy. */
const compiled = new WeakMap<StringMatch, RegExp>();

/**
 * Whether a string match holds: `exact` and `prefix` as written; `regex` over the whole value,
 * as Envoy's `safe_regex` matches (RE2 syntax, here read as JavaScript's, which agree on the
 * forms VirtualServices use).
 */
export function stringMatches(m: StringMatch, value: string): boolean {
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.regex !== undefined) {
    let re = compiled.get(m);
    if (!re) compiled.set(m, (re = new RegExp(`^(?:${m.regex})$`)));
    return re.test(value);
  }
  return true;
}

function blockMatches(m: HTTPMatchRequest, r: RouteRequest): boolean {
  if (m.uri) {
    // Envoy's exact path and regex matches leave the query string out; a prefix sees it.
    const path = m.uri.prefix !== undefined ? r.path : r.path.split("?")[0]!;
    if (!stringMatches(m.uri, path)) return false;
  }
  if (m.method && !stringMatches(m.method, r.method)) return false;
  if (m.authority && !stringMatches(m.authority, r.authority)) return false;
  for (const [name, want] of Object.entries(m.headers ?? {})) {
    const value = r.headers[name.toLowerCase()];
    if (value === undefined || !stringMatches(want, value)) return false;
  }
  return true;
}

/** Whether a route takes a request: no match blocks, or any one that holds. */
export function routeMatches(route: RouteEntry, r: RouteRequest): boolean {
  return route.match.length === 0 || route.match.some((m) => blockMatches(m, r));
}

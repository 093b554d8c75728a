import type { RequestResult } from "../http/message.js";

/**
 * What a simulated HTTP response looks like to the tools that print it (`curl`, `wget`, a
 * sidecar's access log): mcsim's apps answer with their status only, so the body is the status
 * line's reason phrase, as a minimal server writes it; a sidecar's own answers carry the bodies
 * and RESPONSE_CODE_DETAILS Envoy writes for them (mesh.md §3.2–§3.5).
 */

/** HTTP reason phrases (RFC 9110 §15) of the statuses apps and proxies answer with. */
const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  418: "I'm a teapot",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** A status's reason phrase; `Unknown` for one not listed. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Unknown";
}

/** The response as a tool shows it: body, whether a sidecar made it itself, and Envoy's details. */
export interface ShownResponse {
  readonly body: string;
  /** The sidecar answered itself (a local reply): no upstream, no x-envoy-upstream-service-time. */
  readonly local: boolean;
  /** Envoy's %RESPONSE_CODE_DETAILS%. */
  readonly details: string;
}

/** How a call's response looks (only for a call that ended with a status). */
export function shownResponse(r: RequestResult): ShownResponse {
  const flags = r.flag?.split(",") ?? [];
  const local = (body: string, details: string): ShownResponse => ({ body, local: true, details });
  if (flags.includes("UH")) return local("no healthy upstream", "no_healthy_upstream");
  if (flags.includes("UF")) return local("upstream connect error or disconnect/reset before headers. reset reason: connection failure", "upstream_reset_before_response_started{connection_failure}");
  if (flags.includes("UC")) return local("upstream connect error or disconnect/reset before headers. reset reason: connection termination", "upstream_reset_before_response_started{connection_termination}");
  if (flags.includes("UT")) return local("upstream request timeout", "response_timeout");
  if (flags.includes("NR")) return local("", "route_not_found");
  if (flags.includes("NC")) return local("", "cluster_not_found");
  if (flags.includes("FI")) return local("fault filter abort", "fault_filter_abort");
  return { body: `${reasonPhrase(r.status ?? 0)}\n`, local: false, details: "via_upstream" };
}

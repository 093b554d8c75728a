/**
 * The schema of Linkerd's `Link` (see `linkerd.ts`), as its CRD checks it (linkerd/linkerd2
 * multicluster/charts/linkerd-multicluster/templates/link-crd.yaml, mesh.md §5.1, §5.3): every
 * field a string or a label selector, the probe's failure threshold and timeout defaulted; and
 * the fields a version does not serve (`remoteDiscoverySelector` before v1alpha2,
 * `federatedServiceSelector` before v1alpha3) refused, rather than pruned silently as the API
 * server would.
 */
import { defaulted, integer, labelSelector, list, metadata, nonEmpty, oneOf, q, required, servedVersion, string, toStorageVersion } from "./fields.js";
import type { Link, LinkProbeSpec, TrafficSplit, TrafficSplitBackend } from "./linkerd.js";
import { FORMATS, object, type DurationSchema, type Format, type ObjectSchema, type Rule } from "./schema.js";

/** A port written as a string (`"4143"`), as the CRD keeps it. */
const PORT_STRING: Format = {
  expected: 'a port number from 1 to 65535, written as a string ("4143")',
  problem: (text) => (/^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65_535 ? null : ""),
};

/** A count written as a string (`"3"`). */
const COUNT_STRING: Format = {
  expected: 'a whole number of at least 1, written as a string ("3")',
  problem: (text) => (/^\d+$/.test(text) && Number(text) >= 1 ? null : ""),
};

/** A Go duration the controller parses (`3s`, `30s`), kept as written. */
const DURATION: DurationSchema = { type: "duration", min: 1, asWritten: true };

const probeSpec = object<LinkProbeSpec>({
  fields: {
    failureThreshold: defaulted(string(COUNT_STRING), "3"),
    path: string(nonEmpty),
    period: DURATION,
    port: string(PORT_STRING),
    timeout: defaulted(DURATION, "30s"),
  },
});

/** The version that first serves each field that not every served version has. */
const FIELD_SINCE: Readonly<Record<string, string>> = {
  remoteDiscoverySelector: "multicluster.linkerd.io/v1alpha2",
  federatedServiceSelector: "multicluster.linkerd.io/v1alpha3",
};
const ORDER = ["multicluster.linkerd.io/v1alpha1", "multicluster.linkerd.io/v1alpha2", "multicluster.linkerd.io/v1alpha3"];

/**
 * Refuses a field the written version does not serve, then stores the Link at v1alpha3. It is a
 * rule rather than a `finish` because a finish runs first and would forget the written version.
 */
const servedFields: Rule<Link> = (link, fail) => {
  for (const [field, since] of Object.entries(FIELD_SINCE)) {
    if (link.spec[field as keyof Link["spec"]] !== undefined && ORDER.indexOf(link.apiVersion) < ORDER.indexOf(since)) {
      fail(["spec", field], `${q(field)} is not served at ${link.apiVersion}; write apiVersion: ${since} or later`);
    }
  }
  toStorageVersion(link);
};

const link = object<Link>({
  fields: {
    apiVersion: servedVersion("Link"),
    kind: required(oneOf(["Link"])),
    metadata: required(metadata("Link", FORMATS.dnsSubdomain)),
    spec: required(
      object<Link["spec"]>({
        fields: {
          clusterCredentialsSecret: string(FORMATS.dnsSubdomain),
          gatewayAddress: string(nonEmpty),
          gatewayIdentity: string(nonEmpty),
          gatewayPort: string(PORT_STRING),
          probeSpec,
          selector: labelSelector,
          remoteDiscoverySelector: labelSelector,
          federatedServiceSelector: labelSelector,
          targetClusterDomain: string(FORMATS.dnsSubdomain),
          targetClusterLinkerdNamespace: string(FORMATS.dnsLabel),
          targetClusterName: string(FORMATS.dnsLabel),
        },
      }),
    ),
  },
  unsupported: ["status"],
  rules: [servedFields],
});

const backend = object<TrafficSplitBackend>({
  fields: { service: required(string(FORMATS.dnsLabel)), weight: required(integer(0)) },
});

/** SMI's TrafficSplit at v1alpha2: integer weights (v1alpha1's quantities are not served). */
const trafficSplit = object<TrafficSplit>({
  fields: {
    apiVersion: servedVersion("TrafficSplit"),
    kind: required(oneOf(["TrafficSplit"])),
    metadata: required(metadata("TrafficSplit", FORMATS.dnsSubdomain)),
    spec: required(
      object<TrafficSplit["spec"]>({
        fields: { service: required(string(FORMATS.dnsLabel)), backends: required(list(backend, { min: 1 })) },
        unsupported: ["matches"],
      }),
    ),
  },
  unsupported: ["status"],
});

/** The schemas of Linkerd's kinds, for `KIND_SCHEMAS`. */
export const LINKERD_SCHEMAS = { Link: link, TrafficSplit: trafficSplit } as const satisfies Record<string, ObjectSchema>;

import { formatIpv4, parseIpv4, type Cidr } from "../net/ip.js";
import type { Rng } from "../sim/rng.js";
import { ApiError, type Admission } from "./apiserver.js";
import type { Service } from "./objects.js";

/**
 * ClusterIP allocation from a cluster's service range, as the API server's allocator does since
 * Kubernetes 1.27 (KEP-3070): the range is split into a lower static band (addresses people
 * assign by hand, like kube-dns at .10) and an upper dynamic band that automatic allocation
 * prefers, picking at random; the network and broadcast addresses are never handed out.
 */
export class ClusterIpAllocator {
  private readonly taken = new Set<number>();
  private readonly first: number;
  private readonly last: number;
  private readonly staticEnd: number;

  constructor(
    readonly range: Cidr,
    private readonly rng: Rng,
  ) {
    this.first = range.base + 1;
    this.last = range.base + range.size - 2;
    const band = Math.min(Math.max(16, Math.floor(range.size / 16)), 256);
    this.staticEnd = Math.min(this.first + band - 1, this.last);
  }

  /** Marks an address in use; refuses one outside the range or taken, with the API server's words. */
  reserve(ip: string): void {
    const v = parseIpv4(ip);
    if (v < this.first || v > this.last) {
      throw new ApiError("Invalid", `spec.clusterIPs: Invalid value: "${ip}": failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range}`);
    }
    if (this.taken.has(v)) {
      throw new ApiError("Invalid", `spec.clusterIPs: Invalid value: "${ip}": failed to allocate IP ${ip}: provided IP is already allocated`);
    }
    this.taken.add(v);
  }

  /** A free address, from the dynamic band when it has one. */
  allocate(): string {
    for (const [lo, hi] of [[this.staticEnd + 1, this.last], [this.first, this.staticEnd]] as const) {
      const size = hi - lo + 1;
      if (size <= 0) continue;
      const start = this.rng.int(size);
      for (let i = 0; i < size; i++) {
        const v = lo + ((start + i) % size);
        if (!this.taken.has(v)) {
          this.taken.add(v);
          return formatIpv4(v);
        }
      }
    }
    throw new ApiError("Invalid", `spec.clusterIPs: Internal error: failed to allocate a serviceIP: range is full`);
  }

  /** Frees an address. */
  release(ip: string): void {
    this.taken.delete(parseIpv4(ip));
  }

  /** True when the address lies in the range. */
  covers(ip: string): boolean {
    return this.range.contains(ip);
  }
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/**
 * The admission step that gives Services their cluster IPs: automatic for ClusterIP, NodePort
 * and LoadBalancer Services, none for ExternalName, `None` kept for headless ones; an address
 * given by hand must be free and in range; cluster IPs cannot change; a deleted Service frees its
 * address. IPv6 cluster IPs may be given by hand (the topology has no IPv6 service range to
 * allocate from yet) and are taken as written.
 */
export function clusterIpAdmission(allocator: ClusterIpAllocator): Admission {
  return (object, current) => {
    if (object === null) {
      if (current?.kind === "Service") for (const ip of ipv4s(current)) if (allocator.covers(ip)) allocator.release(ip);
      return;
    }
    if (object.kind !== "Service") return;
    const spec = object.spec;
    const name = object.metadata.name;
    if (current) {
      const before = (current as Service).spec;
      const wanted = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : undefined);
      if (wanted && before.clusterIPs && wanted.join(",") !== before.clusterIPs.join(",")) {
        throw new ApiError("Invalid", `Service "${name}" is invalid: spec.clusterIPs[0]: Invalid value: "${wanted[0]}": field is immutable`);
      }
      for (const field of ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] as const) {
        if (before[field] === undefined) delete spec[field];
        else (spec as Record<string, unknown>)[field] = before[field];
      }
      return;
    }
    if ((spec.type ?? "ClusterIP") === "ExternalName") return;
    const given = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    if (given[0] === "None") {
      spec.clusterIP = "None";
      spec.clusterIPs = ["None"];
      spec.ipFamilies ??= ["IPv4"];
      spec.ipFamilyPolicy ??= "SingleStack";
      return;
    }
    const ips: string[] = [];
    try {
      for (const ip of given) {
        if (IPV4.test(ip)) allocator.reserve(ip);
        ips.push(ip);
      }
    } catch (e) {
      // A refused Service holds no address: free what it reserved before the one that failed.
      for (const ip of ips) if (IPV4.test(ip)) allocator.release(ip);
      throw e;
    }
    if (ips.length === 0) ips.push(allocator.allocate());
    spec.clusterIP = ips[0];
    spec.clusterIPs = ips;
    spec.ipFamilies = ips.map((ip) => (IPV4.test(ip) ? "IPv4" : "IPv6"));
    spec.ipFamilyPolicy ??= ips.length > 1 ? "RequireDualStack" : "SingleStack";
  };
}

function ipv4s(service: Readonly<Service>): string[] {
  return (service.spec.clusterIPs ?? []).filter((ip) => IPV4.test(ip));
}

/**
 * Corefiles the DNS tests share. CLUSTER_ONLY is kubeadm's (dns.md §3.4) without the plugins that
 * only serve names outside the cluster (forward, cache, loop, loadbalance), so that a test sees
 * the kubernetes plugin's answers as they are.
 */
export const CLUSTER_ONLY_COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    reload
}
`;

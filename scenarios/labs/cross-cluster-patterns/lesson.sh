# The lesson's nine commands, verbatim and in its order, in the lab shell:
#   mcsim shell scenarios/labs/cross-cluster-patterns/scenario.yaml --script scenarios/labs/cross-cluster-patterns/lesson.sh
# As on real clusters, the exec fails: the --rm pod is gone (NotFound).
istioctl remote-clusters
kubectl get serviceentries -A
istioctl proxy-status
kubectl get configmap coredns -n kube-system -o yaml
kubectl run dns-test --rm -it --image=busybox -- nslookup myservice.production.svc.us-east.example.com
kubectl exec -it dns-test -- dig +short myservice.production.svc.cluster-b.local
kubectl apply -f - <<'MCS'
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata:
  name: my-api
  namespace: production
MCS
kubectl get serviceimports -A
kubectl get endpoints my-api -n production

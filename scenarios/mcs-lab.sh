# The MCS lesson's steps in the lab shell, on scenarios/mcs.yaml:
#   mcsim shell scenarios/mcs.yaml --script scenarios/mcs-lab.sh
kubectl config get-contexts
kubectl get serviceimports -A
# Export a Service of cluster-a to the clusterset.
kubectl apply -f - <<'MCS'
apiVersion: v1
kind: Service
metadata:
  name: my-web
  namespace: production
spec:
  ports:
    - port: 80
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata:
  name: my-web
  namespace: production
MCS
sleep 5
kubectl get serviceimports -A
kubectl config use-context cluster-b
kubectl get serviceimports -n production | grep -E 'NAME|my-web'
mcsim time

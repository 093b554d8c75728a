# The mesh lesson's istioctl steps in the lab shell, on scenarios/mesh-basic.yaml:
#   mcsim shell scenarios/mesh-basic.yaml --script scenarios/mesh-lab.sh --echo
istioctl remote-clusters
istioctl proxy-status
kubectl get secrets -n istio-system
istioctl proxy-config endpoints client.shop --cluster "outbound|80||web.shop.svc.cluster.local"
# At 30s the scenario deletes the remote secret: east's istiod forgets west and its endpoints.
sleep 20
mcsim time
istioctl remote-clusters
istioctl pc ep client.shop --cluster "outbound|80||web.shop.svc.cluster.local"
# Applied again at 45s, it brings west back.
sleep 15
istioctl remote-clusters
istioctl pc ep client.shop --port 80 | wc -l
istioctl --context west remote-clusters
istioctl version

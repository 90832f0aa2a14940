"""A cluster dump for `make bench`'s trust-map case: kube-root-ca.crt in 4,000 namespaces,
4,000 Pods (each with its kube-api-access volume, 1,500 with a Secret mount too), 2,000 Secrets and
webhooks, as `kubectl get … -A -o json` writes them (10,000 objects).

    cluster-dump.py CA_CERT OTHER_CA_CERT > dump.json
"""
import base64
import json
import sys

ca = open(sys.argv[1]).read()
other = open(sys.argv[2]).read()
b64 = lambda s: base64.b64encode(s.encode()).decode()
items = []
for i in range(4000):
    ns = f"ns-{i}"
    items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": ns},
                  "data": {"ca.crt": ca}})
for i in range(4000):
    ns = f"ns-{i}"
    items.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"app-{i}", "namespace": ns}, "spec": {
        "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                        "env": [{"name": "MODE", "value": "x"}],
                        "volumeMounts": [{"name": "kube-api-access-abcde", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
        "volumes": [
            {"name": "kube-api-access-abcde", "projected": {"sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}},
        ] + ([{"name": "tls", "secret": {"secretName": f"tls-{i}"}}] if i < 1500 else [])}})
for i in range(1500):
    items.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": f"tls-{i}", "namespace": f"ns-{i}"},
                  "data": {"ca.crt": b64(other), "password": b64("not shown")}})
for i in range(500):
    kind = "ValidatingWebhookConfiguration" if i % 2 else "MutatingWebhookConfiguration"
    items.append({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": f"hook-{i}"},
                  "webhooks": [{"name": f"h{i}.example.com", "clientConfig": {"service": {"name": "s", "namespace": "d"}, "caBundle": b64(ca)},
                                "admissionReviewVersions": ["v1"], "sideEffects": "None"}]})
json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}, sys.stdout)

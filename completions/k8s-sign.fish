complete -c k8s-sign -l ca -d 'CA certificate and key as PREFIX.crt and PREFIX.key (kubeadm\'s naming)' -r -F
complete -c k8s-sign -l ca-cert -d 'CA certificate file' -r -F
complete -c k8s-sign -l ca-key -d 'CA private key file' -r -F
complete -c k8s-sign -s k -l key -d 'With --self-sign: the key, from a file instead of the stream' -r -F
complete -c k8s-sign -l days -d 'Validity in days from now (default 365; 3650 for a CA)' -r
complete -c k8s-sign -l duration -d 'Validity as a duration: 8760h, 365d, 1y, 90m' -r
complete -c k8s-sign -l not-before -d 'Start of validity (YYYY-MM-DD or RFC 3339; default now - 5 minutes, for clock skew)' -r
complete -c k8s-sign -l not-after -d 'End of validity (YYYY-MM-DD or RFC 3339), instead of --days' -r
complete -c k8s-sign -l kubernetes-version -d 'Set NotBefore as this kubeadm release does (1.28 to 1.33; default: the newest): 1.28 to 1.30 start a certificate at its CA\'s NotBefore, 1.31 and later 5 minutes before now' -r
complete -c k8s-sign -s u -l usage -l purpose -d 'Grant these usages whatever the CSR asked for; repeat for both' -r -f -a "server\t'TLS server auth (serverAuth): the API server, etcd, a kubelet\'s serving endpoint (also: openssl\'s sslserver, the EKU name serverAuth, cfssl\'s "server auth")'
client\t'TLS client auth (clientAuth): every identity that talks to the API server or etcd (also: sslclient, clientAuth, "client auth")'"
complete -c k8s-sign -s p -l profile -d 'Grant the usages of a kubeadm profile (see k8s-csr --list-profiles); "auto" picks the profile of each CSR\'s identity (CN and O), for CSRs that request no usages. With --config: a profile of that file' -r -f -a "ca\t''
etcd-ca\t''
front-proxy-ca\t''
apiserver\t''
apiserver-kubelet-client\t''
front-proxy-client\t''
etcd-server\t''
etcd-peer\t''
etcd-healthcheck-client\t''
apiserver-etcd-client\t''
admin\t''
super-admin\t''
kubelet\t''
kubelet-serving\t''
kube-proxy\t''
controller-manager\t''
scheduler\t''
auto\t''"
complete -c k8s-sign -l config -d 'cfssl\'s signing config (ca-config.json): sign with its --profile NAME (default: its default profile), taking the usages, expiry and ca_constraint; --days/--duration override the expiry, and fields k8s-sign does not apply are named in a warning' -r -F
complete -c k8s-sign -l cfssl -d 'With --self-sign: a cfssl CSR JSON whose "ca" object sets the new CA\'s lifetime ("expiry"; cfssl\'s 43800h when absent) and path length ("pathlen", "pathlenzero"), as cfssl gencert -initca reads them; --days/--duration override the expiry' -r -F
complete -c k8s-sign -l signer -d 'Sign as kube-controller-manager\'s signer NAME would (kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet or kubernetes.io/kubelet-serving; another name is refused): its rules (refused in its words), usages from the request, validity from spec.expirationSeconds (default 1 year) clamped to the CA; reads a CertificateSigningRequest object (kubectl get csr -o json|yaml) or PEM, and writes the object back with status.certificate set' -r
complete -c k8s-sign -s i -l in -d 'Read the stream from FILE instead of stdin' -r -F
complete -c k8s-sign -l cert-out -d 'Write the certificate to FILE instead of stdout' -r -F
complete -c k8s-sign -l key-out -d 'Write the private key passing through to FILE (0600) instead of stdout' -r -F
complete -c k8s-sign -s o -l out -d 'Write the stream into files PREFIX.key (0600), PREFIX.csr, PREFIX.crt, PREFIX.pub instead of stdout; directories are created; files are written atomically' -r -F
complete -c k8s-sign -l bare -d 'Write the stream into files named as cfssljson -bare NAME names them instead of stdout: NAME.pem (certificate), NAME-key.pem (0600), NAME.csr, NAME.pub' -r -F
complete -c k8s-sign -l format -d 'Output format on stdout' -r -f -a "pem\t'PEM blocks, one after another (what openssl reads and writes)'
json\t'One cfssl-style JSON object per line: {"key": PEM, "csr": PEM, "cert": PEM}'"
complete -c k8s-sign -l self-sign -d 'Self-sign each CSR with its own key (from the stream, or --key): makes a root CA'
complete -c k8s-sign -l clamp -d 'Cut a certificate that would outlive its CA to the CA\'s expiry (default: warn)'
complete -c k8s-sign -l allow-ca -d 'Allow a CSR that asks for CA:TRUE (an intermediate CA)'
complete -c k8s-sign -l beside -d 'Write each certificate beside its CSR file (x.csr -> x.crt), all or none'
complete -c k8s-sign -l keep-csr -d 'Keep each CSR in the output stream, before its certificate (the default with --format json and --bare, as cfssl gencert\'s JSON carries it and cfssljson writes NAME.csr)'
complete -c k8s-sign -l drop-csr -d 'Leave each CSR out of the output, also with --format json and --bare'
complete -c k8s-sign -s f -l force -d 'Replace existing files: the old one stays intact until the new one is complete, then is kept beside it as FILE.bak-TIMESTAMP (said on stderr); also allows printing a private key to a terminal'
complete -c k8s-sign -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-sign -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-sign -s V -l version -d 'Print version'

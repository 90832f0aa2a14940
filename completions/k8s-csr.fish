complete -c k8s-csr -s p -l profile -d 'Start from a kubeadm identity (see --list-profiles)' -r -f -a "ca\t''
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
scheduler\t''"
complete -c k8s-csr -l node-name -d 'Node name (CN of etcd and kubelet certs, a SAN of the API server\'s); must equal the name the node registers with' -r
complete -c k8s-csr -l advertise-address -l apiserver-advertise-address -d 'The node\'s IP: the API server\'s advertise address, etcd\'s listen address, the kubelet\'s IP' -r
complete -c k8s-csr -l service-cidr -d 'Service CIDR; its first address (the `kubernetes` service) goes into the API server\'s SANs' -r
complete -c k8s-csr -l dns-domain -l service-dns-domain -d 'Cluster DNS domain, for kubernetes.default.svc.DOMAIN' -r
complete -c k8s-csr -l control-plane-endpoint -d 'Control-plane endpoint, HOST[:PORT] as kubeadm takes it (a load balancer\'s name, an IPv4 address, or [IPv6]:PORT); its host is added to the API server\'s SANs' -r
complete -c k8s-csr -l kubernetes-version -d 'The kubeadm release whose subjects to write (1.28 to 1.33; v1.31 and 1.31.2 also work; default: the newest). 1.28 puts O=system:masters in admin and the apiserver and etcd client certificates and has no super-admin (docs/kubeadm.md, the release table)' -r
complete -c k8s-csr -l cn -d 'Common name: the Kubernetes user name' -r
complete -c k8s-csr -s O -l org -d 'Organization: a Kubernetes group; repeat for more groups (all are kept, in order)' -r
complete -c k8s-csr -l subj -d 'Whole subject in openssl\'s syntax, e.g. /CN=alice/O=dev/O=ops' -r
complete -c k8s-csr -l san -l apiserver-cert-extra-sans -d 'Subject alternative name: DNS name or IP (v4 or v6, told apart automatically); repeat, or separate with commas' -r
complete -c k8s-csr -s u -l usage -l purpose -d 'Requested usage; repeat for both (the signer may decide otherwise)' -r -f -a "server\t'TLS server auth (serverAuth): the API server, etcd, a kubelet\'s serving endpoint (also: openssl\'s sslserver, the EKU name serverAuth, cfssl\'s "server auth")'
client\t'TLS client auth (clientAuth): every identity that talks to the API server or etcd (also: sslclient, clientAuth, "client auth")'"
complete -c k8s-csr -l signer -d 'Certificates API signer this CSR is for: sets its default usages and checks its rules (kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving, or DOMAIN/NAME)' -r
complete -c k8s-csr -l name -d 'With --manifest: metadata.name (default: the CN made a valid object name)' -r
complete -c k8s-csr -l duration -l expiration -d 'With --manifest: the validity asked for, spec.expirationSeconds (at least 10m; e.g. 24h, 30d, 1y; --expiration, kubectl\'s field name, is an alias)' -r
complete -c k8s-csr -l days -d 'With --manifest: the validity asked for, in days (spec.expirationSeconds)' -r
complete -c k8s-csr -l cfssl -d 'Take the subject (CN, names) and hosts (SANs) from a cfssl CSR JSON file' -r -F
complete -c k8s-csr -s k -l key -d 'Private key file; stdin is then not read and only the CSR is written. With --from-cert: the old key, checked against the certificate and used only with --reuse-key' -r -F
complete -c k8s-csr -l from-cert -d 'Renew: copy the subject, SANs and usages of this certificate (from kubeadm, openssl or us); flags may change them (e.g. --san adds one). The new key comes from stdin' -r -F
complete -c k8s-csr -l issued-by -d 'With --from-cert: refuse (exit 4) unless the certificate was issued by this CA (a file, a bundle mid-rotation), so that a renewal re-issues only what the CA issued' -r -F
complete -c k8s-csr -s i -l in -d 'Read the key stream from FILE instead of stdin' -r -F
complete -c k8s-csr -l csr-out -d 'Write the CSR to FILE instead of stdout' -r -F
complete -c k8s-csr -l key-out -d 'Write the private key to FILE (0600) instead of stdout' -r -F
complete -c k8s-csr -s o -l out -d 'Write the stream into files PREFIX.key (0600), PREFIX.csr, PREFIX.crt, PREFIX.pub instead of stdout; directories are created; files are written atomically' -r -F
complete -c k8s-csr -l bare -d 'Write the stream into files named as cfssljson -bare NAME names them instead of stdout: NAME.pem (certificate), NAME-key.pem (0600), NAME.csr, NAME.pub' -r -F
complete -c k8s-csr -l format -d 'Output format on stdout' -r -f -a "pem\t'PEM blocks, one after another (what openssl reads and writes)'
json\t'One cfssl-style JSON object per line: {"key": PEM, "csr": PEM, "cert": PEM}'"
complete -c k8s-csr -l list-profiles -d 'List the profiles with their CN, groups, usages and kubeadm file, then exit (with --format json: one object per profile, for scripts)'
complete -c k8s-csr -l no-usages -d 'Request no usages, as kubeadm certs generate-csr does for an external CA: the signer applies the profile\'s (k8s-sign --profile auto)'
complete -c k8s-csr -l is-ca -d 'Ask for a CA certificate (basicConstraints CA:TRUE; cfssl\'s is_ca); implied by --profile ca'
complete -c k8s-csr -l manifest -d 'Print a certificates.k8s.io/v1 CertificateSigningRequest for kubectl apply -f - (YAML; JSON with --format json); the key and CSR are kept in --out PREFIX files, never printed'
complete -c k8s-csr -l reuse-key -d 'With --from-cert: keep the old key (--key) instead of a fresh one'
complete -c k8s-csr -s f -l force -d 'Replace existing files: the old one stays intact until the new one is complete, then is kept beside it as FILE.bak-TIMESTAMP (said on stderr); also allows printing a private key to a terminal'
complete -c k8s-csr -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-csr -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-csr -s V -l version -d 'Print version'

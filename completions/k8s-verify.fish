complete -c k8s-verify -l ca-cert -d 'The CA the certificates must chain to; a bundle of several CAs trusts each of them' -r -F
complete -c k8s-verify -l ca -d 'The CA as PREFIX, meaning PREFIX.crt (as k8s-sign --ca PREFIX names PREFIX.crt and PREFIX.key; the key is not needed to verify)' -r -F
complete -c k8s-verify -l untrusted -d 'Intermediate CA certificates offered for every chain (openssl\'s -untrusted); repeat' -r -F
complete -c k8s-verify -l go-release -d 'Follow this Go release\'s crypto/x509 (19 to 24 for go1.19 to go1.24; Kubernetes 1.33 is built with go1.24): SHA-1 messages, RSA key minimum, policy extensions' -r
complete -c k8s-verify -l purpose -l usage -d 'Required usage; repeat for both' -r -f -a "server\t'TLS server auth (serverAuth): the API server, etcd, a kubelet\'s serving endpoint (also: openssl\'s sslserver, the EKU name serverAuth, cfssl\'s "server auth")'
client\t'TLS client auth (clientAuth): every identity that talks to the API server or etcd (also: sslclient, clientAuth, "client auth")'"
complete -c k8s-verify -l host -d 'A name or IP a TLS client would dial; must be in the SANs (repeat, or separate with commas)' -r
complete -c k8s-verify -l cn -d 'Required CN (the Kubernetes user name)' -r
complete -c k8s-verify -s O -l org -d 'Required O values (Kubernetes groups); repeat; all and only these, in any order' -r
complete -c k8s-verify -l key -d 'The private key that must match the certificate; with --connect, the client key' -r -F
complete -c k8s-verify -l signer -d 'Check CSRs (PEM, or CertificateSigningRequest objects) against this certificates API signer\'s rules, as kube-controller-manager applies them' -r
complete -c k8s-verify -l cluster-dump -d 'Map which cluster objects carry which CA, from kubectl get ... -A -o json output (ConfigMaps, Secrets, Pods, webhook configurations, APIServices, CRDs, ClusterTrustBundles): each CA by its key, the fields holding it, the Pods mounting them; repeat to merge dumps (- is stdin, once); with --pki-dir, the tree\'s CAs are named and its rotation judged' -r -F
complete -c k8s-verify -l pki-dir -d 'Audit a kubeadm directory holding pki/ and the kubeconfigs (e.g. /etc/kubernetes); with --connect, compare what the endpoint serves with the file that should serve it; with --cluster-dump, name the tree\'s CAs in the map' -r -F
complete -c k8s-verify -l cert-dir -d 'kubeadm\'s --cert-dir (e.g. /etc/kubernetes/pki): audits the tree it is the pki/ of, as --pki-dir of its parent' -r -F
complete -c k8s-verify -l connect -d 'Connect to a live endpoint (HOST:PORT, or https://HOST:PORT), show the chain it serves and check it as a Go client would: --host defaults to HOST, --purpose to server' -r
complete -c k8s-verify -l servername -d 'The TLS server name to send and check, when not HOST (e.g. --connect 10.0.0.10:6443 --servername kubernetes)' -r
complete -c k8s-verify -l cert -d 'A client certificate for mutual TLS (its chain, and its key unless --key; - is stdin); says whether the server accepted it' -r -F
complete -c k8s-verify -l served-file -d 'With --connect and --pki-dir: the file of the tree that should be serving (e.g. pki/etcd/server.crt), instead of the one the served certificate and the port point to' -r
complete -c k8s-verify -l kubeconfig -d 'A kubeconfig: its current context supplies the server (unless --connect), the CA (unless --ca-cert) and the client identity (unless --cert)' -r -F
complete -c k8s-verify -l timeout -d 'Give up on the endpoint after this long (connect and handshake) [default: 5s]' -r
complete -c k8s-verify -l node-name -d 'With --pki-dir: the node name (default: read from pki/apiserver.crt)' -r
complete -c k8s-verify -l root -d 'With --pki-dir: a copy of the node\'s file system; absolute paths in kubeconfigs (kubelet.conf\'s /var/lib/kubelet/pki/kubelet-client-current.pem) are read under it' -r -F
complete -c k8s-verify -l advertise-address -l apiserver-advertise-address -d 'With --pki-dir: the advertise address (default: read from pki/apiserver.crt)' -r
complete -c k8s-verify -l kubernetes-version -d 'With --pki-dir: the kubeadm release the tree must match (1.28 to 1.33; default: told by the groups of admin.conf and the apiserver and etcd client certificates, else the newest)' -r
complete -c k8s-verify -l service-cidr -d 'Service CIDR, for the API server\'s service IP' -r
complete -c k8s-verify -l dns-domain -l service-dns-domain -d 'Cluster DNS domain' -r
complete -c k8s-verify -l at -d 'Evaluate everything as of this date (YYYY-MM-DD or RFC 3339)' -r
complete -c k8s-verify -l warn-within -d 'Warn about certificates expiring within this long (e.g. 30d, 720h)' -r
complete -c k8s-verify -l format -d 'Output format' -r -f -a "text\t'Human-readable text'
json\t'JSON (with --expiry: kubeadm\'s CertificateExpirationInfo)'"
complete -c k8s-verify -l color -d 'Colour the text output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c k8s-verify -l graph -d 'Print the trust graph: which CA signs which file (from --pki-dir when given, marking a file signed by the wrong CA), and which component flag reads which file' -r -f -a "dot\t'Graphviz DOT (render with dot -Tsvg)'
mermaid\t'Mermaid flowchart (renders in Markdown on most forges)'"
complete -c k8s-verify -l each -d 'Check every certificate of the inputs on its own, not the first of each input with the rest as its chain'
complete -c k8s-verify -l join-hash -d 'Print each certificate\'s kubeadm join discovery hash (sha256:HEX of its public key), the value kubeadm join --discovery-token-ca-cert-hash takes; give it pki/ca.crt'
complete -c k8s-verify -l external-etcd -d 'With --pki-dir: the cluster\'s etcd is external (kubeadm\'s etcd.external): no etcd certificate is expected and --expiry lists none, as kubeadm\'s does (default: external when manifests/ holds kube-apiserver.yaml and no etcd.yaml)'
complete -c k8s-verify -l expiry -d 'With --pki-dir: print when each certificate expires, like kubeadm certs check-expiration'
complete -c k8s-verify -l strict -d 'A check of certificates exits 6 on warnings too (something expires within --warn-within, a certificate outlives its CA), as --pki-dir and --connect always do: for health checks. Without it a valid chain exits 0, warnings printed, as openssl verify does'
complete -c k8s-verify -s v -l verbose -d 'Show passing checks too'
complete -c k8s-verify -l flags -d 'Print the kube-apiserver, controller-manager, scheduler, kubelet and etcd flags that point at each file of the PKI (under --pki-dir, default /etc/kubernetes)'
complete -c k8s-verify -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-verify -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-verify -s V -l version -d 'Print version'

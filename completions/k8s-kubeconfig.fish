complete -c k8s-kubeconfig -l ca-cert -l certificate-authority -d 'The cluster CA certificate (pki/ca.crt), embedded as certificate-authority-data' -r -F
complete -c k8s-kubeconfig -l server -d 'API server URL' -r
complete -c k8s-kubeconfig -l advertise-address -l apiserver-advertise-address -d 'Without --server: this node\'s address; the server is the one kubeadm writes for the certificate\'s identity (admin and super-admin: the control-plane endpoint; controller-manager and scheduler: https://IP:6443; kubelet: by release)' -r
complete -c k8s-kubeconfig -l control-plane-endpoint -d 'The load balancer\'s or DNS name\'s HOST[:PORT] (default port 6443); without it, the control-plane endpoint is https://ADVERTISE:6443' -r
complete -c k8s-kubeconfig -l kubernetes-version -d 'The kubeadm release to follow (1.28 to 1.33; default: the newest). With --advertise-address, its servers: before 1.33 kubelet.conf points at the control-plane endpoint, from 1.33 at the local API server. With --renew, where the new certificate starts: at the CA\'s NotBefore before 1.31, five minutes ago from 1.31' -r
complete -c k8s-kubeconfig -l tls-server-name -d 'Name to check the API server\'s certificate against, when the URL\'s host is not in its SANs' -r
complete -c k8s-kubeconfig -l cluster-name -d 'Cluster name' -r
complete -c k8s-kubeconfig -l user -d 'User name (default: the certificate\'s CN)' -r
complete -c k8s-kubeconfig -l context -d 'Context name (default USER@CLUSTER); with --extract, the context to read (default: current)' -r
complete -c k8s-kubeconfig -l embed -l embed-certs -d 'Embed certificates and key as base64 data; --embed=false writes the paths of --ca-cert, --cert, --key' -r -f -a "true\t''
false\t''"
complete -c k8s-kubeconfig -l cert -l client-certificate -d 'Client certificate file, instead of stdin' -r -F
complete -c k8s-kubeconfig -l key -l client-key -d 'Client private key file, instead of stdin' -r -F
complete -c k8s-kubeconfig -s i -l in -d 'Read the stream (or, with --extract, the kubeconfig) from FILE instead of stdin' -r -F
complete -c k8s-kubeconfig -l merge -d 'Add the cluster, user and context to this existing kubeconfig (replacing entries of the same name, keeping their other fields) and write the result to stdout, --out, or back to FILE with --in-place (or --out FILE); current-context stays unless --use-context' -r -F
complete -c k8s-kubeconfig -l renew -d 'Re-issue the client certificate of this kubeconfig with the same identity and a fresh key, signed by the CA (--ca or --ca-cert/--ca-key); the old file is kept as FILE.bak-TIMESTAMP' -r -F
complete -c k8s-kubeconfig -l complete -d 'Finish a kubeconfig that kubeadm certs generate-csr wrote (it holds the key only): put the signed --cert and the --ca-cert into it, in place, after checking them' -r -F
complete -c k8s-kubeconfig -l ca -d 'With --renew: the CA as PREFIX.crt and PREFIX.key' -r -F
complete -c k8s-kubeconfig -l ca-key -d 'With --renew: the CA private key' -r -F
complete -c k8s-kubeconfig -l days -d 'With --renew: validity in days (default 365)' -r
complete -c k8s-kubeconfig -l duration -d 'With --renew: validity as a duration: 8760h, 1y, 90d' -r
complete -c k8s-kubeconfig -l foreign-issuer -d 'With --renew: re-issue a client certificate that the CA did not issue (renewal otherwise refuses it, exit 4); REASON is said in the warning' -r
complete -c k8s-kubeconfig -l issued-by -d 'With --renew: the CA that issued the old client certificate, when it is not the signing CA (a CA rotation re-issues under the new CA what the old one issued)' -r -F
complete -c k8s-kubeconfig -s o -l out -d 'Write to FILE (mode 0600, atomically) instead of stdout; with --extract, the credentials as PEM (key, client certificate, CA)' -r -F
complete -c k8s-kubeconfig -l format -d 'With --extract: output format on stdout' -r -f -a "pem\t'PEM blocks, one after another (what openssl reads and writes)'
json\t'One cfssl-style JSON object per line: {"key": PEM, "csr": PEM, "cert": PEM}'"
complete -c k8s-kubeconfig -l in-place -d 'With --merge: write the result back to the merged file (atomically, 0600)'
complete -c k8s-kubeconfig -l use-context -d 'With --merge: make the new context current (kubectl config use-context); a new kubeconfig\'s one context is always current'
complete -c k8s-kubeconfig -l extract -d 'Read a kubeconfig and write its credentials as PEM: key, client certificate, CA'
complete -c k8s-kubeconfig -l partial -d 'Write what kubeadm certs generate-csr writes for an external CA, from the key and CSR on stdin (pipe k8s-csr): --out FILE holding the key and the server only, and FILE.csr'
complete -c k8s-kubeconfig -l reuse-key -d 'With --renew: keep the old key instead of generating a new one'
complete -c k8s-kubeconfig -l clamp -d 'With --renew: cut a certificate that would outlive its CA to the CA\'s expiry (default: warn)'
complete -c k8s-kubeconfig -s f -l force -d 'Replace an existing file, keeping the old one as FILE.bak-TIMESTAMP (said on stderr); allow a kubeconfig holding a key to be printed to a terminal'
complete -c k8s-kubeconfig -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-kubeconfig -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-kubeconfig -s V -l version -d 'Print version'

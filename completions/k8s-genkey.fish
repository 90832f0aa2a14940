complete -c k8s-genkey -s a -l algo -d 'Key algorithm [default: rsa]' -r -f -a "rsa\t'RSA, 2048 bits unless --bits says otherwise (kubeadm\'s default)'
ecdsa\t'ECDSA on P-256 unless --bits 384 or --curve P-384 (also: ec)'
rsa2048\t'RSA 2048'
rsa3072\t'RSA 3072'
rsa4096\t'RSA 4096'
ecdsa-p256\t'ECDSA P-256'
ecdsa-p384\t'ECDSA P-384'"
complete -c k8s-genkey -l curve -d 'ECDSA curve (openssl\'s -name, cfssl\'s size): implies --algo ecdsa' -r -f -a "P-256\t'NIST P-256 (also: prime256v1, secp256r1, p256), kubeadm\'s ECDSA curve'
P-384\t'NIST P-384 (also: secp384r1, p384)'"
complete -c k8s-genkey -l like -d 'Take the algorithm and size from the key of FILE: a certificate, CSR, public or private key (a renewed certificate keeps its kind of key)' -r -F
complete -c k8s-genkey -l cfssl -d 'Take the algorithm and size from a cfssl CSR JSON file\'s "key" object' -r -F
complete -c k8s-genkey -s b -l bits -d 'Key size: RSA modulus bits (2048, 3072, 4096) or ECDSA curve bits (256, 384)' -r
complete -c k8s-genkey -l key-format -d 'Private key encoding' -r -f -a "traditional\t'As kubeadm writes keys: PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY"'
pkcs8\t'PKCS#8 "PRIVATE KEY", as openssl genpkey writes keys'"
complete -c k8s-genkey -s i -l in -d 'Read an existing key instead of generating one (to convert its format or get its public key)' -r -F
complete -c k8s-genkey -s n -l count -d 'Generate N keys (to stdout)' -r
complete -c k8s-genkey -s j -l jobs -d 'Generate on up to N threads (default: all cores)' -r
complete -c k8s-genkey -l key-out -d 'Write the private key to FILE (0600) instead of stdout' -r -F
complete -c k8s-genkey -l pub-out -d 'Write the public key to FILE instead of stdout (with --public, which emits it)' -r -F
complete -c k8s-genkey -s o -l out -d 'Write the stream into files PREFIX.key (0600), PREFIX.csr, PREFIX.crt, PREFIX.pub instead of stdout; directories are created; files are written atomically' -r -F
complete -c k8s-genkey -l bare -d 'Write the stream into files named as cfssljson -bare NAME names them instead of stdout: NAME.pem (certificate), NAME-key.pem (0600), NAME.csr, NAME.pub' -r -F
complete -c k8s-genkey -l format -d 'Output format on stdout' -r -f -a "pem\t'PEM blocks, one after another (what openssl reads and writes)'
json\t'One cfssl-style JSON object per line: {"key": PEM, "csr": PEM, "cert": PEM}'"
complete -c k8s-genkey -l public -d 'Also emit the public key ("PUBLIC KEY"), as sa.pub; with --in, emit only the public key'
complete -c k8s-genkey -s f -l force -d 'Replace existing files: the old one stays intact until the new one is complete, then is kept beside it as FILE.bak-TIMESTAMP (said on stderr); also allows printing a private key to a terminal'
complete -c k8s-genkey -l explain -d 'Also print to stderr what was done and why, and the equivalent openssl/kubectl commands (lines starting with $ run in bash as printed)'
complete -c k8s-genkey -s h -l help -d 'Print help (see more with \'--help\')'
complete -c k8s-genkey -s V -l version -d 'Print version'

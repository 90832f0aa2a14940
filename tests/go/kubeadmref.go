// An independent reference for what `kubeadm init` writes into /etc/kubernetes, release by
// release, with Go's standard library only (the same crypto/x509 kubeadm calls), and a
// describer that prints any such tree field by field so two trees can be compared.
//
//	kubeadmref gen -out DIR -minor 33 -node NAME -advertise IP [-cpe HOST[:PORT]]
//	kubeadmref describe DIR
//
// gen follows kubeadm's generation code (paths under cmd/kubeadm/app/ in kubernetes/kubernetes;
// docs/kubeadm.md cites each fact and its releases):
//   - util/pkiutil/pki_helpers.go: NewCertificateAuthority / NewSelfSignedCACert (CN, DNS SAN =
//     CN, keyUsage digitalSignature|keyEncipherment|keyCertSign, CA:TRUE), NewSignedCert
//     (keyUsage digitalSignature|keyEncipherment, the profile's EKUs, CA:FALSE, 63-bit serial),
//     RemoveDuplicateAltNames (DNS de-duplicated and sorted, IPs de-duplicated in order),
//     GetAPIServerAltNames, getAltNames (etcd), EncodePublicKeyPEM (sa.pub);
//   - phases/certs/certlist.go: the certificates, their CAs, CNs, groups and EKUs;
//   - phases/kubeconfig/kubeconfig.go getKubeConfigSpecsBase and util/kubeconfig CreateWithCerts:
//     the kubeconfigs, their identities and servers (util/endpoint.go);
//   - client-go util/keyutil (PKCS#1 / SEC 1 keys, 0600), util/cert WriteCert (0644),
//     tools/clientcmd WriteToFile (0600, the YAML below);
//   - times: up to 1.30 a CA runs from NOW-5m to NOW+3650d and a leaf from its CA's NotBefore to
//     NOW+365d; from 1.31 every certificate starts at START-5m and ends START+87600h (CAs) or
//     START+8760h (leaves), START being the process start (certlist.go GetConfig).
//
// describe prints, per file in sorted order: its mode; for a certificate the subject RDNs in
// order, the issuer, SANs in order, keyUsage and basicConstraints with their criticality, EKUs,
// signature algorithm, the validity length and the backdating against the file's mtime (both
// floored to the minute), and the key type; for a key its PEM type, algorithm and whether it
// belongs to the certificate (or sa.pub) beside it; for a kubeconfig its YAML with each data
// field replaced by what it holds. Keys, serial values and exact times are left out: they are
// all that may differ between two trees of one release.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const backdate = 5 * time.Minute

type ca struct {
	cert *x509.Certificate
	key  crypto.Signer
}

type gen struct {
	out, node, cpe string
	advertise      net.IP
	minor          int
	start          time.Time
	cas            map[string]ca
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: kubeadmref gen|describe ...")
	}
	switch os.Args[1] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		out := fs.String("out", "", "tree")
		minor := fs.Int("minor", 33, "kubeadm 1.MINOR")
		node := fs.String("node", "node-1", "node name")
		adv := fs.String("advertise", "10.0.0.10", "advertise address")
		cpe := fs.String("cpe", "", "control-plane endpoint HOST[:PORT]")
		fs.Parse(os.Args[2:])
		g := gen{out: *out, node: *node, cpe: *cpe, advertise: net.ParseIP(*adv), minor: *minor, start: time.Now(), cas: map[string]ca{}}
		g.run()
	case "describe":
		describe(os.Args[2])
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "kubeadmref:", msg)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

// --- generation -------------------------------------------------------------------------

func (g *gen) run() {
	server, client := x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth
	// 1.28 still gave these three O=system:masters (docs/kubeadm.md section 6).
	masters := func(newer ...string) []string {
		if g.minor <= 28 {
			return []string{"system:masters"}
		}
		return newer
	}
	for _, c := range [][2]string{{"ca", "kubernetes"}, {"etcd/ca", "etcd-ca"}, {"front-proxy-ca", "front-proxy-ca"}} {
		g.newCA(c[0], c[1])
	}
	apiDNS, apiIP := g.apiserverAltNames()
	etcdDNS, etcdIP := []string{g.node, "localhost"}, []net.IP{g.advertise, net.ParseIP("127.0.0.1"), net.IPv6loopback}
	type leaf struct {
		base, ca, cn string
		orgs         []string
		usages       []x509.ExtKeyUsage
		dns          []string
		ips          []net.IP
	}
	leaves := []leaf{ // certlist.go GetDefaultCertList order
		{"apiserver", "ca", "kube-apiserver", nil, []x509.ExtKeyUsage{server}, apiDNS, apiIP},
		{"apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client", masters("kubeadm:cluster-admins"), []x509.ExtKeyUsage{client}, nil, nil},
		{"front-proxy-client", "front-proxy-ca", "front-proxy-client", nil, []x509.ExtKeyUsage{client}, nil, nil},
		{"etcd/server", "etcd/ca", g.node, nil, []x509.ExtKeyUsage{server, client}, etcdDNS, etcdIP},
		{"etcd/peer", "etcd/ca", g.node, nil, []x509.ExtKeyUsage{server, client}, etcdDNS, etcdIP},
		{"etcd/healthcheck-client", "etcd/ca", "kube-etcd-healthcheck-client", masters(), []x509.ExtKeyUsage{client}, nil, nil},
		{"apiserver-etcd-client", "etcd/ca", "kube-apiserver-etcd-client", masters(), []x509.ExtKeyUsage{client}, nil, nil},
	}
	for _, l := range leaves {
		key := newKey()
		cert := g.signed(l.ca, l.cn, l.orgs, l.usages, l.dns, l.ips, key)
		g.writeCert(filepath.Join("pki", l.base), cert, key)
	}
	sa := newKey()
	der, err := x509.MarshalPKIXPublicKey(sa.Public())
	check(err)
	g.write("pki/sa.key", keyPEM(sa), 0o600)
	g.write("pki/sa.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)

	local := g.url(g.advertise.String(), "6443")
	cpe := local
	if g.cpe != "" {
		cpe = g.url(g.cpeHostPort())
	}
	kubelet := cpe
	if g.minor >= 33 { // ControlPlaneKubeletLocalMode on by default
		kubelet = local
	}
	type conf struct {
		file, cn string
		orgs     []string
		server   string
	}
	confs := []conf{
		{"admin.conf", "kubernetes-admin", masters("kubeadm:cluster-admins"), cpe},
		{"kubelet.conf", "system:node:" + g.node, []string{"system:nodes"}, kubelet},
		{"controller-manager.conf", "system:kube-controller-manager", nil, local},
		{"scheduler.conf", "system:kube-scheduler", nil, local},
	}
	if g.minor >= 29 {
		confs = append(confs, conf{"super-admin.conf", "kubernetes-super-admin", []string{"system:masters"}, cpe})
	}
	for _, c := range confs {
		key := newKey()
		cert := g.signed("ca", c.cn, c.orgs, []x509.ExtKeyUsage{client}, nil, nil, key)
		g.write(c.file, kubeconfig(c.server, c.cn, g.cas["ca"].cert, cert, key), 0o600)
	}
}

// cpeHostPort splits the control-plane endpoint as kubeadm's ParseHostPort does: HOST[:PORT], an
// IPv6 host in brackets, port 6443 when none is written.
func (g *gen) cpeHostPort() (string, string) {
	host, port, err := net.SplitHostPort(g.cpe)
	if err != nil {
		return strings.Trim(g.cpe, "[]"), "6443"
	}
	return host, port
}

func (g *gen) url(host, port string) string {
	return "https://" + net.JoinHostPort(host, port)
}

// GetAPIServerAltNames: the node, the kubernetes service names, the service VIP, the advertise
// address, the control-plane endpoint's host as a DNS name or an IP.
func (g *gen) apiserverAltNames() ([]string, []net.IP) {
	dns := []string{g.node, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	ips := []net.IP{net.ParseIP("10.96.0.1"), g.advertise}
	if g.cpe != "" {
		host, _ := g.cpeHostPort()
		if ip := net.ParseIP(host); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, host)
		}
	}
	return dns, ips
}

func newKey() crypto.Signer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	check(err)
	return key
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).SetInt64(math.MaxInt64-1))
	check(err)
	return n.Add(n, big.NewInt(1))
}

func (g *gen) newCA(base, cn string) {
	key := newKey()
	notBefore, notAfter := g.start.Add(-backdate), g.start.Add(87600*time.Hour)
	if g.minor <= 30 {
		now := time.Now()
		notBefore, notAfter = now.Add(-backdate), now.Add(3650*24*time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              []string{cn},
		NotBefore:             notBefore.UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	check(err)
	cert, err := x509.ParseCertificate(der)
	check(err)
	g.cas[base] = ca{cert, key}
	g.writeCert(filepath.Join("pki", base), cert, key)
}

func (g *gen) signed(caName, cn string, orgs []string, usages []x509.ExtKeyUsage, dns []string, ips []net.IP, key crypto.Signer) *x509.Certificate {
	issuer := g.cas[caName]
	notBefore, notAfter := g.start.Add(-backdate), g.start.Add(8760*time.Hour)
	if g.minor <= 30 {
		notBefore, notAfter = issuer.cert.NotBefore, time.Now().Add(365*24*time.Hour)
	}
	dns, ips = removeDuplicateAltNames(dns, ips)
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: orgs},
		DNSNames:              dns,
		IPAddresses:           ips,
		SerialNumber:          serial(),
		NotBefore:             notBefore.UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           usages,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer.cert, key.Public(), issuer.key)
	check(err)
	cert, err := x509.ParseCertificate(der)
	check(err)
	return cert
}

func removeDuplicateAltNames(dns []string, ips []net.IP) ([]string, []net.IP) {
	set := map[string]bool{}
	var sorted []string
	for _, d := range dns {
		if !set[d] {
			set[d] = true
			sorted = append(sorted, d)
		}
	}
	sort.Strings(sorted)
	seen := map[string]bool{}
	var ordered []net.IP
	for _, ip := range ips {
		if !seen[ip.String()] {
			seen[ip.String()] = true
			ordered = append(ordered, ip)
		}
	}
	return sorted, ordered
}

func keyPEM(key crypto.Signer) []byte {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		check(err)
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}
	fail("unknown key type")
	return nil
}

func certPEM(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

func (g *gen) writeCert(base string, cert *x509.Certificate, key crypto.Signer) {
	g.write(base+".key", keyPEM(key), 0o600)
	g.write(base+".crt", certPEM(cert), 0o644)
}

func (g *gen) write(name string, data []byte, mode os.FileMode) {
	path := filepath.Join(g.out, name)
	check(os.MkdirAll(filepath.Dir(path), 0o755))
	check(os.WriteFile(path, data, mode))
}

// kubeconfig is the YAML clientcmd writes for CreateWithCerts(server, "kubernetes", user, ca,
// key, cert): fields sorted by name as sigs.k8s.io/yaml writes them, data base64 PEM.
func kubeconfig(server, user string, caCert, cert *x509.Certificate, key crypto.Signer) []byte {
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	return []byte(fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: %s
  name: %s@kubernetes
current-context: %s@kubernetes
kind: Config
preferences: {}
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
`, b64(certPEM(caCert)), server, user, user, user, user, b64(certPEM(cert)), b64(keyPEM(key))))
}

// --- description ------------------------------------------------------------------------

func describe(dir string) {
	var files []string
	check(filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, rel)
		return nil
	}))
	sort.Strings(files)
	for _, rel := range files {
		path := filepath.Join(dir, rel)
		info, err := os.Lstat(path)
		check(err)
		fmt.Printf("== %s %04o", rel, info.Mode().Perm())
		if info.IsDir() {
			fmt.Println(" dir")
			continue
		}
		fmt.Println()
		data, err := os.ReadFile(path)
		check(err)
		switch {
		case strings.HasSuffix(rel, ".crt"):
			block, _ := pem.Decode(data)
			fmt.Print(describeCert(block, info.ModTime()))
		case strings.HasSuffix(rel, ".key"), strings.HasSuffix(rel, ".pub"):
			fmt.Print(describeKey(data, path))
		case strings.HasSuffix(rel, ".conf"):
			fmt.Print(describeKubeconfig(data, dir, info.ModTime()))
		default:
			fmt.Printf("  %d bytes\n", len(data))
		}
	}
}

var oidNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
}

func rdns(raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return "unparsable"
	}
	var out []string
	for _, rdn := range seq {
		var set []string
		for _, atv := range rdn {
			name := oidNames[atv.Type.String()]
			if name == "" {
				name = atv.Type.String()
			}
			set = append(set, fmt.Sprintf("%s=%v", name, atv.Value))
		}
		out = append(out, "["+strings.Join(set, " + ")+"]")
	}
	return strings.Join(out, " ")
}

var kuNames = []string{"digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}

var ekuNames = map[x509.ExtKeyUsage]string{x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth"}

func critical(cert *x509.Certificate, oid string) string {
	for _, e := range cert.Extensions {
		if e.Id.String() == oid {
			if e.Critical {
				return "critical "
			}
			return ""
		}
	}
	return "absent "
}

func floorMinutes(d time.Duration) string {
	return (d / time.Minute * time.Minute).String()
}

func describeCert(block *pem.Block, written time.Time) string {
	if block == nil || block.Type != "CERTIFICATE" {
		return "  not a PEM certificate\n"
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "  unparsable: " + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  version %d, %s, serial positive: %v\n", cert.Version, cert.SignatureAlgorithm, cert.SerialNumber.Sign() > 0)
	fmt.Fprintf(&b, "  subject %s\n  issuer %s\n", rdns(cert.RawSubject), rdns(cert.RawIssuer))
	var ips []string
	for _, ip := range cert.IPAddresses {
		ips = append(ips, ip.String())
	}
	fmt.Fprintf(&b, "  DNS %v\n  IP %v\n  SAN extension %s\n", cert.DNSNames, ips, strings.TrimSpace(critical(cert, "2.5.29.17")))
	var ku []string
	for i, name := range kuNames {
		if cert.KeyUsage&(1<<uint(i)) != 0 {
			ku = append(ku, name)
		}
	}
	fmt.Fprintf(&b, "  keyUsage %s%v\n", critical(cert, "2.5.29.15"), ku)
	var eku []string
	for _, u := range cert.ExtKeyUsage {
		eku = append(eku, ekuNames[u])
	}
	fmt.Fprintf(&b, "  extKeyUsage %s%v\n", critical(cert, "2.5.29.37"), eku)
	fmt.Fprintf(&b, "  basicConstraints %sCA:%v maxPathLen:%d zero:%v\n", critical(cert, "2.5.29.19"), cert.IsCA, cert.MaxPathLen, cert.MaxPathLenZero)
	fmt.Fprintf(&b, "  valid for %s, from %s before it was written\n", floorMinutes(cert.NotAfter.Sub(cert.NotBefore)), floorMinutes(written.Sub(cert.NotBefore)))
	fmt.Fprintf(&b, "  key %s\n", publicKey(cert.PublicKey))
	return b.String()
}

func publicKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d e=%d", k.N.BitLen(), k.E)
	case *ecdsa.PublicKey:
		return "ECDSA-" + k.Curve.Params().Name
	}
	return fmt.Sprintf("%T", pub)
}

func parseKey(block *pem.Block) (crypto.Signer, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	}
	return nil, fmt.Errorf("PEM type %s", block.Type)
}

// describeKey: the PEM type and algorithm, and whether the public half is that of the
// certificate beside it (NAME.crt) or of sa.pub / sa.key.
func describeKey(data []byte, path string) string {
	block, rest := pem.Decode(data)
	if block == nil || len(bytes.TrimSpace(rest)) > 0 {
		return "  not one PEM block\n"
	}
	var pub crypto.PublicKey
	if block.Type == "PUBLIC KEY" {
		p, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return "  unparsable public key\n"
		}
		pub = p
	} else {
		key, err := parseKey(block)
		if err != nil {
			return "  unparsable: " + err.Error() + "\n"
		}
		pub = key.Public()
	}
	stem := strings.TrimSuffix(strings.TrimSuffix(path, ".key"), ".pub")
	other := ""
	if partner, err := os.ReadFile(stem + ".crt"); err == nil {
		if b, _ := pem.Decode(partner); b != nil {
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				other = fmt.Sprintf("matches its .crt: %v", samePublic(pub, c.PublicKey))
			}
		}
	} else if strings.HasSuffix(path, ".pub") {
		if k, err := os.ReadFile(stem + ".key"); err == nil {
			if b, _ := pem.Decode(k); b != nil {
				if key, err := parseKey(b); err == nil {
					other = fmt.Sprintf("matches its .key: %v", samePublic(pub, key.Public()))
				}
			}
		}
	}
	return fmt.Sprintf("  PEM %s, %s %s\n", block.Type, publicKey(pub), other)
}

func samePublic(a, b crypto.PublicKey) bool {
	x, err1 := x509.MarshalPKIXPublicKey(a)
	y, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// describeKubeconfig: the YAML as written, each *-data value replaced by what it holds.
func describeKubeconfig(data []byte, dir string, written time.Time) string {
	var b strings.Builder
	var cert *x509.Certificate
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		field, value, found := strings.Cut(trimmed, ": ")
		if !found || !strings.HasSuffix(field, "-data") {
			fmt.Fprintf(&b, "  | %s\n", line)
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			fmt.Fprintf(&b, "  | %s%s: not base64\n", indent, field)
			continue
		}
		block, _ := pem.Decode(raw)
		switch {
		case block == nil:
			fmt.Fprintf(&b, "  | %s%s: not PEM\n", indent, field)
		case field == "certificate-authority-data":
			ca, _ := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
			fmt.Fprintf(&b, "  | %s%s: <pki/ca.crt: %v>\n", indent, field, bytes.Equal(raw, ca))
		case field == "client-certificate-data":
			fmt.Fprintf(&b, "  | %s%s: <certificate>\n", indent, field)
			cert, _ = x509.ParseCertificate(block.Bytes)
			fmt.Fprint(&b, describeCert(block, written))
		default:
			key, err := parseKey(block)
			if err != nil {
				fmt.Fprintf(&b, "  | %s%s: %v\n", indent, field, err)
				continue
			}
			matches := cert != nil && samePublic(key.Public(), cert.PublicKey)
			fmt.Fprintf(&b, "  | %s%s: <PEM %s, %s, matches the certificate: %v>\n", indent, field, block.Type, publicKey(key.Public()), matches)
		}
	}
	return b.String()
}

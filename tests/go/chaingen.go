// Generates edge-case certificate chains into DIR and prints, for each case, Go's own
// verdict on it: x509.Certificate.Verify (Roots, Intermediates, KeyUsages, CurrentTime) and
// then VerifyHostname. One line per case on stdout:
//
//	NAME|CHAIN_FILE|ROOTS_FILE|PURPOSE|HOST|UNIX_TIME|VERDICT
//
// CHAIN_FILE holds the leaf then the intermediates offered; PURPOSE is server, client or
// default (the certificate's own: ServerAuth when its EKUs name it, else ClientAuth, as
// k8s-verify decides without --purpose); HOST may be empty; VERDICT is "OK" or Go's
// error string. Stdlib only.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var (
	dir    string
	t0     = time.Unix(1800000000, 0).UTC() // 2027-01-15
	serial int64
)

type node struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaingen:", err)
		os.Exit(1)
	}
}

func ecKey() crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	return k
}

type opt func(*x509.Certificate)

func ca(name string) opt {
	return func(t *x509.Certificate) {
		t.Subject = pkix.Name{CommonName: name}
		t.IsCA = true
		t.BasicConstraintsValid = true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	}
}

func leafOpts(t *x509.Certificate) {
	t.Subject = pkix.Name{CommonName: "leaf"}
	t.DNSNames = []string{"leaf.example.com", "*.apps.example.com"}
	t.IPAddresses = []net.IP{net.ParseIP("10.0.0.10")}
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.BasicConstraintsValid = true
}

// issue makes a certificate with the given options, signed by parent (self-signed if nil).
func issue(key crypto.Signer, parent *node, opts ...opt) *node {
	serial++
	t := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		NotBefore:    t0.Add(-24 * time.Hour),
		NotAfter:     t0.Add(365 * 24 * time.Hour),
	}
	for _, o := range opts {
		o(t)
	}
	parentCert, parentKey := t, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parentCert, key.Public(), parentKey)
	must(err)
	c, err := x509.ParseCertificate(der)
	must(err)
	return &node{c, key}
}

func write(name string, certs ...*x509.Certificate) string {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	must(err)
	defer f.Close()
	for _, c := range certs {
		must(pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return path
}

type scenario struct {
	name  string
	chain []*x509.Certificate
	roots []*x509.Certificate
	hosts []string
	times []time.Time
}

func verdict(s scenario, purpose, host string, at time.Time) string {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range s.roots {
		roots.AddCert(r)
	}
	for _, c := range s.chain[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at}
	switch purpose {
	case "server":
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	case "client":
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		// k8s-verify without --purpose checks the certificate's own purpose: server auth when its
		// extended key usages name it, else client auth.
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		for _, u := range s.chain[0].ExtKeyUsage {
			if u == x509.ExtKeyUsageServerAuth {
				opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			}
		}
	}
	if _, err := s.chain[0].Verify(opts); err != nil {
		return err.Error()
	}
	if host != "" {
		if err := s.chain[0].VerifyHostname(host); err != nil {
			return err.Error()
		}
	}
	return "OK"
}

func ext(oid asn1.ObjectIdentifier, critical bool, value []byte) opt {
	return func(t *x509.Certificate) {
		t.ExtraExtensions = append(t.ExtraExtensions, pkix.Extension{Id: oid, Critical: critical, Value: value})
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: chaingen DIR")
		os.Exit(2)
	}
	dir = os.Args[1]
	must(os.MkdirAll(dir, 0o755))

	root := issue(ecKey(), nil, ca("root"))
	inter := issue(ecKey(), root, ca("intermediate"))
	inter2 := issue(ecKey(), inter, ca("intermediate-2"))
	other := issue(ecKey(), nil, ca("other-root"))
	sameName := issue(ecKey(), nil, ca("root")) // another key under the same name
	leaf := func(parent *node, opts ...opt) *x509.Certificate {
		return issue(ecKey(), parent, append([]opt{leafOpts}, opts...)...).cert
	}
	clientLeaf := func(t *x509.Certificate) { t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }
	bothLeaf := func(t *x509.Certificate) {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	noEKU := func(t *x509.Certificate) { t.ExtKeyUsage = nil }
	pathLen := func(n int) opt {
		return func(t *x509.Certificate) { t.MaxPathLen = n; t.MaxPathLenZero = n == 0 }
	}
	notCA := func(t *x509.Certificate) { t.IsCA = false }
	noBC := func(t *x509.Certificate) { t.BasicConstraintsValid = false; t.IsCA = false }
	kuNoSign := func(t *x509.Certificate) { t.KeyUsage = x509.KeyUsageDigitalSignature }
	expired := func(t *x509.Certificate) { t.NotBefore = t0.Add(-48 * time.Hour); t.NotAfter = t0.Add(-time.Hour) }
	future := func(t *x509.Certificate) { t.NotBefore = t0.Add(time.Hour) }
	ekuOnly := func(u x509.ExtKeyUsage) opt {
		return func(t *x509.Certificate) { t.ExtKeyUsage = []x509.ExtKeyUsage{u} }
	}
	ekuAny := func(t *x509.Certificate) { t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} }
	emptyEKU, _ := asn1.Marshal([]asn1.ObjectIdentifier{})
	unknownOID := asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7}
	permitted := func(dns ...string) opt { return func(t *x509.Certificate) { t.PermittedDNSDomains = dns } }
	excluded := func(dns ...string) opt { return func(t *x509.Certificate) { t.ExcludedDNSDomains = dns } }
	ipRange := func(cidr string) opt {
		return func(t *x509.Certificate) { _, n, _ := net.ParseCIDR(cidr); t.PermittedIPRanges = []*net.IPNet{n} }
	}
	names := func(dns []string, ips ...string) opt {
		return func(t *x509.Certificate) {
			t.DNSNames = dns
			t.IPAddresses = nil
			for _, ip := range ips {
				t.IPAddresses = append(t.IPAddresses, net.ParseIP(ip))
			}
		}
	}

	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	weakInter := issue(rsa1024, root, ca("weak-intermediate"))
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	must(err)
	edRoot := issue(edPriv, nil, ca("ed25519-root"))
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	p384Root := issue(p384, nil, ca("p384-root"))
	// Cross-signing: the new root's key and name, certified by the old root.
	newRootKey := ecKey()
	newRoot := issue(newRootKey, nil, ca("new-root"))
	cross := issue(newRootKey, root, ca("new-root"))
	underNew := leaf(newRoot)
	pl0Root := issue(ecKey(), nil, ca("pathlen0-root"), pathLen(0))
	pl0Inter := issue(ecKey(), pl0Root, ca("pl0-intermediate"))
	pl0Mid := issue(ecKey(), root, ca("pathlen0-intermediate"), pathLen(0))
	pl0Below := issue(ecKey(), pl0Mid, ca("below-pathlen0"))
	pl1Mid := issue(ecKey(), root, ca("pathlen1-intermediate"), pathLen(1))
	pl1Below := issue(ecKey(), pl1Mid, ca("below-pathlen1"))
	ncRoot := issue(ecKey(), nil, ca("nc-root"), permitted("example.com"))
	ncDotRoot := issue(ecKey(), nil, ca("nc-dot-root"), permitted(".example.com"))
	ncExRoot := issue(ecKey(), nil, ca("nc-excluded-root"), excluded("apps.example.com"))
	ncIPRoot := issue(ecKey(), nil, ca("nc-ip-root"), ipRange("10.0.0.0/8"))
	notCAInter := issue(ecKey(), root, ca("not-ca"), notCA)
	noBCInter := issue(ecKey(), root, ca("no-basic-constraints"), noBC)
	kuInter := issue(ecKey(), root, ca("no-cert-sign"), kuNoSign)
	expiredInter := issue(ecKey(), root, ca("expired-intermediate"), expired)
	// An intermediate that ended (or has not begun) while its leaf and the root are valid: the
	// chain is sound at some time, and Go refuses it at this one.
	window := func(from, to time.Duration) opt {
		return func(t *x509.Certificate) { t.NotBefore = t0.Add(from); t.NotAfter = t0.Add(to) }
	}
	endedInter := issue(ecKey(), root, ca("ended-intermediate"), window(-2*365*24*time.Hour, -time.Hour))
	laterInter := issue(ecKey(), root, ca("later-intermediate"), window(time.Hour, 2*365*24*time.Hour))
	expiredRoot := issue(ecKey(), nil, ca("expired-root"), expired)
	critInter := issue(ecKey(), root, ca("critical-intermediate"), ext(unknownOID, true, []byte{5, 0}))
	clientInter := issue(ecKey(), root, ca("client-only-intermediate"), ekuOnly(x509.ExtKeyUsageClientAuth))
	anyInter := issue(ecKey(), root, ca("any-intermediate"), ekuAny)
	serverInter := issue(ecKey(), root, ca("server-only-intermediate"), ekuOnly(x509.ExtKeyUsageServerAuth))
	caLeaf := issue(ecKey(), root, ca("ca-as-leaf"), names([]string{"leaf.example.com"}, "10.0.0.10"))
	noSAN := issue(ecKey(), root, leafOpts, func(t *x509.Certificate) {
		t.DNSNames, t.IPAddresses = nil, nil
		t.Subject.CommonName = "leaf.example.com"
	})
	mapped := leaf(root, func(t *x509.Certificate) { t.IPAddresses = []net.IP{net.ParseIP("::ffff:10.0.0.1").To16()} })
	direct := leaf(root)

	now := t0
	boundary := direct.NotAfter
	scenarios := []scenario{
		{"direct", []*x509.Certificate{direct}, []*x509.Certificate{root.cert}, nil, nil},
		{"direct-bundle", []*x509.Certificate{direct}, []*x509.Certificate{other.cert, root.cert}, nil, nil},
		{"one-intermediate", []*x509.Certificate{leaf(inter), inter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"two-intermediates", []*x509.Certificate{leaf(inter2), inter2.cert, inter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"intermediates-reversed", []*x509.Certificate{leaf(inter2), inter.cert, inter2.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"missing-intermediate", []*x509.Certificate{leaf(inter2), inter2.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"wrong-root", []*x509.Certificate{direct}, []*x509.Certificate{other.cert}, nil, nil},
		{"same-name-other-key", []*x509.Certificate{direct}, []*x509.Certificate{sameName.cert}, nil, nil},
		{"same-name-bundle", []*x509.Certificate{direct}, []*x509.Certificate{sameName.cert, root.cert}, nil, nil},
		{"root-only-as-intermediate", []*x509.Certificate{direct, root.cert}, []*x509.Certificate{other.cert}, nil, nil},
		{"leaf-is-a-root", []*x509.Certificate{direct}, []*x509.Certificate{direct}, nil, nil},
		{"root-as-leaf", []*x509.Certificate{root.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"ca-as-leaf", []*x509.Certificate{caLeaf.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"intermediate-not-ca", []*x509.Certificate{leaf(notCAInter), notCAInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"intermediate-no-basic-constraints", []*x509.Certificate{leaf(noBCInter), noBCInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"intermediate-no-cert-sign", []*x509.Certificate{leaf(kuInter), kuInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"intermediate-expired", []*x509.Certificate{leaf(expiredInter), expiredInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"root-expired", []*x509.Certificate{leaf(expiredRoot)}, []*x509.Certificate{expiredRoot.cert}, nil, nil},
		{"intermediate-ended-leaf-valid", []*x509.Certificate{leaf(endedInter, window(-365*24*time.Hour, 365*24*time.Hour)), endedInter.cert},
			[]*x509.Certificate{root.cert}, nil, []time.Time{now}},
		{"intermediate-not-yet-valid-leaf-valid", []*x509.Certificate{leaf(laterInter, window(-24*time.Hour, 365*24*time.Hour)), laterInter.cert},
			[]*x509.Certificate{root.cert}, nil, []time.Time{now}},
		{"leaf-expired", []*x509.Certificate{leaf(root, expired)}, []*x509.Certificate{root.cert}, nil, nil},
		{"leaf-not-yet-valid", []*x509.Certificate{leaf(root, future)}, []*x509.Certificate{root.cert}, nil, nil},
		{"validity-boundary", []*x509.Certificate{direct}, []*x509.Certificate{root.cert}, nil,
			[]time.Time{boundary, boundary.Add(time.Second), direct.NotBefore, direct.NotBefore.Add(-time.Second)}},
		{"pathlen0-root", []*x509.Certificate{leaf(pl0Inter), pl0Inter.cert}, []*x509.Certificate{pl0Root.cert}, nil, nil},
		{"pathlen0-root-direct", []*x509.Certificate{leaf(pl0Root)}, []*x509.Certificate{pl0Root.cert}, nil, nil},
		{"pathlen0-intermediate", []*x509.Certificate{leaf(pl0Below), pl0Below.cert, pl0Mid.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"pathlen1-intermediate", []*x509.Certificate{leaf(pl1Below), pl1Below.cert, pl1Mid.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"cross-signed-old-root", []*x509.Certificate{underNew, cross.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"cross-signed-new-root", []*x509.Certificate{underNew, cross.cert}, []*x509.Certificate{newRoot.cert}, nil, nil},
		{"cross-signed-both-roots", []*x509.Certificate{underNew, cross.cert}, []*x509.Certificate{root.cert, newRoot.cert}, nil, nil},
		{"client-leaf", []*x509.Certificate{leaf(root, clientLeaf)}, []*x509.Certificate{root.cert}, nil, nil},
		{"both-usages-leaf", []*x509.Certificate{leaf(root, bothLeaf)}, []*x509.Certificate{root.cert}, nil, nil},
		{"no-eku-leaf", []*x509.Certificate{leaf(root, noEKU)}, []*x509.Certificate{root.cert}, nil, nil},
		{"empty-eku-leaf", []*x509.Certificate{leaf(root, noEKU, ext(asn1.ObjectIdentifier{2, 5, 29, 37}, false, emptyEKU))}, []*x509.Certificate{root.cert}, nil, nil},
		{"any-eku-leaf", []*x509.Certificate{leaf(root, ekuAny)}, []*x509.Certificate{root.cert}, nil, nil},
		{"client-only-intermediate", []*x509.Certificate{leaf(clientInter, bothLeaf), clientInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"server-only-intermediate", []*x509.Certificate{leaf(serverInter, bothLeaf), serverInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"any-eku-intermediate", []*x509.Certificate{leaf(anyInter, clientLeaf), anyInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"critical-unknown-leaf", []*x509.Certificate{leaf(root, ext(unknownOID, true, []byte{5, 0}))}, []*x509.Certificate{root.cert}, nil, nil},
		{"noncritical-unknown-leaf", []*x509.Certificate{leaf(root, ext(unknownOID, false, []byte{5, 0}))}, []*x509.Certificate{root.cert}, nil, nil},
		{"critical-unknown-intermediate", []*x509.Certificate{leaf(critInter), critInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"weak-rsa-intermediate", []*x509.Certificate{leaf(weakInter), weakInter.cert}, []*x509.Certificate{root.cert}, nil, nil},
		{"ed25519-root", []*x509.Certificate{leaf(edRoot)}, []*x509.Certificate{edRoot.cert}, nil, nil},
		{"p384-root", []*x509.Certificate{leaf(p384Root)}, []*x509.Certificate{p384Root.cert}, nil, nil},
		{"nc-permitted", []*x509.Certificate{leaf(ncRoot, names([]string{"a.example.com"}))}, []*x509.Certificate{ncRoot.cert}, nil, nil},
		{"nc-not-permitted", []*x509.Certificate{leaf(ncRoot, names([]string{"a.example.org"}))}, []*x509.Certificate{ncRoot.cert}, nil, nil},
		{"nc-exact-domain", []*x509.Certificate{leaf(ncRoot, names([]string{"example.com"}))}, []*x509.Certificate{ncRoot.cert}, nil, nil},
		{"nc-leading-period-exact", []*x509.Certificate{leaf(ncDotRoot, names([]string{"example.com"}))}, []*x509.Certificate{ncDotRoot.cert}, nil, nil},
		{"nc-leading-period-sub", []*x509.Certificate{leaf(ncDotRoot, names([]string{"x.example.com"}))}, []*x509.Certificate{ncDotRoot.cert}, nil, nil},
		{"nc-excluded", []*x509.Certificate{leaf(ncExRoot, names([]string{"x.apps.example.com"}))}, []*x509.Certificate{ncExRoot.cert}, nil, nil},
		{"nc-excluded-other", []*x509.Certificate{leaf(ncExRoot, names([]string{"x.example.com"}))}, []*x509.Certificate{ncExRoot.cert}, nil, nil},
		{"nc-ip-permitted", []*x509.Certificate{leaf(ncIPRoot, names(nil, "10.1.2.3"))}, []*x509.Certificate{ncIPRoot.cert}, nil, nil},
		{"nc-ip-not-permitted", []*x509.Certificate{leaf(ncIPRoot, names(nil, "192.168.0.1"))}, []*x509.Certificate{ncIPRoot.cert}, nil, nil},
		{"hosts", []*x509.Certificate{direct}, []*x509.Certificate{root.cert}, []string{
			"leaf.example.com", "LEAF.example.com", "leaf.example.com.", "x.apps.example.com", "apps.example.com",
			"a.b.apps.example.com", "other.example.com", "10.0.0.10", "[10.0.0.10]", "10.0.0.11", "::1"}, nil},
		{"hosts-no-san", []*x509.Certificate{noSAN.cert}, []*x509.Certificate{root.cert}, []string{"leaf.example.com", "10.0.0.10", "other"}, nil},
		{"hosts-mapped-ipv6", []*x509.Certificate{mapped}, []*x509.Certificate{root.cert}, []string{"10.0.0.1", "::ffff:10.0.0.1", "10.0.0.2"}, nil},
	}
	for _, s := range scenarios {
		chainFile := write(s.name+".chain.pem", s.chain...)
		rootsFile := write(s.name+".roots.pem", s.roots...)
		times := s.times
		if times == nil {
			times = []time.Time{now, now.Add(400 * 24 * time.Hour)}
		}
		hosts := s.hosts
		if hosts == nil {
			hosts = []string{""}
		}
		for i, at := range times {
			purposes := []string{"default", "server", "client"}
			if i > 0 && s.times == nil {
				purposes, hosts = purposes[:1], hosts[:1] // later in time: the default check only
			}
			for _, purpose := range purposes {
				for _, host := range hosts {
					v := verdict(s, purpose, host, at)
					fmt.Printf("%s|%s|%s|%s|%s|%d|%s\n", s.name, chainFile, rootsFile, purpose, host, at.Unix(),
						strings.ReplaceAll(v, "\n", " "))
				}
			}
		}
	}
}

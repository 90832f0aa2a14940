// Generates certificates Go's own parser refuses (or that stretch it), next to the chains they
// belong to, and prints Go's verdict on each as a Go program that reads PEM files gets it: the
// leaf and the intermediates of the chain file through x509.ParseCertificate (the first error
// is the verdict), the roots through CertPool.AppendCertsFromPEM (which skips what it cannot
// parse), then Verify and VerifyHostname. Where x509.CreateCertificate cannot build a case, the
// TBSCertificate it made is edited and signed again. Same output as chaingen.go:
//
//	NAME|CHAIN_FILE|ROOTS_FILE|PURPOSE|HOST|UNIX_TIME|VERDICT
//
// PURPOSE is "default" (the certificate's own, as k8s-verify decides without --purpose).
// Stdlib only.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
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

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "parsegen:", err)
		os.Exit(1)
	}
}

type opt func(*x509.Certificate)

func ecKey() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	return k
}

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
	t.DNSNames = []string{"leaf.example.com"}
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	t.KeyUsage = x509.KeyUsageDigitalSignature
}

func extra(oid asn1.ObjectIdentifier, value []byte) opt {
	return func(t *x509.Certificate) {
		t.ExtraExtensions = append(t.ExtraExtensions, pkix.Extension{Id: oid, Value: value})
	}
}

// issue returns the DER of a certificate for key, signed by parentKey as parentCert (self-signed
// when parentCert is nil); the result may be one Go's parser refuses.
func issue(key crypto.Signer, parentCert *x509.Certificate, parentKey crypto.Signer, opts ...opt) []byte {
	serial++
	t := &x509.Certificate{SerialNumber: big.NewInt(serial), NotBefore: t0.Add(-24 * time.Hour), NotAfter: t0.Add(365 * 24 * time.Hour)}
	for _, o := range opts {
		o(t)
	}
	if parentCert == nil {
		parentCert, parentKey = t, key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parentCert, key.Public(), parentKey)
	must(err)
	return der
}

// edit replaces element i of the TBSCertificate of der (0 version, 1 serial, 2 signature
// algorithm, 3 issuer, 4 validity, 5 subject, 6 public key, 7 extensions) and signs it again
// with signer (ECDSA with SHA-256, the algorithm the certificate names).
func edit(der []byte, i int, element []byte, signer crypto.Signer) []byte {
	var cert struct {
		TBS    asn1.RawValue
		Alg    asn1.RawValue
		Signed asn1.BitString
	}
	_, err := asn1.Unmarshal(der, &cert)
	must(err)
	var items []asn1.RawValue
	for rest := cert.TBS.Bytes; len(rest) > 0; {
		var v asn1.RawValue
		rest, err = asn1.Unmarshal(rest, &v)
		must(err)
		items = append(items, v)
	}
	items[i] = asn1.RawValue{FullBytes: element}
	var body []byte
	for _, v := range items {
		body = append(body, v.FullBytes...)
	}
	tbs, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	must(err)
	h := sha256.Sum256(tbs)
	sig, err := signer.Sign(rand.Reader, h[:], crypto.SHA256)
	must(err)
	cert.TBS = asn1.RawValue{FullBytes: tbs}
	cert.Signed = asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}
	out, err := asn1.Marshal(cert)
	must(err)
	return out
}

// writeKey writes a leaf's key as PKCS #8 PEM, for a server that sends its chain.
func writeKey(name string, key crypto.Signer) {
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	must(err)
	must(os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600))
}

func tlv(tag byte, body []byte) []byte {
	return append(append([]byte{tag}, length(len(body))...), body...)
}

func length(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	case n < 0x10000:
		return []byte{0x82, byte(n >> 8), byte(n)}
	default:
		return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
}

// validity is a Validity of two times given as their text: a GeneralizedTime, or a UTCTime
// when the text starts with U.
func validity(notBefore, notAfter string) []byte {
	time := func(s string) []byte {
		if strings.HasPrefix(s, "U") {
			return tlv(0x17, []byte(s[1:]))
		}
		return tlv(0x18, []byte(s))
	}
	return tlv(0x30, append(time(notBefore), time(notAfter)...))
}

// spki is a SubjectPublicKeyInfo for an EC key on the curve with this OID (a point Go never
// reads: the curve is refused first).
func spki(curve asn1.ObjectIdentifier) []byte {
	point := append([]byte{4}, make([]byte, 64)...)
	point[1] = 1
	out, err := asn1.Marshal(struct {
		Alg struct {
			Algorithm asn1.ObjectIdentifier
			Curve     asn1.ObjectIdentifier
		}
		Key asn1.BitString
	}{struct {
		Algorithm asn1.ObjectIdentifier
		Curve     asn1.ObjectIdentifier
	}{asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, curve}, asn1.BitString{Bytes: point, BitLength: 8 * len(point)}})
	must(err)
	return out
}

func write(name string, ders ...[]byte) string {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	must(err)
	defer f.Close()
	for _, d := range ders {
		must(pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: d}))
	}
	return path
}

// verdict: what a Go program reading the two files decides for the certificate's own purpose.
func verdict(chain, roots [][]byte, host string, at time.Time) string {
	var certs []*x509.Certificate
	for _, d := range chain {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return err.Error()
		}
		certs = append(certs, c)
	}
	pool := x509.NewCertPool()
	for _, d := range roots {
		pool.AppendCertsFromPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d}))
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	usage := x509.ExtKeyUsageClientAuth
	for _, u := range certs[0].ExtKeyUsage {
		if u == x509.ExtKeyUsageServerAuth {
			usage = u
		}
	}
	opts := x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{usage}}
	if _, err := certs[0].Verify(opts); err != nil {
		return err.Error()
	}
	if host != "" {
		if err := certs[0].VerifyHostname(host); err != nil {
			return err.Error()
		}
	}
	return "OK"
}

type scenario struct {
	name         string
	chain, roots [][]byte
	host         string
}

func dnsNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d.example.com", prefix, i)
	}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: parsegen DIR")
		os.Exit(2)
	}
	dir = os.Args[1]
	must(os.MkdirAll(dir, 0o755))

	rootKey := ecKey()
	rootDER := issue(rootKey, nil, nil, ca("root"))
	root, err := x509.ParseCertificate(rootDER)
	must(err)
	leaf := func(opts ...opt) []byte { return issue(ecKey(), root, rootKey, append([]opt{leafOpts}, opts...)...) }
	unknown := asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7}
	aia := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	san := asn1.ObjectIdentifier{2, 5, 29, 17}
	nc := asn1.ObjectIdentifier{2, 5, 29, 30}
	bc := asn1.ObjectIdentifier{2, 5, 29, 19}
	ncCA := func(name string, value []byte) ([]byte, *ecdsa.PrivateKey) {
		k := ecKey()
		return issue(k, root, rootKey, ca(name), extra(nc, value)), k
	}
	emptyNC, _ := ncCA("empty-nc", []byte{0x30, 0x00})
	emptyPermittedNC, _ := ncCA("empty-permitted-nc", []byte{0x30, 0x02, 0xa0, 0x00})
	nullNC, _ := ncCA("null-nc", []byte{0x05, 0x00})
	dupRoot := issue(rootKey, nil, nil, ca("root"), extra(unknown, []byte{5, 0}), extra(unknown, []byte{5, 0}))
	dupBC := issue(rootKey, nil, nil, ca("root"), extra(bc, []byte{0x30, 0x03, 0x01, 0x01, 0xff}), extra(bc, []byte{0x30, 0x03, 0x01, 0x01, 0xff}))
	p192 := edit(leaf(), 6, spki(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 1}), rootKey)
	k1Root := edit(rootDER, 6, spki(asn1.ObjectIdentifier{1, 3, 132, 0, 10}), rootKey)
	fraction := edit(leaf(), 4, validity("20270114080000.5Z", "20280115080000Z"), rootKey)
	noSeconds := edit(leaf(), 4, validity("202701140800Z", "20280115080000Z"), rootKey)
	utcZero := edit(leaf(), 4, validity("U270114080000+0000", "U280115080000Z"), rootKey)
	utcMinutes := edit(leaf(), 4, validity("U2701140800Z", "U280115080000Z"), rootKey)
	ip5, _ := asn1.Marshal([]asn1.RawValue{{Class: 2, Tag: 7, Bytes: []byte{10, 0, 0, 1, 9}}})
	uriBad, _ := asn1.Marshal([]asn1.RawValue{{Class: 2, Tag: 6, Bytes: []byte("https://a..b/x")}})
	dnsUTF8, _ := asn1.Marshal([]asn1.RawValue{{Class: 2, Tag: 2, Bytes: []byte("caf\xc3\xa9.example.com")}})
	// Name constraints that Go's verifier counts: 128 permitted subtrees × 4,000 SANs is
	// 512,000 comparisons, past Go's 250,000.
	budgetKey := ecKey()
	budgetRoot := issue(budgetKey, nil, nil, ca("budget-root"), func(t *x509.Certificate) { t.PermittedDNSDomains = dnsNames("d", 128) })
	budgetRootCert, err := x509.ParseCertificate(budgetRoot)
	must(err)
	under := func(n int, suffix string) opt {
		return func(t *x509.Certificate) {
			t.DNSNames = make([]string, n)
			for i := range t.DNSNames {
				t.DNSNames[i] = fmt.Sprintf("x%d.%s", i, suffix)
			}
		}
	}
	budgetLeaf := issue(ecKey(), budgetRootCert, budgetKey, leafOpts, under(4000, "d127.example.com"))
	// The same, larger, under an intermediate of a root nobody trusts: 2,048 subtrees × 30,000.
	wideKey := ecKey()
	wideDER := issue(wideKey, root, rootKey, ca("wide-intermediate"), func(t *x509.Certificate) { t.PermittedDNSDomains = dnsNames("d", 2048) })
	wide, err := x509.ParseCertificate(wideDER)
	must(err)
	wideLeafKey := ecKey()
	wideLeaf := issue(wideLeafKey, wide, wideKey, leafOpts, under(30000, "d2047.example.com"))
	writeKey("nc-budget-trusted-wide.key", wideLeafKey)
	// Past the budget and small enough for one TLS handshake message (64 KiB in Go and rustls):
	// 600 subtrees × 1,000 SANs. The leaf's key is written for a server to send the chain.
	servedKey := ecKey()
	servedMidDER := issue(servedKey, root, rootKey, ca("served-intermediate"), func(t *x509.Certificate) { t.PermittedDNSDomains = dnsNames("d", 600) })
	servedMid, err := x509.ParseCertificate(servedMidDER)
	must(err)
	servedLeafKey := ecKey()
	servedLeaf := issue(servedLeafKey, servedMid, servedKey, leafOpts, under(1000, "d599.example.com"))
	writeKey("nc-budget-served.key", servedLeafKey)
	strangerKey := ecKey()
	stranger := issue(strangerKey, nil, nil, ca("stranger-root"))
	smallLeaf := issue(ecKey(), budgetRootCert, budgetKey, leafOpts, func(t *x509.Certificate) { t.DNSNames = []string{"a.d5.example.com"} })
	// Malformed e-mail and empty DNS SANs under a name-constrained root.
	emailBad, _ := asn1.Marshal([]asn1.RawValue{{Class: 2, Tag: 1, Bytes: []byte("not-a-mailbox")}})
	dnsEmpty, _ := asn1.Marshal([]asn1.RawValue{{Class: 2, Tag: 2, Bytes: []byte{}}})

	// Basic constraints Go reads leniently (1.19–1.24): a negative pathLen is no constraint, and
	// so is one past 255; an intermediate below such a CA is allowed.
	bcWith := func(name string, body []byte) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		k := ecKey()
		der := issue(k, root, rootKey, ca(name), extra(bc, body))
		c, err := x509.ParseCertificate(der)
		must(err)
		return c, k, der
	}
	below := func(parent *x509.Certificate, parentKey *ecdsa.PrivateKey) [][]byte {
		k := ecKey()
		midDER := issue(k, parent, parentKey, ca("below-"+parent.Subject.CommonName))
		mid, err := x509.ParseCertificate(midDER)
		must(err)
		return [][]byte{issue(ecKey(), mid, k, leafOpts), midDER, parent.Raw}
	}
	negCA, negKey, _ := bcWith("pathlen-negative", []byte{0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0xff})
	bigCA, bigKey, _ := bcWith("pathlen-1000", []byte{0x30, 0x07, 0x01, 0x01, 0xff, 0x02, 0x02, 0x03, 0xe8})
	zeroCA, zeroKey, _ := bcWith("pathlen-zero-trailing", []byte{0x30, 0x09, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00, 0x05, 0x00, 0x00})
	// A root whose key algorithm Go does not know (its PublicKey is nil).
	oddKey := tlv(0x30, append(tlv(0x30, []byte{0x06, 0x03, 0x2a, 0x03, 0x04}), tlv(0x03, []byte{0, 1, 2, 3})...))
	oddRoot := edit(rootDER, 6, oddKey, rootKey)
	bare, _ := asn1.Marshal([]asn1.RawValue{{Class: 2, Tag: 2, Bytes: []byte("*")}})

	ku := asn1.ObjectIdentifier{2, 5, 29, 15}
	aki := asn1.ObjectIdentifier{2, 5, 29, 35}
	crl := asn1.ObjectIdentifier{2, 5, 29, 31}
	policy := asn1.ObjectIdentifier{2, 5, 29, 32}
	// Bodies Go reads from the front, ignoring what follows, and ones it reads deeper than their
	// outer shape.
	kuTrailing := []byte{0x03, 0x02, 0x07, 0x80, 0x05, 0x00}
	akiTrailing := []byte{0x30, 0x06, 0x80, 0x02, 0x01, 0x02, 0x05, 0x00, 0x05, 0x00}
	crlRelative := tlv(0x30, tlv(0x30, tlv(0xa0, tlv(0xa1, tlv(0x31, nil)))))
	crlDNS := tlv(0x30, tlv(0x30, tlv(0xa0, tlv(0xa0, tlv(0x82, []byte("crl.example.com"))))))
	crlNoName := tlv(0x30, tlv(0x30, tlv(0x81, []byte{0x07, 0x80})))
	policyQualifier := tlv(0x30, tlv(0x30, append([]byte{0x06, 0x03, 0x55, 0x1d, 0x20}, 0x05, 0x00)))
	policyNotOID := tlv(0x30, tlv(0x30, []byte{0x02, 0x01, 0x01}))

	// 300 intermediates under one name and one key identifier, only one of them the leaf's
	// issuer: Go tries at most 100 signatures, so the answer depends on where the real one is.
	midKey := ecKey()
	sameID := func(t *x509.Certificate) { t.SubjectKeyId = []byte("same-key-identifier") }
	realMid := issue(midKey, root, rootKey, ca("crowded"), sameID)
	realMidCert, err := x509.ParseCertificate(realMid)
	must(err)
	crowdLeaf := issue(ecKey(), realMidCert, midKey, leafOpts, func(t *x509.Certificate) { t.AuthorityKeyId = []byte("same-key-identifier") })
	var decoys [][]byte
	for i := 0; i < 300; i++ {
		decoys = append(decoys, issue(ecKey(), root, rootKey, ca("crowded"), sameID))
	}
	realFirst := append([][]byte{crowdLeaf, realMid}, decoys...)
	realLast := append(append([][]byte{crowdLeaf}, decoys...), realMid)

	scenarios := []scenario{
		{"many-candidates-real-first", realFirst, [][]byte{rootDER}, ""},
		{"many-candidates-real-last", realLast, [][]byte{rootDER}, ""},
		{"parse-key-usage-trailing-bytes", [][]byte{leaf(extra(ku, kuTrailing))}, [][]byte{rootDER}, ""},
		{"parse-aki-trailing-bytes", [][]byte{leaf(extra(aki, akiTrailing))}, [][]byte{rootDER}, ""},
		{"parse-crl-relative-name", [][]byte{leaf(extra(crl, crlRelative))}, [][]byte{rootDER}, ""},
		{"parse-crl-dns-full-name", [][]byte{leaf(extra(crl, crlDNS))}, [][]byte{rootDER}, ""},
		{"parse-crl-no-name", [][]byte{leaf(extra(crl, crlNoName))}, [][]byte{rootDER}, ""},
		{"parse-policy-with-qualifier", [][]byte{leaf(extra(policy, policyQualifier))}, [][]byte{rootDER}, ""},
		{"parse-policy-not-oid", [][]byte{leaf(extra(policy, policyNotOID))}, [][]byte{rootDER}, ""},
		{"bc-pathlen-negative", below(negCA, negKey), [][]byte{rootDER}, ""},
		{"bc-pathlen-1000", below(bigCA, bigKey), [][]byte{rootDER}, ""},
		{"bc-pathlen-zero-trailing-bytes", below(zeroCA, zeroKey), [][]byte{rootDER}, ""},
		{"root-unknown-key-algorithm", [][]byte{leaf()}, [][]byte{oddRoot}, ""},
		{"root-unknown-key-algorithm-and-real", [][]byte{leaf()}, [][]byte{oddRoot, rootDER}, ""},
		{"san-bare-wildcard", [][]byte{leaf(extra(san, bare))}, [][]byte{rootDER}, "localhost"},
		{"san-bare-wildcard-star", [][]byte{leaf(extra(san, bare))}, [][]byte{rootDER}, "*"},
		{"parse-duplicate-extensions-leaf", [][]byte{leaf(extra(unknown, []byte{5, 0}), extra(unknown, []byte{5, 0}))}, [][]byte{rootDER}, ""},
		{"parse-duplicate-extensions-root", [][]byte{leaf()}, [][]byte{dupRoot}, ""},
		{"parse-duplicate-known-extension", [][]byte{dupBC}, [][]byte{dupBC}, ""},
		{"parse-malformed-aia", [][]byte{leaf(extra(aia, []byte{0x30, 0x03, 0x02, 0x01, 0x01}))}, [][]byte{rootDER}, ""},
		{"parse-aia-method-not-oid", [][]byte{leaf(extra(aia, []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01}))}, [][]byte{rootDER}, ""},
		{"parse-p192-leaf", [][]byte{p192}, [][]byte{rootDER}, ""},
		{"parse-secp256k1-root", [][]byte{leaf()}, [][]byte{k1Root}, ""},
		{"parse-secp256k1-root-alone", [][]byte{k1Root}, [][]byte{k1Root}, ""},
		{"parse-nc-empty", [][]byte{emptyNC}, [][]byte{rootDER}, ""},
		{"parse-nc-empty-permitted", [][]byte{emptyPermittedNC}, [][]byte{rootDER}, ""},
		{"parse-nc-null", [][]byte{nullNC}, [][]byte{rootDER}, ""},
		{"parse-generalized-time-fraction", [][]byte{fraction}, [][]byte{rootDER}, ""},
		{"parse-generalized-time-no-seconds", [][]byte{noSeconds}, [][]byte{rootDER}, ""},
		{"parse-utctime-plus-zero", [][]byte{utcZero}, [][]byte{rootDER}, ""},
		{"parse-utctime-minutes", [][]byte{utcMinutes}, [][]byte{rootDER}, ""},
		{"parse-san-ip-length-5", [][]byte{leaf(extra(san, ip5))}, [][]byte{rootDER}, ""},
		{"parse-san-uri-bad-host", [][]byte{leaf(extra(san, uriBad))}, [][]byte{rootDER}, ""},
		{"parse-san-dns-utf8", [][]byte{leaf(extra(san, dnsUTF8))}, [][]byte{rootDER}, ""},
		{"nc-budget-exceeded", [][]byte{budgetLeaf}, [][]byte{budgetRoot}, ""},
		{"nc-budget-within", [][]byte{smallLeaf}, [][]byte{budgetRoot}, ""},
		{"nc-budget-untrusted", [][]byte{wideLeaf, wideDER}, [][]byte{stranger}, ""},
		{"nc-budget-trusted-wide", [][]byte{wideLeaf, wideDER}, [][]byte{rootDER}, ""},
		{"nc-budget-served", [][]byte{servedLeaf, servedMidDER}, [][]byte{rootDER}, ""},
		{"nc-email-san-malformed", [][]byte{issue(ecKey(), budgetRootCert, budgetKey, leafOpts, extra(san, emailBad))}, [][]byte{budgetRoot}, ""},
		{"nc-dns-san-empty", [][]byte{issue(ecKey(), budgetRootCert, budgetKey, leafOpts, extra(san, dnsEmpty))}, [][]byte{budgetRoot}, ""},
	}
	for _, s := range scenarios {
		chainFile := write(s.name+".chain.pem", s.chain...)
		rootsFile := write(s.name+".roots.pem", s.roots...)
		v := verdict(s.chain, s.roots, s.host, t0)
		fmt.Printf("%s|%s|%s|default|%s|%d|%s\n", s.name, chainFile, rootsFile, s.host, t0.Unix(), strings.ReplaceAll(v, "\n", " "))
	}
}

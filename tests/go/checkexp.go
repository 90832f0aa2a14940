// `kubeadm certs check-expiration` for a kubeadm tree, with Go's standard library only: the
// rows kubeadm lists for a control-plane node (phases/certs/renewal manager.go NewManager: the
// certificates and kubeconfigs with a client certificate, then the CAs, each list sorted by
// name; with -external-etcd certlist.go GetCertsWithoutEtcd's, without the etcd CA and what it
// signs), the text printed through text/tabwriter with kubeadm's settings and
// format strings (cmd/certs.go), and the JSON as cli-runtime's JSONPrinter marshals
// output.kubeadm.k8s.io/v1alpha3 CertificateExpirationInfo (apis/output/v1alpha3/types.go).
// Residual time is worded by the release: ShortHumanDuration up to 1.30, HumanDuration from
// 1.31 (apimachinery pkg/util/duration).
//
// Usage: checkexp -dir DIR -at UNIX-SECONDS -minor 33 [-o json] [-external-etcd]
package main

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

type row struct {
	name, file, caName, caBase string
	kubeconfig                 bool
}

type certificate struct {
	Name              string  `json:"name"`
	ExpirationDate    *string `json:"expirationDate"`
	ResidualTime      int64   `json:"residualTime"`
	ExternallyManaged bool    `json:"externallyManaged"`
	CAName            string  `json:"caName,omitempty"`
	Missing           bool    `json:"missing"`
}

type info struct {
	Kind                   string        `json:"kind,omitempty"`
	APIVersion             string        `json:"apiVersion,omitempty"`
	Certificates           []certificate `json:"certificates"`
	CertificateAuthorities []certificate `json:"certificateAuthorities"`
}

func main() {
	dir := flag.String("dir", "", "the tree")
	at := flag.Int64("at", 0, "now, seconds since the epoch")
	minor := flag.Int("minor", 33, "the kubeadm release's minor version")
	format := flag.String("o", "text", "text or json")
	external := flag.Bool("external-etcd", false, "etcd.external: certlist.go GetCertsWithoutEtcd")
	flag.Parse()
	now := time.Unix(*at, 0)

	certs := []row{
		{"apiserver", "pki/apiserver.crt", "ca", "ca", false},
		{"apiserver-kubelet-client", "pki/apiserver-kubelet-client.crt", "ca", "ca", false},
		{"front-proxy-client", "pki/front-proxy-client.crt", "front-proxy-ca", "front-proxy-ca", false},
		{"etcd-server", "pki/etcd/server.crt", "etcd-ca", "etcd/ca", false},
		{"etcd-peer", "pki/etcd/peer.crt", "etcd-ca", "etcd/ca", false},
		{"etcd-healthcheck-client", "pki/etcd/healthcheck-client.crt", "etcd-ca", "etcd/ca", false},
		{"apiserver-etcd-client", "pki/apiserver-etcd-client.crt", "etcd-ca", "etcd/ca", false},
		{"admin.conf", "admin.conf", "ca", "ca", true},
		{"controller-manager.conf", "controller-manager.conf", "ca", "ca", true},
		{"scheduler.conf", "scheduler.conf", "ca", "ca", true},
	}
	if *minor >= 29 {
		certs = append(certs, row{"super-admin.conf", "super-admin.conf", "ca", "ca", true})
	}
	cas := []row{
		{"ca", "pki/ca.crt", "", "ca", false},
		{"front-proxy-ca", "pki/front-proxy-ca.crt", "", "front-proxy-ca", false},
		{"etcd-ca", "pki/etcd/ca.crt", "", "etcd/ca", false},
	}
	if *external { // GetCertsWithoutEtcd: neither the etcd CA nor anything it signs
		keep := func(rows []row) []row {
			var out []row
			for _, r := range rows {
				if r.caBase != "etcd/ca" {
					out = append(out, r)
				}
			}
			return out
		}
		certs, cas = keep(certs), keep(cas)
	}
	for _, list := range [][]row{certs, cas} {
		sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	}

	out := info{Kind: "CertificateExpirationInfo", APIVersion: "output.kubeadm.k8s.io/v1alpha3"}
	for _, r := range certs {
		out.Certificates = append(out.Certificates, read(*dir, r, now))
	}
	for _, r := range cas {
		out.CertificateAuthorities = append(out.CertificateAuthorities, read(*dir, r, now))
	}
	if *format == "json" {
		data, err := json.MarshalIndent(out, "", "    ")
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(append(data, '\n'))
		return
	}

	words := shortHuman
	if *minor >= 31 {
		words = human
	}
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	expires := func(c certificate) string {
		t, err := time.Parse(time.RFC3339, *c.ExpirationDate)
		if err != nil {
			fail(err)
		}
		return t.Format("Jan 02, 2006 15:04 MST")
	}
	residual := func(c certificate) string { return words(time.Duration(c.ResidualTime) * time.Second) }
	w := tabwriter.NewWriter(os.Stdout, 10, 4, 3, ' ', 0)
	fmt.Fprintln(w, "CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED")
	for _, c := range out.Certificates {
		if c.Missing {
			fmt.Fprintln(w, fmt.Sprintf("!MISSING! %s\t\t\t\t", c.Name))
			continue
		}
		fmt.Fprintln(w, fmt.Sprintf("%s\t%s\t%s\t%s\t%-8v", c.Name, expires(c), residual(c), c.CAName, yesNo(c.ExternallyManaged)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED")
	for _, c := range out.CertificateAuthorities {
		if c.Missing {
			fmt.Fprintln(w, fmt.Sprintf("!MISSING! %s\t\t\t", c.Name))
			continue
		}
		fmt.Fprintln(w, fmt.Sprintf("%s\t%s\t%s\t%-8v", c.Name, expires(c), residual(c), yesNo(c.ExternallyManaged)))
	}
	w.Flush()
}

// read gives a row: the certificate's NotAfter, or missing; externally managed when the
// signing CA's key is absent.
func read(dir string, r row, now time.Time) certificate {
	data, err := os.ReadFile(filepath.Join(dir, r.file))
	if os.IsNotExist(err) {
		return certificate{Name: r.name, Missing: true}
	} else if err != nil {
		fail(err)
	}
	if r.kubeconfig {
		data = clientCertificate(data)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		fail(fmt.Errorf("%s: no PEM certificate", r.file))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		fail(err)
	}
	_, keyErr := os.Stat(filepath.Join(dir, "pki", r.caBase+".key"))
	date := cert.NotAfter.UTC().Format(time.RFC3339)
	return certificate{
		Name:              r.name,
		ExpirationDate:    &date,
		ResidualTime:      int64(cert.NotAfter.Sub(now) / time.Second),
		ExternallyManaged: os.IsNotExist(keyErr),
		CAName:            r.caName,
	}
}

// clientCertificate is a kubeconfig's client-certificate-data, decoded (kubeconfigs written by
// the tools under test hold one user with the field on one line).
func clientCertificate(kubeconfig []byte) []byte {
	for _, line := range strings.Split(string(kubeconfig), "\n") {
		field := strings.TrimSpace(line)
		if strings.HasPrefix(field, "client-certificate-data:") {
			value := strings.TrimPrefix(field, "client-certificate-data:")
			der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
			if err != nil {
				fail(err)
			}
			return der
		}
	}
	fail(fmt.Errorf("no client-certificate-data"))
	return nil
}

// shortHuman words d as ShortHumanDuration does: one unit.
func shortHuman(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s < -1:
		return "<invalid>"
	case s < 0:
		return "0s"
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case int(d.Minutes()) < 60:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case int(d.Hours()) < 24:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case int(d.Hours()) < 24*365:
		return fmt.Sprintf("%dd", int(d.Hours())/24)
	}
	return fmt.Sprintf("%dy", int(d.Hours()/24/365))
}

// human words d as HumanDuration does: a second unit while the first is small.
func human(d time.Duration) string {
	s := int(d.Seconds())
	if s < -1 {
		return "<invalid>"
	} else if s < 0 {
		return "0s"
	} else if s < 120 {
		return fmt.Sprintf("%ds", s)
	}
	two := func(a int, ua string, b int, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s%d%s", a, ua, b, ub)
	}
	m, h := int(d/time.Minute), int(d/time.Hour)
	switch {
	case m < 10:
		return two(m, "m", s%60, "s")
	case m < 180:
		return fmt.Sprintf("%dm", m)
	case h < 8:
		return two(h, "h", m%60, "m")
	case h < 48:
		return fmt.Sprintf("%dh", h)
	case h < 24*8:
		return two(h/24, "d", h%24, "h")
	case h < 24*365*2:
		return fmt.Sprintf("%dd", h/24)
	case h < 24*365*8:
		return two(h/24/365, "y", (h/24)%365, "d")
	}
	return fmt.Sprintf("%dy", h/24/365)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "checkexp:", err)
	os.Exit(2)
}

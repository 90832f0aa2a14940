// Verifies certificates with Go's crypto/x509, the verifier Kubernetes uses, and prints
// Go's own verdict: "OK" or the error string (e.g. "x509: certificate signed by unknown
// authority"). One check per line on stdin:
//
//	CERT_FILE CA_FILE USAGE [HOST...]
//
// USAGE is server, client or any; each HOST is checked with VerifyHostname. Certificates after
// the first in CERT_FILE are intermediates. -at UNIX sets
// the verification time. Prints one verdict line per input line.
package main

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func loadAll(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no CERTIFICATE in %s", path)
	}
	return certs, nil
}

func load(path string) (*x509.Certificate, error) {
	certs, err := loadAll(path)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

func check(fields []string, at time.Time) string {
	if len(fields) < 3 {
		return "usage: CERT CA USAGE [HOST...]"
	}
	chain, err := loadAll(fields[0])
	if err != nil {
		return err.Error()
	}
	leaf := chain[0]
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	ca, err := load(fields[1])
	if err != nil {
		return err.Error()
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	opts := x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: at}
	switch fields[2] {
	case "server":
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	case "client":
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	}
	if _, err := leaf.Verify(opts); err != nil {
		return err.Error()
	}
	for _, host := range fields[3:] {
		if err := leaf.VerifyHostname(host); err != nil {
			return err.Error()
		}
	}
	return "OK"
}

func main() {
	atUnix := flag.Int64("at", 0, "verification time (unix seconds; default now)")
	flag.Parse()
	at := time.Now()
	if *atUnix != 0 {
		at = time.Unix(*atUnix, 0)
	}
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		fmt.Println(check(strings.Fields(line), at))
	}
}

// A stand-in for kube-apiserver's client-certificate authentication, built on Go's
// crypto/tls and crypto/x509 (what kube-apiserver uses): it requires a client certificate
// that chains to -client-ca with ExtKeyUsage clientAuth, and answers kubectl's
// `auth whoami` (SelfSubjectReview) with user = CN and groups = O + system:authenticated.
//
// Usage: apiserver -cert apiserver.crt -key apiserver.key -client-ca ca.crt
// Listens on 127.0.0.1 (a free port), prints the address, exits after -lifetime.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	certFile := flag.String("cert", "", "serving certificate")
	keyFile := flag.String("key", "", "serving key")
	caFile := flag.String("client-ca", "", "CA for client certificates (--client-ca-file)")
	lifetime := flag.Duration("lifetime", 120*time.Second, "exit after this long")
	flag.Parse()

	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		fmt.Fprintln(os.Stderr, "no CA certificate in", *caFile)
		os.Exit(2)
	}
	pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	config := &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(ln.Addr().String())
	go func() {
		time.Sleep(*lifetime)
		os.Exit(0)
	}()

	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		leaf := r.TLS.PeerCertificates[0]
		groups := append(append([]string{}, leaf.Subject.Organization...), "system:authenticated")
		user := map[string]interface{}{"username": leaf.Subject.CommonName, "groups": groups}
		if r.URL.Path == "/apis/authentication.k8s.io/v1/selfsubjectreviews" && r.Method == http.MethodPost {
			json.NewEncoder(w).Encode(map[string]interface{}{
				"kind":       "SelfSubjectReview",
				"apiVersion": "authentication.k8s.io/v1",
				"metadata":   map[string]interface{}{"creationTimestamp": nil},
				"status":     map[string]interface{}{"userInfo": user},
			})
			return
		}
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]interface{}{
			"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
			"message": "the test API server only answers auth whoami",
		})
	}))
}

// A stand-in for kube-apiserver's client-certificate authentication (and, for kubectl
// apply/get, a sliver of the certificates API), built on Go's
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
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// The certificates API, as far as kubectl apply/get need it: discovery, create, get. Objects
// are validated as the API server validates them (the request parses as a PEM CSR whose
// signature verifies, the signer name has a domain and a path, usages are known words,
// expirationSeconds is at least 600).
var (
	store   = map[string]map[string]interface{}{}
	storeMu sync.Mutex
)

var knownUsages = map[string]bool{
	"signing": true, "digital signature": true, "content commitment": true, "key encipherment": true,
	"key agreement": true, "data encipherment": true, "cert sign": true, "crl sign": true, "encipher only": true,
	"decipher only": true, "any": true, "server auth": true, "client auth": true, "code signing": true,
	"email protection": true, "s/mime": true, "ipsec end system": true, "ipsec tunnel": true, "ipsec user": true,
	"timestamping": true, "ocsp signing": true, "microsoft sgc": true, "netscape sgc": true,
}

func validateCSR(obj map[string]interface{}) error {
	if obj["apiVersion"] != "certificates.k8s.io/v1" || obj["kind"] != "CertificateSigningRequest" {
		return fmt.Errorf("not a certificates.k8s.io/v1 CertificateSigningRequest")
	}
	meta, _ := obj["metadata"].(map[string]interface{})
	if name, _ := meta["name"].(string); name == "" {
		return fmt.Errorf("metadata.name: Required value")
	}
	spec, _ := obj["spec"].(map[string]interface{})
	if spec == nil {
		return fmt.Errorf("spec: Required value")
	}
	reqB64, _ := spec["request"].(string)
	raw, err := decodeB64(reqB64)
	if err != nil {
		return fmt.Errorf("spec.request: %v", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return fmt.Errorf("spec.request: Invalid value: PEM block type must be CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return fmt.Errorf("spec.request: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return fmt.Errorf("spec.request: %v", err)
	}
	signer, _ := spec["signerName"].(string)
	if parts := strings.SplitN(signer, "/", 2); len(parts) != 2 || !strings.Contains(parts[0], ".") || parts[1] == "" {
		return fmt.Errorf("spec.signerName: Invalid value: %q", signer)
	}
	usages, _ := spec["usages"].([]interface{})
	for _, u := range usages {
		if s, _ := u.(string); !knownUsages[s] {
			return fmt.Errorf("spec.usages: Unsupported value: %q", u)
		}
	}
	if exp, ok := spec["expirationSeconds"]; ok {
		if f, _ := exp.(float64); f < 600 {
			return fmt.Errorf("spec.expirationSeconds: Invalid value: may not specify a duration less than 600 seconds (10 minutes)")
		}
	}
	return nil
}

func decodeB64(s string) ([]byte, error) {
	var out []byte
	err := json.Unmarshal([]byte(`"`+s+`"`), &out)
	return out, err
}

func discovery(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/api":
		json.NewEncoder(w).Encode(map[string]interface{}{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []interface{}{map[string]string{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}})
	case "/apis":
		group := func(name string) map[string]interface{} {
			v := map[string]string{"groupVersion": name + "/v1", "version": "v1"}
			return map[string]interface{}{"name": name, "versions": []interface{}{v}, "preferredVersion": v}
		}
		json.NewEncoder(w).Encode(map[string]interface{}{"kind": "APIGroupList", "apiVersion": "v1",
			"groups": []interface{}{group("certificates.k8s.io"), group("authentication.k8s.io")}})
	case "/api/v1":
		json.NewEncoder(w).Encode(map[string]interface{}{"kind": "APIResourceList", "groupVersion": "v1", "resources": []interface{}{}})
	case "/apis/certificates.k8s.io/v1":
		json.NewEncoder(w).Encode(map[string]interface{}{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "certificates.k8s.io/v1",
			"resources": []interface{}{map[string]interface{}{"name": "certificatesigningrequests", "singularName": "certificatesigningrequest",
				"namespaced": false, "kind": "CertificateSigningRequest", "shortNames": []string{"csr"},
				"verbs": []string{"create", "delete", "get", "list", "patch", "update", "watch"}}}})
	case "/apis/authentication.k8s.io/v1":
		json.NewEncoder(w).Encode(map[string]interface{}{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "authentication.k8s.io/v1",
			"resources": []interface{}{map[string]interface{}{"name": "selfsubjectreviews", "singularName": "selfsubjectreview",
				"namespaced": false, "kind": "SelfSubjectReview", "verbs": []string{"create"}}}})
	default:
		return false
	}
	return true
}

func notFound(w http.ResponseWriter, msg string) {
	w.WriteHeader(http.StatusNotFound)
	json.NewEncoder(w).Encode(map[string]interface{}{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": msg})
}

func certificatesAPI(w http.ResponseWriter, r *http.Request) bool {
	const base = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
	if !strings.HasPrefix(r.URL.Path, base) {
		return false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, base), "/")
	storeMu.Lock()
	defer storeMu.Unlock()
	switch {
	case r.Method == http.MethodPost && name == "":
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var obj map[string]interface{}
		if err := json.Unmarshal(body, &obj); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]interface{}{"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 400, "message": err.Error()})
			return true
		}
		if err := validateCSR(obj); err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			json.NewEncoder(w).Encode(map[string]interface{}{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Invalid", "code": 422,
				"message": "CertificateSigningRequest is invalid: " + err.Error()})
			return true
		}
		meta := obj["metadata"].(map[string]interface{})
		meta["uid"] = fmt.Sprintf("uid-%d", len(store)+1)
		meta["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
		if r.URL.Query().Get("dryRun") == "" {
			store[meta["name"].(string)] = obj
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(obj)
	case r.Method == http.MethodGet && name != "":
		obj, ok := store[name]
		if !ok {
			notFound(w, fmt.Sprintf("certificatesigningrequests.certificates.k8s.io %q not found", name))
			return true
		}
		json.NewEncoder(w).Encode(obj)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
	return true
}

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
		if discovery(w, r) || certificatesAPI(w, r) {
			return
		}
		if r.URL.Path == "/apis/authentication.k8s.io/v1/selfsubjectreviews" && r.Method == http.MethodPost {
			json.NewEncoder(w).Encode(map[string]interface{}{
				"kind":       "SelfSubjectReview",
				"apiVersion": "authentication.k8s.io/v1",
				"metadata":   map[string]interface{}{"creationTimestamp": nil},
				"status":     map[string]interface{}{"userInfo": user},
			})
			return
		}
		notFound(w, "the test API server answers discovery, auth whoami and certificatesigningrequests only")
	}))
}

// Service-account tokens as Kubernetes signs and checks them, with Go's standard library only:
// a JWT signed with -key (RS256 for RSA, ES256 for P-256) whose header carries the key ID
// kube-controller-manager derives (base64url of the SHA-256 of the PKIX public key,
// keyIDFromPublicKey in pkg/serviceaccount/jwt.go), verified against the keys in -pub as
// kube-apiserver's JWT authenticator does: only the keys whose derived ID equals the token's
// kid are tried (staticPublicKeysGetter.GetPublicKeys), and none is "invalid signature, no
// keys found".
//
// Usage: satoken -key sa.key -pub sa.pub   prints "OK kid=..." or the authenticator's error,
// exit 0 or 1.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"strings"
)

var b64 = base64.RawURLEncoding

func blocks(path string) []*pem.Block {
	data, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	var out []*pem.Block
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		out = append(out, b)
	}
}

func private(path string) crypto.Signer {
	for _, b := range blocks(path) {
		var k any
		var err error
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			fail(err)
		}
		return k.(crypto.Signer)
	}
	fail(fmt.Errorf("no private key in %s", path))
	return nil
}

func keyID(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		fail(err)
	}
	sum := sha256.Sum256(der)
	return b64.EncodeToString(sum[:])
}

func sign(key crypto.Signer) string {
	alg := "RS256"
	if _, ok := key.Public().(*ecdsa.PublicKey); ok {
		alg = "ES256"
	}
	header, _ := json.Marshal(map[string]string{"alg": alg, "kid": keyID(key.Public())})
	claims, _ := json.Marshal(map[string]any{
		"iss": "kubernetes/serviceaccount",
		"sub": "system:serviceaccount:default:rotation",
	})
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		s, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		if err != nil {
			fail(err)
		}
		sig = s
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			fail(errors.New("ES256 needs a P-256 key"))
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			fail(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	default:
		fail(fmt.Errorf("unsupported key %T", key))
	}
	return input + "." + b64.EncodeToString(sig)
}

func verify(token string, keys []any) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWT")
	}
	raw, err := b64.DecodeString(parts[0])
	if err != nil {
		return "", err
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &header); err != nil {
		return "", err
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return "", err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	var candidates []any
	for _, k := range keys {
		if header.Kid == "" || keyID(k) == header.Kid {
			candidates = append(candidates, k)
		}
	}
	if len(candidates) == 0 {
		return header.Kid, errors.New("invalid signature, no keys found")
	}
	for _, k := range candidates {
		switch pk := k.(type) {
		case *rsa.PublicKey:
			if header.Alg == "RS256" && rsa.VerifyPKCS1v15(pk, crypto.SHA256, digest[:], sig) == nil {
				return header.Kid, nil
			}
		case *ecdsa.PublicKey:
			if header.Alg == "ES256" && len(sig) == 64 &&
				ecdsa.Verify(pk, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
				return header.Kid, nil
			}
		}
	}
	return header.Kid, errors.New("square/go-jose: error in cryptographic primitive")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "satoken:", err)
	os.Exit(2)
}

func main() {
	keyPath := flag.String("key", "", "the signing key (sa.key)")
	pubPath := flag.String("pub", "", "the verifying keys (sa.pub)")
	flag.Parse()
	var keys []any
	for _, b := range blocks(*pubPath) {
		if b.Type != "PUBLIC KEY" {
			continue
		}
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			fail(err)
		}
		keys = append(keys, k)
	}
	kid, err := verify(sign(private(*keyPath)), keys)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("OK kid=" + kid)
}

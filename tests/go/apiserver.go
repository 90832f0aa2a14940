// A stand-in for kube-apiserver's client-certificate authentication (and, for kubectl
// apply/get, a sliver of the certificates API), built on Go's
// crypto/tls and crypto/x509 (what kube-apiserver uses): it requires a client certificate
// that chains to -client-ca with ExtKeyUsage clientAuth, and answers kubectl's
// `auth whoami` (SelfSubjectReview) with user = CN and groups = O + system:authenticated.
//
// With -objects FILE (a JSON array of objects, or a List), it also serves those objects as
// kube-apiserver does, for `kubectl get ... -o json`, `kubectl patch` and `kubectl delete`:
// discovery of their resources, lists (all namespaces, one namespace, cluster-scoped), gets,
// patches (merge, JSON and strategic-as-merge) and deletes by name; see objectsAPI.
//
// Usage: apiserver -cert apiserver.crt -key apiserver.key -client-ca ca.crt [-objects objects.json]
// Listens on 127.0.0.1 (a free port), prints the address, exits after -lifetime. A bad -objects
// file is reported on that first line instead of the address ("error: ..."), with exit code 2.
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
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The certificates API, as far as kubectl apply/get need it: discovery, create, get. Objects
// are validated as the API server validates them (the request parses as a PEM CSR whose
// signature verifies, the signer name has a domain and a path, usages are known words,
// expirationSeconds is at least 600). storeMu also guards the -objects store (objects).
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

// A resource the stand-in serves, as its discovery document names it.
type resource struct {
	group, version, name, singular, kind string
	namespaced                           bool
	shortNames, categories, verbs        []string
	fromObjects                          bool // served from -objects (get, list, patch, delete)
}

func (r resource) groupVersion() string {
	if r.group == "" {
		return r.version
	}
	return r.group + "/" + r.version
}

// The names, short names and categories are kube-apiserver's.
var resources = []resource{
	{group: "certificates.k8s.io", version: "v1", name: "certificatesigningrequests", singular: "certificatesigningrequest",
		kind: "CertificateSigningRequest", shortNames: []string{"csr"},
		verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
	{group: "authentication.k8s.io", version: "v1", name: "selfsubjectreviews", singular: "selfsubjectreview",
		kind: "SelfSubjectReview", verbs: []string{"create"}},
	{version: "v1", name: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true,
		shortNames: []string{"cm"}, fromObjects: true},
	{version: "v1", name: "pods", singular: "pod", kind: "Pod", namespaced: true,
		shortNames: []string{"po"}, categories: []string{"all"}, fromObjects: true},
	{version: "v1", name: "secrets", singular: "secret", kind: "Secret", namespaced: true, fromObjects: true},
	{group: "admissionregistration.k8s.io", version: "v1", name: "mutatingwebhookconfigurations",
		singular: "mutatingwebhookconfiguration", kind: "MutatingWebhookConfiguration",
		categories: []string{"api-extensions"}, fromObjects: true},
	{group: "admissionregistration.k8s.io", version: "v1", name: "validatingwebhookconfigurations",
		singular: "validatingwebhookconfiguration", kind: "ValidatingWebhookConfiguration",
		categories: []string{"api-extensions"}, fromObjects: true},
	{group: "apiregistration.k8s.io", version: "v1", name: "apiservices", singular: "apiservice", kind: "APIService",
		categories: []string{"api-extensions"}, fromObjects: true},
	{group: "apiextensions.k8s.io", version: "v1", name: "customresourcedefinitions",
		singular: "customresourcedefinition", kind: "CustomResourceDefinition", shortNames: []string{"crd", "crds"},
		categories: []string{"api-extensions"}, fromObjects: true},
	{group: "certificates.k8s.io", version: "v1beta1", name: "clustertrustbundles", singular: "clustertrustbundle",
		kind: "ClusterTrustBundle", fromObjects: true},
}

// The groups under /apis, in this order, each with its versions (the first is preferred).
var groups = []struct {
	name     string
	versions []string
}{
	{"certificates.k8s.io", []string{"v1", "v1beta1"}},
	{"authentication.k8s.io", []string{"v1"}},
	{"admissionregistration.k8s.io", []string{"v1"}},
	{"apiregistration.k8s.io", []string{"v1"}},
	{"apiextensions.k8s.io", []string{"v1"}},
}

// The APIResourceList of one group version ("v1" is the core group).
func resourceList(groupVersion string) map[string]interface{} {
	list := []interface{}{}
	for _, r := range resources {
		if r.groupVersion() != groupVersion {
			continue
		}
		verbs := r.verbs
		if r.fromObjects {
			verbs = []string{"delete", "get", "list", "patch"}
		}
		entry := map[string]interface{}{"name": r.name, "singularName": r.singular, "namespaced": r.namespaced,
			"kind": r.kind, "verbs": verbs}
		if len(r.shortNames) > 0 {
			entry["shortNames"] = r.shortNames
		}
		if len(r.categories) > 0 {
			entry["categories"] = r.categories
		}
		list = append(list, entry)
	}
	doc := map[string]interface{}{"kind": "APIResourceList", "groupVersion": groupVersion, "resources": list}
	if groupVersion != "v1" {
		doc["apiVersion"] = "v1" // as kube-apiserver: only the named groups' lists carry it
	}
	return doc
}

func discovery(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/api":
		json.NewEncoder(w).Encode(map[string]interface{}{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []interface{}{map[string]string{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}})
		return true
	case "/apis":
		list := []interface{}{}
		for _, g := range groups {
			versions := []interface{}{}
			for _, v := range g.versions {
				versions = append(versions, map[string]string{"groupVersion": g.name + "/" + v, "version": v})
			}
			list = append(list, map[string]interface{}{"name": g.name, "versions": versions, "preferredVersion": versions[0]})
		}
		json.NewEncoder(w).Encode(map[string]interface{}{"kind": "APIGroupList", "apiVersion": "v1", "groups": list})
		return true
	case "/api/v1":
		json.NewEncoder(w).Encode(resourceList("v1"))
		return true
	}
	for _, g := range groups {
		for _, v := range g.versions {
			if r.URL.Path == "/apis/"+g.name+"/"+v {
				json.NewEncoder(w).Encode(resourceList(g.name + "/" + v))
				return true
			}
		}
	}
	return false
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

// The -objects store: per resource (by groupVersion + "/" + name), its objects in the order
// kube-apiserver lists them (etcd's key order: namespace, then name). Guarded by storeMu once
// serving: PATCH replaces an object in place, DELETE takes it out.
var objects = map[string][]map[string]interface{}{}

func metaOf(obj map[string]interface{}) (namespace, name string) {
	meta, _ := obj["metadata"].(map[string]interface{})
	namespace, _ = meta["namespace"].(string)
	name, _ = meta["name"].(string)
	return namespace, name
}

// The namespaces there are (GET /api/v1/namespaces/NS only): kube-apiserver's own four and
// those of the -objects, which stay when their objects are deleted.
var namespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// Loads -objects: a JSON array of objects or a List; each must be of a kind served from them
// (by apiVersion and kind), named, namespaced exactly when its kind is, and unique.
func loadObjects(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var items []map[string]interface{}
	if err := json.Unmarshal(raw, &items); err != nil {
		var list struct {
			Kind  string                   `json:"kind"`
			Items []map[string]interface{} `json:"items"`
		}
		if err2 := json.Unmarshal(raw, &list); err2 != nil || list.Kind != "List" {
			return fmt.Errorf("%s: neither a JSON array of objects nor a List: %v", file, err)
		}
		items = list.Items
	}
	seen := map[string]bool{}
	for i, obj := range items {
		apiVersion, _ := obj["apiVersion"].(string)
		kind, _ := obj["kind"].(string)
		var res *resource
		for j := range resources {
			if r := resources[j]; r.groupVersion() == apiVersion && r.kind == kind && r.fromObjects {
				res = &resources[j]
			}
		}
		if res == nil {
			return fmt.Errorf("%s: item %d: %s %s is not a kind this server lists", file, i, apiVersion, kind)
		}
		namespace, name := metaOf(obj)
		if name == "" {
			return fmt.Errorf("%s: item %d (%s): metadata.name: Required value", file, i, kind)
		}
		if res.namespaced != (namespace != "") {
			return fmt.Errorf("%s: item %d (%s %s): metadata.namespace must be set exactly for namespaced kinds", file, i, kind, name)
		}
		key := res.groupVersion() + "/" + res.name
		id := key + "/" + namespace + "/" + name
		if seen[id] {
			return fmt.Errorf("%s: item %d: %s %s/%s twice", file, i, kind, namespace, name)
		}
		seen[id] = true
		if namespace != "" {
			namespaces[namespace] = true
		}
		objects[key] = append(objects[key], obj)
	}
	for _, list := range objects {
		sort.SliceStable(list, func(a, b int) bool {
			na, ma := metaOf(list[a])
			nb, mb := metaOf(list[b])
			return na < nb || (na == nb && ma < mb)
		})
	}
	return nil
}

// The -objects resources, as kube-apiserver serves them:
//
//	GET /api/v1/{res}                              every namespace's
//	GET /api/v1/namespaces/{ns}/{res}[/{name}]     one namespace's, or one object
//	GET /apis/{g}/{v}/{res}[/{name}]               cluster-scoped (or every namespace's)
//	GET /apis/{g}/{v}/namespaces/{ns}/{res}[/{name}]
//	PATCH, DELETE on the paths of one object       see patchObject, deleteObject
//
// A list is {kind: KindList, apiVersion, metadata: {resourceVersion}, items} with the items
// WITHOUT apiVersion and kind, as the real server sends a built-in kind's list (kubectl puts
// them back); one object comes whole. Selectors and watches are refused, not ignored.
func objectsAPI(w http.ResponseWriter, r *http.Request) bool {
	var groupVersion string
	var rest []string
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api" && parts[1] == "v1":
		groupVersion, rest = "v1", parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		groupVersion, rest = parts[1]+"/"+parts[2], parts[3:]
	default:
		return false
	}
	namespace, inNamespace := "", false
	if len(rest) >= 3 && rest[0] == "namespaces" {
		namespace, inNamespace, rest = rest[1], true, rest[2:]
	}
	if len(rest) < 1 || len(rest) > 2 {
		return false
	}
	// kubectl asks for the namespace of an object it did not find, to tell which is missing.
	if groupVersion == "v1" && len(rest) == 2 && rest[0] == "namespaces" && r.Method == http.MethodGet {
		if !namespaces[rest[1]] {
			notFound(w, fmt.Sprintf("namespaces %q not found", rest[1]))
			return true
		}
		name := rest[1]
		json.NewEncoder(w).Encode(map[string]interface{}{
			"kind":       "Namespace",
			"apiVersion": "v1",
			"metadata":   map[string]interface{}{"name": name, "labels": map[string]string{"kubernetes.io/metadata.name": name}},
			"spec":       map[string]interface{}{"finalizers": []string{"kubernetes"}},
			"status":     map[string]string{"phase": "Active"},
		})
		return true
	}
	var res *resource
	for i := range resources {
		if resources[i].groupVersion() == groupVersion && resources[i].name == rest[0] && resources[i].fromObjects {
			res = &resources[i]
		}
	}
	// A cluster-scoped kind has no namespaced path; a namespaced one is only listed across
	// namespaces, never fetched by name without one.
	if res == nil || (inNamespace && !res.namespaced) || (res.namespaced && !inNamespace && len(rest) == 2) {
		return false
	}
	if r.Method != http.MethodGet && (len(rest) == 1 || (r.Method != http.MethodPatch && r.Method != http.MethodDelete)) {
		failure(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
			"the test API server serves "+res.name+" for get, list, patch and delete only")
		return true
	}
	q := r.URL.Query()
	for _, unsupported := range []string{"labelSelector", "fieldSelector", "watch"} {
		if v := q.Get(unsupported); v != "" && v != "false" {
			failure(w, http.StatusBadRequest, "BadRequest", "the test API server does not support "+unsupported)
			return true
		}
	}
	storeMu.Lock()
	defer storeMu.Unlock()
	key := groupVersion + "/" + res.name
	if len(rest) == 2 {
		at := -1
		for i, obj := range objects[key] {
			if ns, name := metaOf(obj); ns == namespace && name == rest[1] {
				at = i
			}
		}
		switch {
		case at < 0:
			notFound(w, fmt.Sprintf("%s %q not found", res.qualified(), rest[1]))
		case r.Method == http.MethodPatch:
			patchObject(w, r, res, key, at)
		case r.Method == http.MethodDelete:
			deleteObject(w, r, res, key, at)
		default:
			json.NewEncoder(w).Encode(objects[key][at])
		}
		return true
	}
	items := []interface{}{}
	for _, obj := range objects[key] {
		if ns, _ := metaOf(obj); inNamespace && ns != namespace {
			continue
		}
		item := map[string]interface{}{}
		for k, v := range obj {
			if k != "apiVersion" && k != "kind" {
				item[k] = v
			}
		}
		items = append(items, item)
	}
	json.NewEncoder(w).Encode(map[string]interface{}{"kind": res.kind + "List", "apiVersion": groupVersion,
		"metadata": map[string]interface{}{"resourceVersion": strconv.Itoa(resourceVersion)}, "items": items})
	return true
}

// The resource as the API server names it in messages: configmaps, apiservices.apiregistration.k8s.io.
func (r resource) qualified() string {
	if r.group == "" {
		return r.name
	}
	return r.name + "." + r.group
}

// A Status of failure, as kube-apiserver answers errors.
func failure(w http.ResponseWriter, code int, reason, message string) {
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]interface{}{"kind": "Status", "apiVersion": "v1", "metadata": map[string]interface{}{},
		"status": "Failure", "reason": reason, "code": code, "message": message})
}

// The etcd revision of the -objects store: every change (patch, delete) takes the next one,
// which becomes the changed object's metadata.resourceVersion and the lists' resourceVersion.
var resourceVersion = 1

// PATCH of one -objects object, as kube-apiserver's patch handler does it (with storeMu held):
// the patch applies to the stored object's JSON by its Content-Type (a JSON merge patch, RFC
// 7386; a JSON patch, RFC 6902, every operation or none; a strategic merge patch, which for
// these kinds' maps is a merge patch: one holding lists or $-directives, where the two differ,
// is refused rather than applied differently). Then, as the handler and rest.BeforeUpdate do:
// a name, or a namespace, other than the URL's is a bad request; an empty namespace is the
// URL's (a cluster-scoped kind has none); apiVersion and kind left out are the stored ones;
// creationTimestamp and generation stay the stored ones, the uid too (changed, it is invalid);
// a resourceVersion other than the stored one is a conflict. A patch that changes nothing
// answers the stored object as it is (kubectl says "(no change)"); otherwise the object takes
// the next resourceVersion and is stored (not with ?dryRun), and answered whole.
func patchObject(w http.ResponseWriter, r *http.Request, res *resource, key string, at int) {
	old := objects[key][at]
	body, err := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	if err != nil {
		failure(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	var current interface{}
	if err := deepCopy(old, &current); err != nil {
		failure(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	var patched interface{}
	mediaType := strings.TrimSpace(strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0])
	switch mediaType {
	case "application/merge-patch+json", "application/strategic-merge-patch+json":
		var patch interface{}
		if err := json.Unmarshal(body, &patch); err != nil {
			failure(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		if _, ok := patch.(map[string]interface{}); !ok {
			failure(w, http.StatusBadRequest, "BadRequest", "Invalid JSON Patch")
			return
		}
		if mediaType == "application/strategic-merge-patch+json" {
			if what := beyondMergePatch(patch); what != "" {
				failure(w, http.StatusBadRequest, "BadRequest", "the test API server applies a strategic merge patch as a "+
					"JSON merge patch, which differs for "+what+": send --type merge or --type json instead")
				return
			}
		}
		patched = mergePatch(current, patch)
	case "application/json-patch+json":
		var ops []map[string]interface{}
		if err := json.Unmarshal(body, &ops); err != nil {
			failure(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		if patched, err = jsonPatch(current, ops); err != nil {
			failure(w, http.StatusUnprocessableEntity, "Invalid", err.Error())
			return
		}
	default:
		failure(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", fmt.Sprintf("the body of the request was in an "+
			"unknown format %q - accepted media types include: application/json-patch+json, "+
			"application/merge-patch+json, application/strategic-merge-patch+json", mediaType))
		return
	}
	obj, ok := patched.(map[string]interface{})
	if !ok {
		failure(w, http.StatusUnprocessableEntity, "Invalid", "patch: Invalid value: the patched object is not a JSON object")
		return
	}
	for _, field := range []string{"apiVersion", "kind"} {
		if v, ok := obj[field]; !ok || v == nil {
			obj[field] = old[field]
		} else if !reflect.DeepEqual(v, old[field]) {
			failure(w, http.StatusUnprocessableEntity, "Invalid", fmt.Sprintf("patch: Invalid value: %s %v is not %v",
				field, v, old[field]))
			return
		}
	}
	oldNamespace, name := metaOf(old)
	newNamespace, newName := metaOf(obj)
	if newName != name {
		failure(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", newName, name))
		return
	}
	if res.namespaced && newNamespace != "" && newNamespace != oldNamespace {
		failure(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("the namespace of the object (%s) does not match the namespace on the URL (%s)", newNamespace, oldNamespace))
		return
	}
	meta := obj["metadata"].(map[string]interface{}) // it has the name
	oldMeta := old["metadata"].(map[string]interface{})
	if res.namespaced {
		meta["namespace"] = oldNamespace
	} else {
		delete(meta, "namespace")
	}
	invalid := fmt.Sprintf("%s %q is invalid: ", res.kind, name)
	if res.group != "" {
		invalid = fmt.Sprintf("%s.%s %q is invalid: ", res.kind, res.group, name)
	}
	if uid, _ := meta["uid"].(string); uid == "" {
		keep(meta, oldMeta, "uid")
	} else if uid != oldMeta["uid"] {
		failure(w, http.StatusUnprocessableEntity, "Invalid", invalid+fmt.Sprintf("metadata.uid: Invalid value: %q: field is immutable", uid))
		return
	}
	if rv, _ := meta["resourceVersion"].(string); rv != "" && rv != oldMeta["resourceVersion"] {
		failure(w, http.StatusConflict, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: the object has been "+
			"modified; please apply your changes to the latest version and try again", res.qualified(), name))
		return
	}
	for _, field := range []string{"resourceVersion", "creationTimestamp", "generation"} {
		keep(meta, oldMeta, field)
	}
	if reflect.DeepEqual(obj, old) {
		json.NewEncoder(w).Encode(old)
		return
	}
	if r.URL.Query().Get("dryRun") == "" {
		resourceVersion++
		meta["resourceVersion"] = strconv.Itoa(resourceVersion)
		objects[key][at] = obj
	} else {
		meta["resourceVersion"] = strconv.Itoa(resourceVersion + 1)
	}
	json.NewEncoder(w).Encode(obj)
}

// Sets meta[field] to oldMeta's, or leaves it out when oldMeta has none.
func keep(meta, oldMeta map[string]interface{}, field string) {
	if v, ok := oldMeta[field]; ok {
		meta[field] = v
	} else {
		delete(meta, field)
	}
}

// A deep copy of a JSON value (through its encoding: numbers stay float64).
func deepCopy(v interface{}, out *interface{}) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// JSON merge patch (RFC 7386): an object merges key by key, recursively, null deleting the key;
// anything else replaces the target.
func mergePatch(target, patch interface{}) interface{} {
	p, ok := patch.(map[string]interface{})
	if !ok {
		return patch
	}
	t, ok := target.(map[string]interface{})
	if !ok {
		t = map[string]interface{}{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

// Where a strategic merge patch is not a JSON merge patch: lists (merged by key or replaced by
// field, per the kind's schema) and $-directives ($patch, $retainKeys, $setElementOrder/...).
// "" when it is one.
func beyondMergePatch(patch interface{}) string {
	switch p := patch.(type) {
	case []interface{}:
		return "lists"
	case map[string]interface{}:
		for k, v := range p {
			if strings.HasPrefix(k, "$") {
				return "directives like " + k
			}
			if what := beyondMergePatch(v); what != "" {
				return what
			}
		}
	}
	return ""
}

// JSON patch (RFC 6902): add, remove, replace, move, copy and test, in order, on doc (changed
// in place); the first operation that does not apply is the error.
func jsonPatch(doc interface{}, ops []map[string]interface{}) (interface{}, error) {
	for i, op := range ops {
		name, _ := op["op"].(string)
		path, err := pointer(op, "path")
		if err != nil {
			return nil, fmt.Errorf("operation %d (%s): %v", i, name, err)
		}
		value, hasValue := op["value"]
		if !hasValue && (name == "add" || name == "replace" || name == "test") {
			return nil, fmt.Errorf("operation %d (%s %s): no value", i, name, op["path"])
		}
		switch name {
		case "add":
			doc, err = edit(doc, path, func(parent interface{}, last string) (interface{}, error) {
				return addTo(parent, last, value)
			})
		case "remove":
			doc, err = edit(doc, path, removeFrom)
		case "replace":
			doc, err = edit(doc, path, func(parent interface{}, last string) (interface{}, error) {
				if _, err := lookup(parent, []string{last}); err != nil {
					return nil, err
				}
				parent, _ = removeFrom(parent, last)
				return addTo(parent, last, value)
			})
		case "test":
			var got interface{}
			if got, err = lookup(doc, path); err == nil && !reflect.DeepEqual(got, value) {
				err = fmt.Errorf("the value is %s, not %s", jsonText(got), jsonText(value))
			}
		case "move", "copy":
			var from []string
			if from, err = pointer(op, "from"); err != nil {
				break
			}
			if name == "move" && len(from) < len(path) && reflect.DeepEqual(from, path[:len(from)]) {
				err = fmt.Errorf("cannot move a value into itself")
				break
			}
			var moved interface{}
			if moved, err = lookup(doc, from); err != nil {
				break
			}
			if name == "move" {
				doc, err = edit(doc, from, removeFrom)
			} else {
				err = deepCopy(moved, &moved)
			}
			if err == nil {
				doc, err = edit(doc, path, func(parent interface{}, last string) (interface{}, error) {
					return addTo(parent, last, moved)
				})
			}
		default:
			err = fmt.Errorf("unknown operation")
		}
		if err != nil {
			return nil, fmt.Errorf("operation %d (%s %s): %v", i, name, op["path"], err)
		}
	}
	return doc, nil
}

func jsonText(v interface{}) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// A JSON pointer (RFC 6901) in op[field], as its reference tokens: "" is the whole document,
// otherwise "/" before each token, "~1" within one standing for "/" and "~0" for "~".
func pointer(op map[string]interface{}, field string) ([]string, error) {
	p, ok := op[field].(string)
	if !ok {
		return nil, fmt.Errorf("no %s", field)
	}
	if p == "" {
		return []string{}, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%s %q does not start with /", field, p)
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		if strings.Contains(strings.NewReplacer("~0", "", "~1", "").Replace(t), "~") {
			return nil, fmt.Errorf("%s %q: ~ not followed by 0 or 1", field, p)
		}
		tokens[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
	}
	return tokens, nil
}

// An array index token: digits without leading zeros, below n; "-" (past the end) is n when
// the operation may append.
func index(token string, n int, appending bool) (int, error) {
	if token == "-" && appending {
		return n, nil
	}
	i, err := strconv.Atoi(token)
	if err != nil || i < 0 || strings.TrimLeft(token, "0123456789") != "" || (len(token) > 1 && token[0] == '0') {
		return 0, fmt.Errorf("%q is not an array index", token)
	}
	if i > n || (i == n && !appending) {
		return 0, fmt.Errorf("index %d is out of range (%d elements)", i, n)
	}
	return i, nil
}

// The value at tokens in doc.
func lookup(doc interface{}, tokens []string) (interface{}, error) {
	for _, t := range tokens {
		switch d := doc.(type) {
		case map[string]interface{}:
			v, ok := d[t]
			if !ok {
				return nil, fmt.Errorf("no member %q", t)
			}
			doc = v
		case []interface{}:
			i, err := index(t, len(d), false)
			if err != nil {
				return nil, err
			}
			doc = d[i]
		default:
			return nil, fmt.Errorf("%q is inside a value that is neither object nor array", t)
		}
	}
	return doc, nil
}

// doc with the container holding the last of tokens replaced by change(container, last token);
// with no tokens (the whole document), change gets a container of one member "".
func edit(doc interface{}, tokens []string, change func(parent interface{}, last string) (interface{}, error)) (interface{}, error) {
	if len(tokens) == 0 {
		whole, err := change(map[string]interface{}{"": doc}, "")
		if err != nil {
			return nil, err
		}
		v, ok := whole.(map[string]interface{})[""]
		if !ok {
			return nil, fmt.Errorf("cannot remove the whole document")
		}
		return v, nil
	}
	if len(tokens) == 1 {
		return change(doc, tokens[0])
	}
	child, err := lookup(doc, tokens[:1])
	if err != nil {
		return nil, err
	}
	if child, err = edit(child, tokens[1:], change); err != nil {
		return nil, err
	}
	switch d := doc.(type) {
	case map[string]interface{}:
		d[tokens[0]] = child
	case []interface{}:
		i, _ := index(tokens[0], len(d), false)
		d[i] = child
	}
	return doc, nil
}

// add's step: an object's member set, or a value inserted into an array before the index.
func addTo(parent interface{}, last string, value interface{}) (interface{}, error) {
	switch d := parent.(type) {
	case map[string]interface{}:
		d[last] = value
		return d, nil
	case []interface{}:
		i, err := index(last, len(d), true)
		if err != nil {
			return nil, err
		}
		out := append(append(append([]interface{}{}, d[:i]...), value), d[i:]...)
		return out, nil
	}
	return nil, fmt.Errorf("%q is inside a value that is neither object nor array", last)
}

// remove's step: an object's member, or an array's element, that must be there.
func removeFrom(parent interface{}, last string) (interface{}, error) {
	switch d := parent.(type) {
	case map[string]interface{}:
		if _, ok := d[last]; !ok {
			return nil, fmt.Errorf("no member %q", last)
		}
		delete(d, last)
		return d, nil
	case []interface{}:
		i, err := index(last, len(d), false)
		if err != nil {
			return nil, err
		}
		return append(append([]interface{}{}, d[:i]...), d[i+1:]...), nil
	}
	return nil, fmt.Errorf("%q is inside a value that is neither object nor array", last)
}

// DELETE of one -objects object, with storeMu held: gone at once (these objects have no
// finalizers here), answered with a Status Success naming it, as kube-apiserver's registry does
// (details.kind is the resource). DeleteOptions' preconditions (uid, resourceVersion) are
// honored (a mismatch is a conflict); ?dryRun deletes nothing.
func deleteObject(w http.ResponseWriter, r *http.Request, res *resource, key string, at int) {
	old := objects[key][at]
	oldMeta := old["metadata"].(map[string]interface{})
	_, name := metaOf(old)
	var options struct {
		Preconditions struct {
			UID             *string `json:"uid"`
			ResourceVersion *string `json:"resourceVersion"`
		} `json:"preconditions"`
	}
	if body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20)); len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &options); err != nil {
			failure(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
	}
	for field, want := range map[string]*string{"uid": options.Preconditions.UID, "resourceVersion": options.Preconditions.ResourceVersion} {
		if got, _ := oldMeta[field].(string); want != nil && *want != got {
			failure(w, http.StatusConflict, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: Precondition "+
				"failed: %s in precondition: %s, %s in object meta: %s", res.qualified(), name, field, *want, field, got))
			return
		}
	}
	if r.URL.Query().Get("dryRun") == "" {
		list := objects[key]
		objects[key] = append(append([]map[string]interface{}{}, list[:at]...), list[at+1:]...)
		resourceVersion++
	}
	details := map[string]interface{}{"name": name, "kind": res.name}
	if res.group != "" {
		details["group"] = res.group
	}
	if uid, _ := oldMeta["uid"].(string); uid != "" {
		details["uid"] = uid
	}
	json.NewEncoder(w).Encode(map[string]interface{}{"kind": "Status", "apiVersion": "v1", "metadata": map[string]interface{}{},
		"status": "Success", "details": details})
}

func main() {
	certFile := flag.String("cert", "", "serving certificate")
	keyFile := flag.String("key", "", "serving key")
	caFile := flag.String("client-ca", "", "CA for client certificates (--client-ca-file)")
	lifetime := flag.Duration("lifetime", 120*time.Second, "exit after this long")
	objectsFile := flag.String("objects", "", "JSON array (or List) of objects to serve (get, list, patch, delete)")
	flag.Parse()
	if *objectsFile != "" {
		if err := loadObjects(*objectsFile); err != nil {
			// On stdout's first line, where the caller reads the address.
			fmt.Println("error:", err)
			os.Exit(2)
		}
	}

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
		if discovery(w, r) || certificatesAPI(w, r) || objectsAPI(w, r) {
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
		notFound(w, "the test API server answers discovery, auth whoami, certificatesigningrequests and the -objects kinds only")
	}))
}

# k8s-pki: build, test and demo. `make pki` builds a demo cluster PKI and verifies it;
# `make test` runs the whole test suite and `make check` the other checks CI runs. `make pki`
# and `make test` install what they need.

CARGO    ?= cargo
PREFIX   ?= /usr/local
DESTDIR  ?=
OUT      ?= ./cluster
NODE     ?= node-1
NODES    ?= $(NODE)
ADVERTISE_IP ?= 10.0.0.10
# The kubeadm release to follow (1.28 to 1.33); empty: the newest.
K8S_VERSION ?=
# The control-plane endpoint HOST[:PORT] (a load balancer); empty: https://ADVERTISE_IP:6443.
CONTROL_PLANE_ENDPOINT ?=
BINS     := k8s-genkey k8s-csr k8s-sign k8s-kubeconfig k8s-verify k8s-rotate
RELEASE  := target/release

# Every cargo command builds exactly what Cargo.lock says.
LOCKED   := --locked
# System packages the tests use (Debian names): one list, shared with .ci/run.
TEST_PACKAGES := $(shell grep -v '^\#' .ci/debian-packages)
# The Rust release Cargo.toml's rust-version claims; `make msrv` builds with it.
MSRV     := $(shell sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)

.PHONY: all build release renew bench fuzz fresh install uninstall test check test-deps unit e2e lint deps msrv docs docs-check pki clean

all: build

build:
	$(CARGO) build $(LOCKED) --workspace --bins

release:
	$(CARGO) build $(LOCKED) --release --workspace --bins

## pki: build the whole kubeadm-style PKI into $(OUT) with the tools, then verify it
## (K8S_VERSION=1.28 as that kubeadm release wrote it; CONTROL_PLANE_ENDPOINT=lb.example:6443 behind a load balancer;
## FORCE=1 moves a PKI already in $(OUT) aside to $(OUT).bak-TIMESTAMP first)
pki: release
	PATH="$(CURDIR)/$(RELEASE):$$PATH" K8S_VERSION="$(K8S_VERSION)" CONTROL_PLANE_ENDPOINT="$(CONTROL_PLANE_ENDPOINT)" FORCE="$(FORCE)" examples/kubeadm-pki.sh "$(OUT)" "$(NODES)" "$(ADVERTISE_IP)"

## install: the binaries, man pages and completions under $(DESTDIR)$(PREFIX)
## (BIN_SRC=target/debug installs a debug build without rebuilding)
BIN_SRC  ?= $(RELEASE)
BINDIR   := $(DESTDIR)$(PREFIX)/bin
MANDIR   := $(DESTDIR)$(PREFIX)/share/man
BASHDIR  := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR   := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR  := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
install:
	@if [ "$(BIN_SRC)" = "$(RELEASE)" ]; then $(CARGO) build $(LOCKED) --release --workspace --bins; fi
	install -d $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man7 $(BASHDIR) $(ZSHDIR) $(FISHDIR)
	for b in $(BINS); do \
		install -m 0755 $(BIN_SRC)/$$b $(BINDIR)/$$b; \
		install -m 0644 man/$$b.1 $(MANDIR)/man1/$$b.1; \
		install -m 0644 completions/$$b.bash $(BASHDIR)/$$b; \
		install -m 0644 completions/_$$b $(ZSHDIR)/_$$b; \
		install -m 0644 completions/$$b.fish $(FISHDIR)/$$b.fish; \
	done
	install -m 0644 man/k8s-pki.7 $(MANDIR)/man7/k8s-pki.7

uninstall:
	for b in $(BINS); do \
		rm -f $(BINDIR)/$$b $(MANDIR)/man1/$$b.1 $(BASHDIR)/$$b $(ZSHDIR)/_$$b $(FISHDIR)/$$b.fish; \
	done
	rm -f $(MANDIR)/man7/k8s-pki.7

## renew: re-issue every leaf certificate and kubeconfig under PKI=dir (WITHIN=days to renew only those due,
## KEEP_KEYS=1 to keep the keys, KUBELET=1 to renew kubelet.conf too)
renew: release
	@[ -n "$(PKI)" ] || { echo "make renew: name the tree: make renew PKI=/etc/kubernetes (WITHIN=30, KEEP_KEYS=1, KUBELET=1)" >&2; exit 2; }
	PATH="$(CURDIR)/$(RELEASE):$$PATH" examples/renew-pki.sh "$(PKI)" $(if $(WITHIN),--within $(WITHIN)) $(if $(KEEP_KEYS),--keep-keys) $(if $(KUBELET),--kubelet)

## bench: k8s-pki against openssl and cfssl in one run; writes BENCHMARKS.md
bench:
	bench/run.sh

## fuzz: coverage-guided fuzzing of every parser of untrusted bytes (cargo-fuzz, nightly), FUZZ_SECONDS per target,
## FUZZ_JOBS targets at a time (default: one per core)
## (installs cargo-fuzz from crates.io when it is missing; the nightly toolchain must be there)
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?=
fuzz:
	FUZZ_JOBS="$(FUZZ_JOBS)" scripts/fuzz.sh $(FUZZ_SECONDS)

## fresh: the README's commands as a fresh machine runs them: a clean clone of HEAD, an empty
## CARGO_HOME, no target/ (FRESH="pki test" the make targets, or FRESH=ci for .ci/run)
FRESH ?= pki test
fresh:
	scripts/fresh-machine.sh $(FRESH)

## test: the unit and end-to-end tests; the end-to-end tests run the release binaries (the
## build `make pki` makes and users install, overflow checks on)
## (PROPTEST_CASES sets how many cases each parser property test runs)
export PROPTEST_CASES ?= 3000
# Tests run three at a time on two cores: the end-to-end tests spend much of their time waiting on
# etcd, servers and the processes they start (measured: the suite took 301 s with two threads,
# 258 s with three).
export RUST_TEST_THREADS ?= 3
test: test-deps
	$(CARGO) build $(LOCKED) --release --workspace --bins
	@K8S_PKI_TEST_BINS="$(CURDIR)/$(RELEASE)" scripts/test-summary.sh $(CARGO) test $(LOCKED) --workspace --no-fail-fast

## check: what CI checks besides the tests — formatting and clippy, dependency licences, the
## build with the Rust release rust-version claims, man pages and completions up to date
check: lint deps msrv docs-check

test-deps:
	@scripts/install-deps.sh $(TEST_PACKAGES)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(LOCKED) --workspace --all-targets -- -D warnings

## deps: licences and duplicate versions of every dependency built for this platform (see README)
deps:
	$(CARGO) run $(LOCKED) -q -p xtask -- deps

## msrv: the workspace builds with the Rust release rust-version claims
## (with the default toolchain when that is the release; otherwise the toolchain named $(MSRV))
MSRV_TOOLCHAIN = $(shell rustc --version 2>/dev/null | grep -q '^rustc $(MSRV) ' || echo +$(MSRV))
msrv:
	@[ -z "$(MSRV_TOOLCHAIN)" ] || rustup run $(MSRV) rustc --version >/dev/null 2>&1 || { echo "msrv: the Rust $(MSRV) toolchain that rust-version claims is not installed (rustup toolchain install $(MSRV))" >&2; exit 1; }
	$(CARGO) $(MSRV_TOOLCHAIN) check $(LOCKED) --workspace --all-targets

docs:
	$(CARGO) run $(LOCKED) -q -p xtask -- generate

docs-check:
	$(CARGO) run $(LOCKED) -q -p xtask -- check

clean:
	$(CARGO) clean
	rm -rf $(OUT)

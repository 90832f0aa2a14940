# k8s-pki: build, test and demo. `make pki` builds a demo cluster PKI and verifies it;
# `make test` runs every check CI runs. Both install what they need.

CARGO    ?= cargo
PREFIX   ?= /usr/local
DESTDIR  ?=
OUT      ?= ./cluster
NODE     ?= node-1
NODES    ?= $(NODE)
ADVERTISE_IP ?= 10.0.0.10
BINS     := k8s-genkey k8s-csr k8s-sign k8s-kubeconfig k8s-verify
RELEASE  := target/release

# System packages the tests use (Debian names). kubectl comes with the machine image.
TEST_PACKAGES := openssl golang-go etcd-server etcd-client golang-cfssl groff man-db bsdutils python3

.PHONY: all build release renew bench install uninstall test test-deps unit e2e lint docs docs-check pki clean

all: build

build:
	$(CARGO) build --workspace --bins

release:
	$(CARGO) build --release --workspace --bins

## pki: build the whole kubeadm-style PKI into $(OUT) with the tools, then verify it
pki: release
	PATH="$(CURDIR)/$(RELEASE):$$PATH" examples/kubeadm-pki.sh "$(OUT)" "$(NODES)" "$(ADVERTISE_IP)"

## install: the binaries, man pages and completions under $(DESTDIR)$(PREFIX)
## (BIN_SRC=target/debug installs a debug build without rebuilding)
BIN_SRC  ?= $(RELEASE)
BINDIR   := $(DESTDIR)$(PREFIX)/bin
MANDIR   := $(DESTDIR)$(PREFIX)/share/man
BASHDIR  := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR   := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR  := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
install:
	@if [ "$(BIN_SRC)" = "$(RELEASE)" ]; then $(CARGO) build --release --workspace --bins; fi
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

## renew: re-issue every leaf certificate and kubeconfig under PKI=dir (WITHIN=days to renew only those due)
renew: release
	PATH="$(CURDIR)/$(RELEASE):$$PATH" examples/renew-pki.sh "$(PKI)" $(if $(WITHIN),--within $(WITHIN))

## bench: k8s-pki against openssl and cfssl in one run; writes BENCHMARKS.md
bench:
	bench/run.sh

## test: everything CI checks — dependencies, lint, generated docs, unit and end-to-end tests
## (PROPTEST_CASES sets how many cases each parser property test runs)
export PROPTEST_CASES ?= 3000
test: test-deps lint docs-check
	$(CARGO) build --workspace --bins
	@scripts/test-summary.sh $(CARGO) test --workspace

test-deps:
	@scripts/install-deps.sh $(TEST_PACKAGES)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

docs:
	$(CARGO) run -q -p xtask -- generate

docs-check:
	$(CARGO) run -q -p xtask -- check

clean:
	$(CARGO) clean
	rm -rf $(OUT)

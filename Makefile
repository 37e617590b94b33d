# Versions of the Kubernetes binaries ackscale runs per cluster; tools/kube/go.mod pins them.
KUBE_VERSION := v1.34.4
ETCD_VERSION := v3.6.4
BIN := $(CURDIR)/bin
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 \
	-X k8s.io/client-go/pkg/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=34

KUBE_CACHE ?= $(HOME)/.cache/ackscale/kube-$(KUBE_VERSION)-etcd-$(ETCD_VERSION)

.PHONY: build kube kube-cached npm test test-postgres fuzz

build:
	go build -o $(BIN)/ackscale ./cmd/ackscale

# kube builds kube-apiserver, kubectl and etcd from the Go module proxy into bin/.
kube: $(BIN)/kube-apiserver $(BIN)/kubectl $(BIN)/etcd

$(BIN)/kube-apiserver $(BIN)/kubectl: tools/kube/go.mod tools/kube/go.sum
	cd tools/kube && CGO_ENABLED=0 go build -trimpath -ldflags "$(KUBE_LDFLAGS)" -o $(BIN)/$(notdir $@) k8s.io/kubernetes/cmd/$(notdir $@)

$(BIN)/etcd: tools/kube/go.mod tools/kube/go.sum
	cd tools/kube && CGO_ENABLED=0 go build -trimpath -o $(BIN)/etcd go.etcd.io/etcd/server/v3

# kube-cached restores bin/ from a cache folder keyed on the versions, or
# builds and fills it (a cold build takes about 4 minutes on 2 cores).
kube-cached:
	@if [ -x $(KUBE_CACHE)/kube-apiserver ] && [ -x $(KUBE_CACHE)/kubectl ] && [ -x $(KUBE_CACHE)/etcd ]; then \
		mkdir -p $(BIN) && for f in kube-apiserver kubectl etcd; do \
			cmp -s $(KUBE_CACHE)/$$f $(BIN)/$$f || { cp -p $(KUBE_CACHE)/$$f $(BIN)/.$$f.tmp && mv -f $(BIN)/.$$f.tmp $(BIN)/$$f; }; \
		done && echo "kube binaries restored from $(KUBE_CACHE)"; \
	else \
		$(MAKE) kube && mkdir -p $(KUBE_CACHE) && cp -p $(BIN)/kube-apiserver $(BIN)/kubectl $(BIN)/etcd $(KUBE_CACHE)/; \
	fi

# npm installs the pinned npm packages of the end-to-end tests and of the
# TypeScript example.
npm:
	cd e2e/node && npm ci --no-audit --no-fund
	cd examples/ts && npm ci --no-audit --no-fund

# test runs every test; it first gets the Kubernetes binaries and npm packages.
# The harnesses (crash/, replicas/, …) run verbose so their counts are printed.
# Then, when a PostgreSQL is at hand (TEST_DATABASE_URL; always under CI),
# test-postgres runs the end-to-end tests and a short form of the kill -9,
# soak and bad-input suites against it.
HARNESSES := ./crash/... ./leak/... ./soak/... ./hostile/... ./badinput/... ./replicas/...
test: kube-cached npm
	go test -race -count=1 -timeout 30m $$(go list ./... | grep -v -e /crash -e /leak -e /soak -e /hostile -e /badinput -e /replicas)
	go test -count=1 -timeout 20m -v $(HARNESSES)
	@if [ -n "$$TEST_DATABASE_URL" ] || [ "$$CI" = true ]; then $(MAKE) test-postgres; \
	else echo "TEST_DATABASE_URL is not set: the suites' PostgreSQL run is skipped"; fi

# test-postgres runs the suites against PostgreSQL (each server on a schema
# of its own of TEST_DATABASE_URL): e2e in full, the others short.
test-postgres:
	ACKSCALE_TEST_BACKEND=postgres go test -count=1 -timeout 20m ./e2e/...
	ACKSCALE_TEST_BACKEND=postgres ACKSCALE_SOAK=15s go test -count=1 -timeout 20m -short -v ./crash/... ./soak/... ./badinput/...

# fuzz runs each fuzzer briefly (FUZZTIME=1m for a longer run).
FUZZTIME ?= 10s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# parrun — see README.md.
GO       ?= go
BIN      ?= bin/parrun
FUZZTIME ?= 100000x

.PHONY: all build test test-short lint fuzz demo bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/parrun

# The test command CI runs (README): vet, then every test with the race
# detector, the end-to-end scripts included.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

test-short:
	$(GO) test -race -short ./...

lint:
	@out=$$(gofmt -s -l .); if [ -n "$$out" ]; then gofmt -s -d .; exit 1; fi
	$(GO) vet ./...

# Every fuzz target, one after the other, FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Runs parrun on the shipped example job list.
demo: build
	@sh testdata/demo/demo.sh $(BIN)

# parrun against xargs (and GNU parallel when installed) on the same work;
# prints medians and ratios. ROUNDS, WORKLOADS and MODES tune it.
bench: build
	bash bench/bench.sh $(BIN)

clean:
	rm -rf bin

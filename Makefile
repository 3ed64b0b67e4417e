# parrun — see README.md.
GO       ?= go
BIN      ?= bin/parrun
FUZZTIME ?= 100000x
# staticcheck, run from the module proxy (no install step).
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The systems parrun builds for besides this one (README: Platforms).
CROSS    ?= darwin/amd64 darwin/arm64 freebsd/amd64 linux/arm64

.PHONY: all build check test test-full test-short lint cross fuzz demo bench clean man

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/parrun

# testsum runs go test commands and ends with one line: passed, failed,
# skipped and why each skip.
TESTSUM  = $(GO) run ./internal/testsum
# How many end-to-end scripts run at once: they mostly wait on their jobs.
SCRIPT_PARALLEL ?= 4

# The README's test command: vet, the unit tests under the race detector,
# then the end-to-end scripts (mode-independent ones once, the others in
# every mode) without it; a few minutes on two cores.
test:
	$(GO) vet ./...
	$(TESTSUM) $(GO) test -json -race -count=1 -timeout 20m ./internal/... ";" \
		$(GO) test -json -count=1 -timeout 30m -parallel $(SCRIPT_PARALLEL) ./cmd/parrun

# What CI adds to make test: every test, the scripts included, under the
# race detector, and the cross builds.
test-full: cross
	$(TESTSUM) $(GO) test -json -race -count=1 -timeout 60m ./...

# The quick loop: format, vet, staticcheck and the unit tests (-short).
check: lint
	$(TESTSUM) $(GO) test -json -short ./...

test-short:
	$(GO) test -race -short ./...

lint:
	@out=$$(gofmt -s -l .); if [ -n "$$out" ]; then gofmt -s -d .; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Builds and vets for every system in CROSS (a failure fails CI), and
# checks that Windows fails to build with its one clear message.
cross:
	@set -e; for t in $(CROSS); do \
		echo "== GOOS=$${t%/*} GOARCH=$${t#*/}"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/parrun; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./...; \
	done
	@out=$$(GOOS=windows $(GO) build -o /dev/null ./cmd/parrun 2>&1); \
		if echo "$$out" | grep -q 'parrun_needs_a_POSIX_system__Windows_is_not_supported'; then \
			echo "== GOOS=windows: refused, as it should be"; \
		else echo "GOOS=windows: want the one clear build error, got: $$out"; exit 1; fi

# docs/parrun.1, the man page, generated from the command (cobra's doc
# package); TestManPage fails in CI when it is not current.
man:
	$(GO) test ./cmd/parrun -run '^TestManPage$$' -count=1 -args -update-man

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

# Re-records GNU parallel's results for testdata/gnu/cases.txt into
# testdata/gnu/expected, which TestGNUOracle compares parrun with (CI has no
# GNU parallel). The oracle is GNU parallel 20221122, as Debian 12 ships it;
# --csv also needs Text::CSV (libtext-csv-perl).
.PHONY: gnu-oracle
gnu-oracle:
	@v=$$(parallel --will-cite --version 2>/dev/null | sed -n '1s/^GNU parallel //p'); \
	if [ -z "$$v" ]; then \
		echo "gnu-oracle: GNU parallel is not installed; testdata/gnu/expected is unchanged"; \
	elif [ "$$v" != 20221122 ]; then \
		echo "gnu-oracle: GNU parallel $$v is not 20221122, the version the oracle records; testdata/gnu/expected is unchanged"; \
		exit 1; \
	else \
		sh testdata/gnu/record.sh; \
	fi

# internal/gnuargs/gnu_options.go: GNU parallel's option names, read from
# its source, for its abbreviations and "not supported" errors.
.PHONY: gnu-options
gnu-options:
	perl testdata/gnu/options.pl "$$(command -v parallel)" > internal/gnuargs/gnu_options.go.new
	gofmt -l internal/gnuargs/gnu_options.go.new
	mv internal/gnuargs/gnu_options.go.new internal/gnuargs/gnu_options.go

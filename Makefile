# tandem — every command a developer needs. `make help` lists them.
SHELL := /bin/bash
ENV ?= dev
THRIFT_OUT := thrift/gen-nodejs
NODE_RUN := node --enable-source-maps

.PHONY: help develop build server worker config test faults faults-sentinel fleet lint format thrift bench bench-abuse bench-scale bench-overload migrate clean zeus-stub domain

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

develop: ## install dependencies, create config.ts, make sure MariaDB and Redis are up
	@echo "==> Installing the locked dependencies (npm ci)"
	@bash deploy/install-dependencies.sh
	@test -f config.ts || $(MAKE) --no-print-directory config ENV=dev
	@echo "==> Checking MariaDB and Redis, migrating"
	@bash deploy/local-services.sh
	@echo "==> Building"
	@$(MAKE) --no-print-directory build
	@$(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs scripts/print-config.ts http.host http.port thrift.host thrift.port | \
	  { IFS= read -r -d '' hh; IFS= read -r -d '' hp; IFS= read -r -d '' th; IFS= read -r -d '' tp; \
	    echo "Ready: 'make server' serves HTTP on $$hh:$$hp and Thrift on $$th:$$tp; 'make test' runs the suite."; }

# tsc --build compares the sources' times with its record in dist/ and skips an
# unchanged tree (about 0.4 s instead of a full type check); deleting dist/ deletes the record too.
build: ## compile TypeScript to dist/ (only when a source changed since the last build)
	@npx tsc --build tsconfig.build.json
	@mkdir -p dist/$(THRIFT_OUT) && cp $(THRIFT_OUT)/*.js dist/$(THRIFT_OUT)/
	@cp thrift/*.thrift dist/thrift/
	@echo "Built dist/ (tsc --build: only what changed)."

# A refused configuration exits 78 (EX_CONFIG), as `npm start` and systemd see it; make itself can only exit 2
# for a failed command, so the line below says the process's status in words before make's "Error 78".
server: build ## serve HTTP and Thrift (and the scheduler)
	@$(NODE_RUN) dist/src/main.js || { status=$$?; [ $$status -ne 78 ] || echo "tandem refused its configuration (status 78); nothing was started." >&2; exit $$status; }

worker: build ## run the Bull queue workers
	@$(NODE_RUN) dist/src/worker.js || { status=$$?; [ $$status -ne 78 ] || echo "The worker refused its configuration (status 78); nothing was started." >&2; exit $$status; }

config: ## write config.ts for ENV=dev|test|prod from config.example.ts
	@case "$(ENV)" in dev|test|prod) ;; *) echo "ENV must be dev, test or prod, not '$(ENV)'." >&2; exit 2;; esac
	@if [ -f config.ts ]; then cp config.ts config.ts.bak && echo "Kept the previous config.ts as config.ts.bak."; fi
	@sed -E "s/^const env = '[a-z]+' as Env;/const env = '$(ENV)' as Env;/" config.example.ts > config.ts
	@echo "Wrote config.ts for $(ENV); edit it for this machine (it is git-ignored)."
	@if [ "$(ENV)" = prod ]; then echo "Set each value marked CHANGE ME (a start refuses the file until then); 'npm run config -- print' shows what a start would use."; fi

test: ## the whole test suite, against the real MariaDB and Redis
	npx tsc --noEmit -p tsconfig.json
	npx jest --ci

# Starts its own Redis and MariaDB (redis-server, mariadbd) and a real server; about two minutes.
faults: ## the fault suite: Redis and MariaDB stopped, frozen and restarted under load; prints figures per fault
	$(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs test/faults/run.ts

# Its own primary, two replicas and three Sentinels, a failover and a killed primary under load (about 40 s); a goal
# it misses prints MISSED, and only something broken (a lost job, a dead server) fails it. CI runs it after make faults.
faults-sentinel: ## Redis Sentinel: SENTINEL FAILOVER and a killed primary under load; prints figures per fault
	$(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs test/faults/sentinel.ts

# The deploy test (docs/deploy.md), run by .ci/run: npm run deploy against two test hosts (network
# namespaces with their own sshd) over ssh; needs root, and skips saying why without it.
fleet: ## the deploy test: npm run deploy to two test hosts (network namespaces with sshd); needs root
	bash test/fixtures/fleet/install-tools.sh
	npx jest --ci --testPathIgnorePatterns /node_modules/ --runTestsByPath test/fleet/deploy-fleet.test.ts

lint: ## type-check, lint and check formatting
	npx tsc --noEmit -p tsconfig.json
	npx eslint .
	npx prettier --check .

format: ## rewrite files with Prettier
	npx prettier --write .

# The generated code is committed: building needs no Thrift compiler.
# The sed line makes the generated processors pass our own
# TApplicationException(INTERNAL_ERROR) through instead of wrapping every
# undeclared error as UNKNOWN with its raw message (which would leak internals).
# The test-only Probe service (test/fixtures/thrift) is generated the same way;
# it includes tandem.thrift, and its stubs are pointed at thrift/gen-nodejs's
# tandem_types so that both sides share one set of exception classes.
thrift: ## regenerate the Thrift stubs in thrift/gen-nodejs and test/fixtures/thrift/gen-nodejs (needs thrift 0.17+)
	@command -v thrift >/dev/null || { echo "Install the Thrift compiler first: apt-get install thrift-compiler" >&2; exit 1; }
	rm -rf $(THRIFT_OUT) && mkdir -p $(THRIFT_OUT)
	for idl in thrift/*.thrift; do thrift --gen js:node,ts,es6 -out $(THRIFT_OUT) $$idl; done
	rm -rf test/fixtures/thrift/gen-nodejs && mkdir -p test/fixtures/thrift/gen-nodejs
	for idl in test/fixtures/thrift/*.thrift; do thrift --gen js:node,ts,es6 -out test/fixtures/thrift/gen-nodejs $$idl; done
	sed -i -E "s#require\('\./tandem_types'\)#require('../../../../$(THRIFT_OUT)/tandem_types')#" test/fixtures/thrift/gen-nodejs/*.js test/fixtures/thrift/gen-nodejs/*.d.ts
	sed -i -E 's/new Thrift\.TApplicationException\(Thrift\.TApplicationExceptionType\.UNKNOWN, err\.message\)/(err instanceof Thrift.TApplicationException ? err : new Thrift.TApplicationException(Thrift.TApplicationExceptionType.INTERNAL_ERROR, "Internal error"))/g' $(THRIFT_OUT)/*.js test/fixtures/thrift/gen-nodejs/*.js
	@! grep -l 'UNKNOWN, err.message' $(THRIFT_OUT)/*.js test/fixtures/thrift/gen-nodejs/*.js || { echo "The generated-code patch did not apply everywhere." >&2; exit 1; }

bench: build ## benchmarks: the full stack beside bare Express and bare thrift (about 17 min; QUICK=1: about 2 min)
	BENCH_QUICK=$(QUICK) $(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs test/bench/run.ts

# The Thrift port under hostile clients: RSS, open files, CPU per message, a normal client's p99
# during each abuse (about 3 min; docs/operations.md).
bench-abuse: build ## the Thrift port under hostile clients: memory, open files, CPU, a normal client's p99 (about 3 min)
	$(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs test/bench/thrift-abuse.ts

# The logged-in cached read at 3x the capacity it measures first, with admission off (it queues) and on
# (it sheds): admitted p99 against the unloaded one, and how fast refusals are (about 2 min; docs/resilience.md).
bench-overload: build ## overload: admitted p99 and refusal time at 3x capacity, with and without shedding (about 2 min)
	$(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs test/bench/overload.ts

# Refuses a malformed or existing name before writing; puts every file back if a step fails.
domain: ## write a new domain across the layers and wire it: make domain NAME=notes (then make lint && make test)
	@$(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs scripts/make-domain.ts "$(NAME)"

# Builds a database of BENCH_SCALE_ROWS events (default 10,000,000; a few minutes) and one of 10,000, and times the
# lists, the timeline, the stats and the timed jobs on both; drops both at the end (BENCH_SCALE_KEEP=1 keeps them).
bench-scale: ## lists, timeline, stats and timed jobs on 10 M events beside 10,000, with goals (BENCH_SCALE_ROWS=N)
	$(NODE_RUN) --expose-gc -r ./node_modules/tsx/dist/cjs/index.cjs test/bench/scale.ts

migrate: ## apply database migrations (creates the database if missing)
	npm run --silent migrate -- up

# Faults for development: ZEUS_STUB_LATENCY_MS=300, ZEUS_STUB_FAIL=1, ZEUS_STUB_RESET=1, ZEUS_STUB_HANG=1.
zeus-stub: ## serve the stub zeus (fixture orders over Thrift) on thirdparty.zeus's first instance, 127.0.0.1:9190 by default
	$(NODE_RUN) -r ./node_modules/tsx/dist/cjs/index.cjs thirdparty/zeus/stub/main.ts

clean: ## remove build output
	rm -rf dist

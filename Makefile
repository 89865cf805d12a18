# Dakiya: `make run` starts everything, `make test` tests everything. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
DATA_DIR    ?= $(ROOT)/.data
PGDATA      := $(DATA_DIR)/pg
PGSOCK      := $(DATA_DIR)/run
PGPORT      ?= 55432
DB_NAME     ?= dakiya
DATABASE_URL ?= postgresql:///$(DB_NAME)?host=$(PGSOCK)&port=$(PGPORT)&user=postgres
ADMIN_URL   := postgresql:///postgres?host=$(PGSOCK)&port=$(PGPORT)&user=postgres
# The services connect as "dakiya", a member of dakiya_service (migration 0020): no owner rights, and the
# transparency log's rows cannot be updated or deleted by it. Migrations and dakiya-admin use DATABASE_URL.
SERVICE_DATABASE_URL ?= postgresql:///$(DB_NAME)?host=$(PGSOCK)&port=$(PGPORT)&user=dakiya
CONFIG      ?= debug
SMTP_PORT   ?= 8025
SIM_PORT    ?= 8090
SWIFT_FLAGS ?=
EXAMPLES    ?= 25
SEED        ?= 20261127
SCHEMATHESIS_VERSION := 4.32.5

IS_ROOT     := $(shell [ "$$(id -u)" = 0 ] && echo yes)
SUDO        := $(if $(IS_ROOT),,sudo)
# PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user.
AS_PG       := $(if $(IS_ROOT),runuser -u postgres --,)
PG_BIN       = $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

APT_PACKAGES := libpq-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev libqrencode-dev libqpdf-dev pkg-config \
                postgresql postgresql-contrib python3 python3-aiosmtpd python3-yaml python3-venv openssl util-linux curl \
                poppler-utils zbar-tools
# Only for make browser-test: Debian's Chromium and its driver, selenium, and fonts for Devanagari and Telugu.
BROWSER_APT_PACKAGES := chromium chromium-driver python3-selenium fonts-noto-core
AXE_CORE_PYTHON_VERSION := 0.1.0
# Only for make ha-start and make failover-test: Patroni and etcd, from Debian.
HA_APT_PACKAGES := patroni etcd-server etcd-client
HA_DIR      ?= $(DATA_DIR)/ha
# HA=1 (make run HA=1, make migrate HA=1): the database is make ha-start's Patroni cluster, reached with a libpq
# multi-host URL; whichever node is primary takes the writes (Tests/Support/ha_cluster.py holds the ports).
HA_HOSTS    := 127.0.0.1:55441,127.0.0.1:55442
ifeq ($(HA),1)
DATABASE_URL := postgresql://$(HA_HOSTS)/$(DB_NAME)?user=postgres&target_session_attrs=read-write&connect_timeout=3
ADMIN_URL    := postgresql://$(HA_HOSTS)/postgres?user=postgres&target_session_attrs=read-write&connect_timeout=3
SERVICE_DATABASE_URL := postgresql://$(HA_HOSTS)/$(DB_NAME)?user=dakiya&target_session_attrs=read-write&connect_timeout=3
endif
SERVICES     := portal-adapter whatsapp-adapter email-adapter appeals-service dispatcher

.PHONY: help deps ha-deps build db-start db-stop db-reset ha-start ha-stop ha-status instances-test failover-test migrate run admin image-products alert-rules run-stop-test edge-test backup-test docs-check api-key officer-key test schemathesis browser-test bench clean fmt lint settings-reference

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: ## Install the missing system packages (apt) and check the Swift toolchain
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain (swift.org) first"; exit 1; }

build: deps ## Build every target
	swift build -c $(CONFIG) $(SWIFT_FLAGS)

ifeq ($(HA),1)
db-start: ha-start
	@psql "$(ADMIN_URL)" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$(DB_NAME)'" | grep -q 1 \
	  || psql "$(ADMIN_URL)" -qc "CREATE DATABASE $(DB_NAME)" >/dev/null
	@echo "PostgreSQL (Patroni) is up: $(DATABASE_URL)"

db-stop: ha-stop
else
db-start: deps ## Create (once) and start the private PostgreSQL cluster under .data/ (HA=1: make ha-start's cluster)
	@mkdir -p $(DATA_DIR) $(PGSOCK)
	@if [ ! -f $(PGDATA)/PG_VERSION ]; then \
	  mkdir -p $(PGDATA); $(if $(IS_ROOT),chown postgres $(PGDATA) $(PGSOCK);) \
	  $(AS_PG) $(PG_BIN)/initdb -D $(PGDATA) -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null || exit 1; \
	  printf "%s\n" "listen_addresses = ''" "port = $(PGPORT)" "unix_socket_directories = '$(PGSOCK)'" \
	    "max_connections = 400" "shared_buffers = 512MB" "work_mem = 16MB" "max_wal_size = 4GB" \
	    "checkpoint_timeout = 15min" "wal_buffers = 64MB" "autovacuum_naptime = 10s" \
	    "autovacuum_vacuum_cost_limit = 2000" "fsync = on" "synchronous_commit = on" \
	    | $(AS_PG) tee -a $(PGDATA)/postgresql.conf >/dev/null; \
	fi
	@$(if $(IS_ROOT),chown postgres $(PGSOCK);) true
	@if ! $(AS_PG) $(PG_BIN)/pg_ctl -D $(PGDATA) status >/dev/null 2>&1; then \
	  $(AS_PG) $(PG_BIN)/pg_ctl -D $(PGDATA) -l $(PGDATA)/server.log $(if $(PG_OPTIONS),-o "$(PG_OPTIONS)") -w -t 60 start >/dev/null || { cat $(PGDATA)/server.log; exit 1; }; \
	fi
	@psql "$(ADMIN_URL)" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$(DB_NAME)'" | grep -q 1 \
	  || psql "$(ADMIN_URL)" -qc "CREATE DATABASE $(DB_NAME)" >/dev/null
	@echo "PostgreSQL is up: $(DATABASE_URL)"

db-stop: ## Stop the private PostgreSQL cluster
	@if [ -f $(PGDATA)/PG_VERSION ]; then $(AS_PG) $(PG_BIN)/pg_ctl -D $(PGDATA) -m fast -w stop >/dev/null 2>&1 || true; fi
endif

db-reset: db-stop ## Delete the private cluster and its data
	rm -rf $(DATA_DIR)

ha-deps: deps
	@missing=""; for p in $(HA_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; $(SUDO) apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi

ha-start: ha-deps ## A primary and a synchronous standby run by Patroni with etcd, under .data/ha (ASYNC=1: asynchronous); prints the multi-host URLs
	@DAKIYA_PG_BIN='$(PG_BIN)' python3 Tests/Support/ha_cluster.py start $(HA_DIR) $(if $(ASYNC),--async)

ha-stop: ## Stop the Patroni cluster of make ha-start (its data stays under .data/ha)
	@python3 Tests/Support/ha_cluster.py stop $(HA_DIR)

ha-status: ## The Patroni cluster's members, roles and lag
	@python3 Tests/Support/ha_cluster.py status $(HA_DIR)

instances-test: deps ## Two portal-adapters behind one address (nginx) and two dispatchers, then three whatsapp-adapters on one number at 1,000 msg/s; kill -9 of one of each under load: nothing lost, nothing sent twice
	@dpkg-query -W -f='$${Status}' nginx-light 2>/dev/null | grep -q "install ok installed" || { echo "installing: nginx-light"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; }
	@# Release: three whatsapp-adapters at 1,000 msg/s together beside PostgreSQL on a 2-core machine.
	swift build -c release $(SWIFT_FLAGS)
	@$(MAKE) --no-print-directory db-start
	@status=0; DAKIYA_INSTANCES_ADMIN_URL='$(ADMIN_URL)' DAKIYA_BIN=$$(swift build -c release --show-bin-path) \
	  python3 Tests/Support/instances_test.py || status=$$?; \
	$(MAKE) --no-print-directory db-stop; exit $$status

failover-test: ha-deps ## kill -9 of the primary's postmaster during 3,000 outcomes, synchronous then asynchronous standby: what was lost, how long the services waited
	swift build -c $(CONFIG) $(SWIFT_FLAGS)
	DAKIYA_PG_BIN='$(PG_BIN)' DAKIYA_BIN=$$(swift build -c $(CONFIG) --show-bin-path) python3 Tests/Support/failover_test.py

migrate: build db-start ## Apply the database migrations (and make the services' login role, dakiya)
	DAKIYA_DATABASE_URL='$(DATABASE_URL)' swift run -c $(CONFIG) --skip-build dakiya-admin migrate
	@psql "$(ADMIN_URL)" -qc "DO \$$\$$ BEGIN CREATE ROLE dakiya LOGIN IN ROLE dakiya_service; EXCEPTION WHEN duplicate_object THEN NULL; END \$$\$$" >/dev/null

run: ## Install what is missing, start PostgreSQL, a mail sink, the WhatsApp simulator and all five services (Ctrl-C stops them)
	@$(MAKE) --no-print-directory migrate CONFIG=release
	@DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$(swift build -c release --show-bin-path)/dakiya-admin catalogue import --sample
	@DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$(swift build -c release --show-bin-path)/dakiya-admin offices import --sample
	@bin=$$(swift build -c release --show-bin-path); port=8080; pids=(); mkdir -p $(DATA_DIR)/mail/tmp $(DATA_DIR)/mail/new $(DATA_DIR)/mail/cur; \
	trap 'kill -TERM $${pids[@]} 2>/dev/null; wait; $(MAKE) --no-print-directory db-stop; echo stopped; exit 0' INT TERM; \
	: "GNU make passes SIGTERM on to its recipe but not SIGINT: sent to make alone, make resets its SIGINT handler \
	   (SigCgt in /proc) and waits for this shell. The watcher sees that, or make gone, and stops everything"; \
	makepid=$$PPID; catches() { [ -r /proc/$$1/status ] && (( 0x$$(awk '/^SigCgt/ {print $$2}' /proc/$$1/status) & 2 )); }; \
	( watch=$$(catches $$makepid && echo 1); while kill -0 $$makepid 2>/dev/null && { [ -z "$$watch" ] || catches $$makepid; }; do sleep 1; done; \
	  kill -TERM $$$$ 2>/dev/null ) & pids+=($$!); \
	/usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$(SMTP_PORT) -c aiosmtpd.handlers.Mailbox $(DATA_DIR)/mail & pids+=($$!); \
	echo "mail sink (SMTP) on 127.0.0.1:$(SMTP_PORT): messages land in $(DATA_DIR)/mail/new"; \
	DAKIYA_SIM_PORT=$(SIM_PORT) DAKIYA_SIM_WEBHOOK_URL=http://127.0.0.1:8081/webhooks/whatsapp DAKIYA_SIM_READ_DELAY_SECONDS=2 \
	  $$bin/whatsapp-cloud-simulator & pids+=($$!); \
	echo "whatsapp-cloud-simulator (Graph API stand-in) on http://127.0.0.1:$(SIM_PORT)"; \
	for s in $(SERVICES); do \
	  DAKIYA_DATABASE_URL='$(SERVICE_DATABASE_URL)' DAKIYA_HTTP_PORT=$$port \
	  DAKIYA_SMTP_URL=smtp://127.0.0.1:$(SMTP_PORT) DAKIYA_SMTP_TEST_URL=smtp://127.0.0.1:$(SMTP_PORT) DAKIYA_SMTP_TLS=off \
	  DAKIYA_WHATSAPP_GRAPH_URL=http://127.0.0.1:$(SIM_PORT) DAKIYA_WHATSAPP_TEST_GRAPH_URL=http://127.0.0.1:$(SIM_PORT) \
	  $$bin/$$s & pids+=($$!); \
	  echo "$$s listening on http://127.0.0.1:$$port (healthz, readyz, metrics)"; \
	  [ $$s = appeals-service ] && echo "  the officers' appeals desk: http://127.0.0.1:$$port/desk (sign in with a key from make officer-key)" \
	    && echo "  the public dashboard of every office: http://127.0.0.1:$$port/dashboard (Maharashtra; Pune district: /dashboard/D-PUNE)"; \
	  [ $$s = portal-adapter ] && echo "  certificate verification: http://127.0.0.1:$$port/v"; \
	  port=$$((port+1)); \
	done; \
	if [ "$$(psql '$(DATABASE_URL)' -Atc "SELECT count(*) FROM applications WHERE portal_application_id LIKE 'SAMPLE-%'")" = 0 ]; then \
	  DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$bin/dakiya-admin department add REVENUE "Revenue and Forest Department" >/dev/null; \
	  key=$$(DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$bin/dakiya-admin key create --department REVENUE --label sample-activity --kind live --scope citizens | awk '/^secret/ {print $$NF}'); \
	  ( for _ in $$(seq 1 100); do curl -sf http://127.0.0.1:8080/readyz >/dev/null && curl -sf http://127.0.0.1:8083/readyz >/dev/null && break; sleep 0.2; done; \
	    PORTAL=http://127.0.0.1:8080 APPEALS=http://127.0.0.1:8083 KEY=$$key bash docker/sample-activity.sh ) & pids+=($$!); \
	fi; \
	wait

api-key: ## Create department DEMO (if missing) and print a new API key for it (test; KIND=live for a live one), allowed to keep citizens' records (needs `make run` or `make db-start`)
	@swift build -c release --product dakiya-admin >/dev/null
	@DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$(swift build -c release --show-bin-path)/dakiya-admin department add DEMO "Demo Department" >/dev/null
	@DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$(swift build -c release --show-bin-path)/dakiya-admin key create --department DEMO --label demo --kind $(or $(KIND),test) --scope citizens

admin: ## dakiya-admin against the private cluster: make admin ARGS="dead-jobs" (needs `make run` or `make db-start`)
	@swift build -c release --product dakiya-admin >/dev/null
	@DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$(swift build -c release --show-bin-path)/dakiya-admin $(ARGS)

image-products: deps ## The container image's build step on this machine: docker/build-products.sh builds every product into .build/image
	docker/build-products.sh .build/image
	python3 Tests/Support/check_image_libraries.py .build/image

officer-key: ## Print a new officer key: make officer-key ROLE=TAHSILDAR OFFICE=HAVELI NAME="Tahsildar, Haveli" (needs `make run` or `make db-start`)
	@swift build -c release --product dakiya-admin >/dev/null
	@DAKIYA_DATABASE_URL='$(DATABASE_URL)' $$(swift build -c release --show-bin-path)/dakiya-admin officer-key create --role '$(or $(ROLE),TAHSILDAR)' \
	  --office '$(or $(OFFICE),HAVELI)' --name '$(or $(NAME),Demo officer)'

test: deps ## Run every test against the private PostgreSQL (started and stopped here)
	@$(MAKE) --no-print-directory db-start
	@psql "$(ADMIN_URL)" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'dakiya_t%'" \
	  | while read -r db; do psql "$(ADMIN_URL)" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)" >/dev/null; done
	@status=0; \
	DAKIYA_TEST_DATABASE_URL='$(ADMIN_URL)' DAKIYA_TEST_PG_BIN='$(PG_BIN)' swift test --disable-xctest $(SWIFT_FLAGS) || status=$$?; \
	$(MAKE) --no-print-directory db-stop; exit $$status

schemathesis: deps ## Schemathesis (every check, positive and negative cases, EXAMPLES per operation) against both OpenAPI documents
	swift build -c $(CONFIG) $(SWIFT_FLAGS)
	@$(MAKE) --no-print-directory db-start
	@[ -x $(DATA_DIR)/venv/bin/st ] && $(DATA_DIR)/venv/bin/st --version | grep -q '$(SCHEMATHESIS_VERSION)' || { \
	  rm -rf $(DATA_DIR)/venv && /usr/bin/python3 -m venv $(DATA_DIR)/venv \
	  && $(DATA_DIR)/venv/bin/pip install -q schemathesis==$(SCHEMATHESIS_VERSION); }
	@status=0; BIN=$$(swift build -c $(CONFIG) --show-bin-path) ADMIN_URL='$(ADMIN_URL)' VENV='$(DATA_DIR)/venv' EXAMPLES=$(EXAMPLES) SEED=$(SEED) \
	  bash Tests/Schemathesis/run.sh || status=$$?; \
	$(MAKE) --no-print-directory db-stop; exit $$status

run-stop-test: ## make run started and stopped four ways (Ctrl-C, SIGINT or SIGTERM to make, kill of a background job): nothing left running
	python3 Tests/Support/run_stop_test.py

alert-rules: ## The Prometheus alerting rules (docker/prometheus): promtool checks them and fires each on crafted series
	@dpkg-query -W -f='$${Status}' prometheus 2>/dev/null | grep -q "install ok installed" || { echo "installing: prometheus (for promtool)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
	cd docker/prometheus && promtool check rules dakiya-alerts.yaml && promtool test rules dakiya-alerts.test.yaml

browser-test: deps ## The pages people open, in headless Chromium with selenium: screenshots in .build/browser, axe-core accessibility check
	@missing=""; for p in $(BROWSER_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; $(SUDO) apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	swift build -c $(CONFIG) $(SWIFT_FLAGS)
	@$(MAKE) --no-print-directory db-start
	@[ -x $(DATA_DIR)/browser-venv/bin/python ] && $(DATA_DIR)/browser-venv/bin/python -c 'import axe_core_python, selenium' 2>/dev/null || { \
	  rm -rf $(DATA_DIR)/browser-venv && /usr/bin/python3 -m venv --system-site-packages $(DATA_DIR)/browser-venv \
	  && $(DATA_DIR)/browser-venv/bin/pip install -q axe-core-python==$(AXE_CORE_PYTHON_VERSION); }
	@status=0; BIN=$$(swift build -c $(CONFIG) --show-bin-path) ADMIN_URL='$(ADMIN_URL)' VENV='$(DATA_DIR)/browser-venv' OUT='$(CURDIR)/.build/browser' \
	  bash Tests/Browser/run.sh || status=$$?; \
	$(MAKE) --no-print-directory db-stop; exit $$status

edge-test: deps ## The TLS edge (docker/nginx/dakiya.conf) in Debian's nginx in front of the services: public paths over HTTPS, internal ones unreachable, rate limit, client address
	@dpkg-query -W -f='$${Status}' nginx-light 2>/dev/null | grep -q "install ok installed" || { echo "installing: nginx-light"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; }
	swift build -c $(CONFIG) $(SWIFT_FLAGS)
	@$(MAKE) --no-print-directory db-start
	@status=0; DAKIYA_EDGE_DATABASE_ADMIN_URL='$(ADMIN_URL)' DAKIYA_BIN=$$(swift build -c $(CONFIG) --show-bin-path) \
	  python3 Tests/Support/edge_test.py || status=$$?; \
	$(MAKE) --no-print-directory db-stop; exit $$status

docs-check: ## The callback-signature samples of docs/integration.md (Python and Node.js), run against real signatures; docs/scale.md's references to the code
	@dpkg-query -W -f='$${Status}' nodejs 2>/dev/null | grep -q "install ok installed" || { echo "installing: nodejs"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nodejs >/dev/null; }
	python3 Tests/Support/check_doc_samples.py
	python3 Tests/Support/check_scale_doc.py

backup-test: deps ## Backup and restore as docs/operations.md says: pg_dump of a live system, restored into a fresh cluster, every row there, the services resume from it
	swift build -c $(CONFIG) $(SWIFT_FLAGS)
	@$(MAKE) --no-print-directory db-start
	@status=0; DAKIYA_BACKUP_ADMIN_URL='$(ADMIN_URL)' DAKIYA_BIN=$$(swift build -c $(CONFIG) --show-bin-path) DAKIYA_PG_BIN='$(PG_BIN)' \
	  python3 Tests/Support/backup_test.py || status=$$?; \
	$(MAKE) --no-print-directory db-stop; exit $$status

bench: deps ## Benchmark against same-run pgbench ceilings on the private cluster (figures, not pass/fail)
	swift build -c release $(SWIFT_FLAGS)
	@# The cluster restarted with pg_stat_statements: the WhatsApp run counts PostgreSQL's statements per message.
	@$(MAKE) --no-print-directory db-stop
	@$(MAKE) --no-print-directory db-start PG_OPTIONS='-c shared_preload_libraries=pg_stat_statements'
	@status=0; \
	DAKIYA_BENCH_DATABASE_URL='$(ADMIN_URL)' DAKIYA_BENCH_PGBENCH='$(PG_BIN)/pgbench' \
	  $$(swift build -c release --show-bin-path)/dakiya-bench || status=$$?; \
	$(MAKE) --no-print-directory db-stop; exit $$status

settings-reference: ## Regenerate docs/settings.md from the settings the code reads (descriptions kept; make lint checks it)
	python3 Tests/Support/settings_reference.py

fmt: ## Format the Swift sources (swift-format from the toolchain)
	swift format --in-place --recursive Package.swift Shared Services Tests

lint: ## Lint the Swift sources (.swift-format: 120 columns, 4 spaces); any finding fails
	swift format lint --strict --recursive Package.swift Shared Services Tests
	@# Every cross-module declaration of Shared/ has a /// comment, and a - Throws: where it throws.
	python3 Tests/Support/check_docs.py
	@# The container image builds every executable product (docker/build-products.sh, run by the Dockerfile).
	python3 Tests/Support/check_image.py
	@# The alerting rules and the Grafana dashboard name only metrics the services export.
	python3 Tests/Support/check_ops.py
	python3 Tests/Support/settings_reference.py --check
	python3 Tests/Support/check_compose.py
	@# One owner per table that carries a contract: channel_attempts is written only by Delivery/ChannelAttempts.swift.
	@if grep -rnE "(UPDATE|INSERT INTO|DELETE FROM) channel_attempts" Shared Services --include=*.swift \
		| grep -v '^Shared/Delivery/ChannelAttempts.swift:'; then \
		echo "lint: channel_attempts is written outside Shared/Delivery/ChannelAttempts.swift (add a transition there)"; \
		exit 1; fi

clean: ## Remove build output (keeps the database)
	rm -rf .build

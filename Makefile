# The commands DefiFundr engineers type. Everything runs against
# DATABASE_URL (default: the throwaway local database of scripts/pg.sh).
BIN := build/server/defifundr-data
DATABASE_URL ?= $(shell scripts/pg.sh url)
export DATABASE_URL

.PHONY: run test build bin deps db-start db-stop db-wipe migrate-up migrate-up-one \
        migrate-down migrate-down-one migrate-reset migrate-status seed vet \
        migrate-redo migrate-version migrate-create migrate-fix \
        migrate-validate db_schema db_docs

run:            ## Install, build, start PostgreSQL, migrate, seed, serve
	scripts/run.sh

test:           ## Install, build, start PostgreSQL, run every test
	scripts/test.sh

deps:
	scripts/deps.sh

build: deps
	scripts/build.sh

# The executable alone: what the migrate, seed and vet targets run. It reads
# db/migrations at run time, so a new or edited migration relinks nothing.
bin: deps
	scripts/build.sh --target defifundr-data

db-start:
	scripts/pg.sh start

db-stop:
	scripts/pg.sh stop

db-wipe:
	scripts/pg.sh wipe

# Migrations: Goose's commands on the files of MIGRATIONS_DIR (so a new file
# needs no rebuild). VERSION=v turns migrate-up into up-to v and
# migrate-down into down-to v.
MIGRATIONS_DIR ?= db/migrations
MIGRATE = $(BIN) migrate --migrations_dir=$(MIGRATIONS_DIR)

migrate-up: bin db-start  ## Apply every pending migration (VERSION=v: up to v)
	$(MIGRATE) $(if $(VERSION),up-to $(VERSION),up)

migrate-up-one: bin db-start  ## Apply the next pending migration
	$(MIGRATE) up-by-one

migrate-down: bin db-start  ## Roll back the newest migration (VERSION=v: down to v)
	$(MIGRATE) $(if $(VERSION),down-to $(VERSION),down)

migrate-down-one: bin db-start  ## Roll back the newest migration
	$(MIGRATE) down

migrate-redo: bin db-start  ## Roll back and re-apply the newest migration
	$(MIGRATE) redo

migrate-reset: bin db-start  ## Roll back every migration
	$(MIGRATE) reset

migrate-status: bin db-start  ## Applied time or Pending, per file
	$(MIGRATE) status

migrate-version: bin db-start  ## The newest applied version
	$(MIGRATE) version

migrate-create: bin  ## New timestamped file: make migrate-create name=add_wallets
	@name='$(name)'; \
	if [ -z "$$name" ]; then read -p "Enter migration name: " name; fi; \
	$(MIGRATE) create "$$name" sql

migrate-fix: bin  ## Renumber timestamped files sequentially (goose fix)
	$(MIGRATE) fix

migrate-validate: bin  ## Parse every file; name file and line of each problem
	$(MIGRATE) validate

# Sample data; SEED_ARGS passes flags, e.g.
#   make seed SEED_ARGS="--size=large"
#   make seed SEED_ARGS="--tables=users,transactions --tx_days=90 --seed=7"
seed: bin db-start  ## Load deterministic sample data
	$(BIN) seed $(SEED_ARGS)

# Schema documentation from the live database (run make migrate-up first).
db_schema: db-start  ## pg_dump --schema-only into docs/schema.sql
	scripts/db_docs.sh schema

db_docs: db-start  ## docs/schema.sql, then DBML (npm @dbml/cli) into docs/db_diagram/db.dbml
	scripts/db_docs.sh

vet: bin db-start
	$(BIN) vet

# Client library, Go stubs and reflection (see README: "Client library",
# "Debugging with grpcurl"). PREFIX: where client-install installs.
PREFIX ?= /usr/local
.PHONY: proto-go client-install client-example reflection-test

proto-go: deps  ## Generate Go stubs into build/proto-go and check they compile
	scripts/proto_go.sh

client-install: build  ## Install the C++ client package under $(PREFIX)
	cmake --install build --prefix $(PREFIX)

client-example: build db-start  ## Build client/examples against the installed package; run it
	scripts/client_example.sh

reflection-test: build db-start  ## A non-C++ reflection client runs the README's grpcurl examples
	scripts/reflection_test.sh

.PHONY: deploy-check
deploy-check: deps  ## Render deploy/k8s with kustomize; validate it against the Kubernetes schemas
	scripts/deploy_check.sh

.PHONY: bench
bench: build  ## This service next to pgbench and the Go/pgx peer: one table
	scripts/bench.sh

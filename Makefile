# The commands DefiFundr engineers type. Everything runs against
# DATABASE_URL (default: the throwaway local database of scripts/pg.sh).
BIN := build/server/defifundr-data
DATABASE_URL ?= $(shell scripts/pg.sh url)
export DATABASE_URL

.PHONY: run test build deps db-start db-stop db-wipe migrate-up migrate-up-one \
        migrate-down migrate-down-one migrate-reset migrate-status seed vet

run:            ## Install, build, start PostgreSQL, migrate, seed, serve
	scripts/run.sh

test:           ## Install, build, start PostgreSQL, run every test
	scripts/test.sh

deps:
	scripts/deps.sh

build: deps
	scripts/build.sh

db-start:
	scripts/pg.sh start

db-stop:
	scripts/pg.sh stop

db-wipe:
	scripts/pg.sh wipe

migrate-up: build db-start
	$(BIN) migrate up

migrate-up-one: build db-start
	$(BIN) migrate up-by-one

migrate-down: build db-start
	$(BIN) migrate down

migrate-down-one: build db-start
	$(BIN) migrate down

migrate-reset: build db-start
	$(BIN) migrate reset

migrate-status: build db-start
	$(BIN) migrate status

seed: build db-start
	$(BIN) seed

vet: build db-start
	$(BIN) vet

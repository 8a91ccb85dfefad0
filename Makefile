# Chorus: `make run` serves a private installation under .data/; `make test` runs the whole suite against
# throwaway servers. Both install what they need first.

SWIFT ?= swift
PG_PORT ?= 54329
REDIS_PORT ?= 63799
HTTP_PORT ?= 8080
DATA := .data

.PHONY: run test deps build services stop-services bench clean

deps:
	@bash scripts/deps.sh

build: deps
	$(SWIFT) build --product chorus

services: deps
	@bash scripts/services.sh start $(DATA) $(PG_PORT) $(REDIS_PORT)

stop-services:
	@bash scripts/services.sh stop $(DATA)

run: build services
	@bash scripts/run.sh $(DATA) $(HTTP_PORT)

test: deps
	@bash scripts/test.sh

bench: deps
	@bash scripts/deps.sh --bench
	@bash scripts/bench.sh

clean: stop-services
	rm -rf .build $(DATA)

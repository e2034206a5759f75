# The two commands: `make demo` (all pipelines locally on sample data) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv/bin
LOCAL_ENV := eval "$$($(VENV)/python -m include.local.env)"

.PHONY: help setup demo test test-fast lint format services-up services-down services-status airflow airflow-down \
	land bench dist deploy rollback synth lock clean

help:
	@echo "make demo           run every pipeline locally on sample data and print a summary"
	@echo "make test           lint + the whole test suite (starts and stops the local servers)"
	@echo "make setup          .venv, Spark jars, local Airflow db (idempotent, cached)"
	@echo "make services-up    start the local servers, write .local/services.env"
	@echo "make services-down  stop them"
	@echo "make airflow        the local servers + Airflow (api-server, scheduler, DAG processor, triggerer) on PostgreSQL"
	@echo "make airflow-down   stop what make airflow started"
	@echo "make land PIPELINE=car_telemetry   land sample input for a pipeline into the local servers, now"
	@echo "make bench          run the benchmarks in benchmarks/"
	@echo "make dist           build the deployable artifacts in dist/ (plugins.zip, Glue scripts + zip)"
	@echo "make deploy ENV=dev       build dist/ and ship it to the MWAA environment dataplatform-dev"
	@echo "make rollback ENV=dev [TO=version]   back to the previous (or the named) deployed version"
	@echo "make synth ENV=dev        synthesise the CDK stack dataplatform-dev into dist/cdk.out (offline)"

setup:
	@bash include/local/setup.sh

services-up: setup
	@$(VENV)/python -m include.local.services up

services-down:
	@if [ -x $(VENV)/python ]; then $(VENV)/python -m include.local.services down; else echo "nothing to stop"; fi

services-status: setup
	@$(VENV)/python -m include.local.services status

airflow: setup
	@$(VENV)/python -m include.local.airflow up

airflow-down:
	@if [ -x $(VENV)/python ]; then $(VENV)/python -m include.local.airflow down; else echo "nothing to stop"; fi

land: setup
	@$(LOCAL_ENV) && $(VENV)/python -m include.local.land $(PIPELINE)

demo: setup
	@$(VENV)/python -m include.demo

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format: setup
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

test: lint
	$(VENV)/python -m include.run_tests

test-fast: setup
	$(VENV)/python -m pytest -m "not slow"

bench: setup
	$(VENV)/python benchmarks/dag_parse.py
	$(VENV)/python benchmarks/services_start.py
	$(VENV)/python benchmarks/car_telemetry.py
	$(VENV)/python benchmarks/credit_features.py
	$(VENV)/python benchmarks/mongo_extract.py
	$(VENV)/python benchmarks/crypto_ml.py
	$(VENV)/python benchmarks/receivables.py --events 20000 --seconds 10

dist: setup
	$(VENV)/python -m include.dist $(if $(VERSION),--version $(VERSION))

deploy: dist
	@test -n "$(ENV)" || { echo "make deploy ENV=<env> (dev, prod, ...)"; exit 2; }
	$(VENV)/python -m include.deploy deploy --env $(ENV)

rollback: setup
	@test -n "$(ENV)" || { echo "make rollback ENV=<env> [TO=<version>]"; exit 2; }
	$(VENV)/python -m include.deploy rollback --env $(ENV) $(if $(TO),--to $(TO))

synth: setup
	$(VENV)/python -m include.infra.app --env $(or $(ENV),dev)

lock:
	$(VENV)/uv pip compile requirements-dev.in --python-version 3.11 -o requirements-dev.lock --no-header

clean: airflow-down services-down
	rm -rf .local dist

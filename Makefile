# dgsa: two commands do everything on a fresh machine:  make demo   |   make test
SHELL := /bin/bash
PYTHON ?= python3
ENV := bin/dgsa-env
VENV_STAMP := .venv/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
DEMO_DRIVE := $(CURDIR)/demo/drive
DEMO_PEOPLE ?= 3000
DEMO_ROUNDS ?= 2563,2564,2565
DEMO_LOAD_TASKS ?= 2
comma := ,
DRIVE ?= $(DEMO_DRIVE)
# the suite waits on PostgreSQL, Airflow and a browser more than on the CPU: 3 workers (pytest-xdist),
# each with its own scratch warehouse and Airflow home, keep it under 10 minutes on 2 cores
TEST_WORKERS ?= 3

.PHONY: demo test pipeline airflow warehouse migrate airflow-db bench sample report docs feedback clean help

help:
	@echo "make demo      set up everything, generate a three-round sample drive, run the DAGs once per round, print the marts"
	@echo "make test      the whole test suite (real PostgreSQL, real Airflow)"
	@echo "make pipeline DRIVE=/path   run every DAG once on a drive (DGSA_WAREHOUSE_URL or the local one)"
	@echo "make airflow   start the Airflow UI on http://127.0.0.1:8080"
	@echo "make docs      build the Great Expectations Data Docs (DGSA_DOCS_DIR, default .dgsa/data_docs)"
	@echo "make feedback  write the provinces' feedback workbooks (DGSA_OUTBOX, default .dgsa/outbox)"
	@echo "make bench     throughput through Airflow vs psql \\copy and the naive script at 10k/100k/1M people (BENCH_SIZES=10000,100000; BENCH_FULL=1 adds 2.2M); docs/benchmarks.md"
	@echo "make bench-page  DG-SA page figures at 100,000 people (PEOPLE=N, or URL=existing warehouse)"

# ---------------------------------------------------------------- set-up (idempotent)
$(VENV_STAMP): requirements.txt
	@echo "== virtualenv (.venv) with the pinned stack"
	@test -x .venv/bin/python || $(PYTHON) -m venv .venv
	@.venv/bin/pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
	@.venv/bin/pip install -q -r requirements.txt 2>&1 | grep -v "is ignored" || true
	@.venv/bin/pip check >/dev/null
	@echo "$(CURDIR)/include" > "$$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/dgsa.pth"
	@rm -f .venv/.installed-* && touch $@

warehouse: $(VENV_STAMP)
	@echo "== warehouse"
	@$(ENV) python -m dgsa_tools.devenv

# migrations + reference data; as a role that may create roles, also the pipeline login dgsa_pipeline
migrate: warehouse
	@$(ENV) python -m dgsa.foundation.migrate

airflow-db: $(VENV_STAMP)
	@echo "== Airflow metadata DB (SQLite in .airflow/)"
	@$(ENV) airflow db migrate > /dev/null 2>&1 || $(ENV) airflow db migrate

# ---------------------------------------------------------------- the two commands
# the drive grows round by round as a real one does (provinces that reuse last year's file names
# replace those files), so dgsa_ingest runs once per round on the drive as it stands after it
# (a pipeline that first saw the final drive would never see the overwritten versions), then
# `make pipeline` (ingest, marts, run summary) on the last. Unchanged files are rewritten with the
# same bytes, so a second `make demo` loads nothing new. DEMO_LOAD_TASKS: load tasks per ingest run
# (DGSA_LOAD_TASKS; 0 = one per province, as the nightly run on few new files)
demo: warehouse airflow-db
	@set -e; rounds="$(subst $(comma), ,$(DEMO_ROUNDS))"; export DGSA_LOAD_TASKS=$${DGSA_LOAD_TASKS:-$(DEMO_LOAD_TASKS)}; \
	for r in $$rounds; do \
	  echo "== round $$r: the sample drive ($(DEMO_PEOPLE) people) in demo/drive as it stands after round $$r"; \
	  $(ENV) python -m dgsa_tools.sample --out $(DEMO_DRIVE) --people $(DEMO_PEOPLE) --seed 2563 \
	    --rounds $(DEMO_ROUNDS) --until $$r; \
	  if [ "$$r" != "$${rounds##* }" ]; then DGSA_DRIVE="$(DEMO_DRIVE)" bin/run-dag dgsa_ingest; fi; \
	done; \
	$(MAKE) --no-print-directory pipeline DRIVE=$(DEMO_DRIVE)
	@echo "== every round's compliance and the progress (make report; one round in detail: make report ROUND=2564)"
	@$(ENV) python -m dgsa.marts.report
	@echo "== Data Docs: $${DGSA_DOCS_DIR:-.dgsa/data_docs}/index.html (rebuilt by dgsa_marts; make docs)"

test: warehouse
	@$(ENV) python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -p no:warnings tests

# ---------------------------------------------------------------- running
# make pipeline: its own throw-away Airflow metadata per DAG run (bin/run-dag), so it never shares runs with
# `make airflow`'s scheduler and a killed run blocks nothing; as the pipeline login dgsa_pipeline (bootstrapped
# by migrate) when the server has it; OpenLineage events appended to DGSA_LINEAGE_DIR/events.jsonl
LINEAGE_DIR = $${DGSA_LINEAGE_DIR-$(CURDIR)/.dgsa/lineage}
PIPELINE_URL = $$($(ENV) python -m dgsa.foundation.migrate --pipeline-url)
pipeline: migrate
	@echo "== pipeline on $(DRIVE) (through airflow dags test, own Airflow metadata; progress below)"
	@test -d "$(DRIVE)" || { echo "DRIVE=$(DRIVE) is not a folder" >&2; exit 2; }
	@url="$(PIPELINE_URL)" && echo "   as $$(echo "$$url" | sed -E 's#^[^/]*//([^:@/]*).*#\1#'); lineage: $(LINEAGE_DIR)/events.jsonl" && \
	  DGSA_WAREHOUSE_URL="$$url" DGSA_LINEAGE_DIR="$(LINEAGE_DIR)" DGSA_DRIVE="$(abspath $(DRIVE))" bin/run-dag dgsa_ingest && \
	  DGSA_WAREHOUSE_URL="$$url" DGSA_LINEAGE_DIR="$(LINEAGE_DIR)" DGSA_DRIVE="$(abspath $(DRIVE))" bin/run-dag dgsa_marts
	@echo "== run summary (also in $${DGSA_OUTBOX:-.dgsa/outbox}/run-summary.md)"
	@$(ENV) python -m dgsa.operations.run_summary

airflow: migrate airflow-db
	@echo "== Airflow UI: http://127.0.0.1:$${DGSA_AIRFLOW_PORT:-8080}  (user 'admin'; the password is printed below"
	@echo "   and kept in .airflow/simple_auth_manager_passwords.json.generated). Ctrl-C stops it."
	@echo "   The DG-SA page (compliance map, training needs, follow-up lists): DG-SA in the navigation."
	@echo "   The dgsa DAGs are unpaused: dgsa_ingest runs nightly at 01:00, dgsa_marts after it, dgsa_lateness"
	@echo "   daily at 08:00 (Asia/Bangkok). Pause one with its toggle or: bin/dgsa-env airflow dags pause DAG_ID"
	@$(ENV) airflow dags unpause --treat-dag-id-as-regex -y '^dgsa_' >/dev/null 2>&1 || true
	@echo "   Runs as the pipeline login dgsa_pipeline; OpenLineage events in $(LINEAGE_DIR)/events.jsonl. A run"
	@echo "   whose task died is failed by the scheduler's task heartbeat timeout, a run that hangs by dagrun_timeout."
	@DGSA_WAREHOUSE_URL="$(PIPELINE_URL)" DGSA_LINEAGE_DIR="$(LINEAGE_DIR)" \
	  DGSA_DRIVE="$(abspath $(DRIVE))" AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False \
	  AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT=$${AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT:-300} \
	  AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin $(ENV) airflow standalone

.PHONY: airflow-celery
airflow-celery: warehouse
	@echo "== docker-compose.yaml's CeleryExecutor deployment as local processes: $${DGSA_WORKERS:-2} worker(s),"
	@echo "   broker $${DGSA_CELERY_BROKER:-redis://127.0.0.1:6379/1}, metadata + results in PostgreSQL database"
	@echo "   $${DGSA_CELERY_DB:-dgsa_airflow_celery}, drive $(abspath $(DRIVE)); UI http://127.0.0.1:$${DGSA_AIRFLOW_PORT:-8080}"
	@echo "   (user admin, password in $${DGSA_CELERY_HOME:-.dgsa/celery}/simple_auth_manager_passwords.json.generated). Ctrl-C stops it."
	@DGSA_DRIVE="$(abspath $(DRIVE))" bin/airflow-celery

# make sample [OUT=dir] [MESSY=1] [ROUNDS=2563,2564,2565 [UNTIL=2564]]
sample: $(VENV_STAMP)
	@$(ENV) python -m dgsa_tools.sample --out $(or $(OUT),$(DEMO_DRIVE)) --people $(DEMO_PEOPLE) --seed 2563 \
	  $(if $(MESSY),--messy) $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(UNTIL),--until $(UNTIL))

# make report [ROUND=2564] [LIMIT=20]
report: warehouse
	@$(ENV) python -m dgsa.marts.report $(if $(ROUND),--round $(ROUND)) $(if $(LIMIT),--limit $(LIMIT))

docs: warehouse
	@echo "== Great Expectations Data Docs (suites in expectations/, last 7 days of validations)"
	@$(ENV) python -m dgsa.contract.docs

feedback: warehouse
	@echo "== feedback workbooks (one per province with anything to say; only those whose content changed)"
	@$(ENV) python -m dgsa.operations.feedback

# the peers (dlt) live in their own virtualenv, from requirements-bench.txt: never in the product's
bench: warehouse
	@test -x .dgsa/venv-bench/bin/python || $(PYTHON) -m venv .dgsa/venv-bench
	@.dgsa/venv-bench/bin/pip install -q -r requirements-bench.txt 2>&1 | grep -v "is ignored" || true
	@$(ENV) python -m dgsa_tools.bench

.PHONY: bench-page
bench-page: warehouse
	@echo "== DG-SA page: data layer, API through airflow api-server, render in headless Chromium"
	@$(ENV) python -m dgsa_tools.bench.page --people $(or $(PEOPLE),100000) $(if $(URL),--url $(URL))

clean:
	rm -rf demo .airflow .dgsa/logs

# Two commands set up a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
CHROMIUM := /usr/bin/chromium
REDIS_SERVER := /usr/bin/redis-server
PDFTOTEXT := /usr/bin/pdftotext
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export DAGSTER_HOME := $(CURDIR)/.dagster
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: run test check report bench ui seed-pdf clean

# The environment: a venv with cnbudget (editable) and its pinned dependencies,
# and the dbt manifest the Dagster definitions are built from.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -c "from cnbudget.transform.project import ensure_manifest; ensure_manifest()"
	touch $@

# The CJK font the test renderer embeds in the PDFs it draws (Debian package).
$(CJK_FONT):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq fonts-wqy-microhei

# Debian's headless Chromium and its driver: the report test and benchmark open the report in it.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium chromium-driver

# Debian's Redis: the broker the distributed tests and benchmark start (on loopback, a
# free port) for the Celery extraction workers they start.
$(REDIS_SERVER):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq redis-server

# Debian's poppler-utils (pdftotext, pdfinfo): the corpus scorer in ../shared/tools reads
# the PDFs' text with them, independently of cnbudget's own reading.
$(PDFTOTEXT):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq poppler-utils

# Load every PDF in raw/ into warehouse.duckdb, print what was found, document the models.
run: $(INSTALLED) $(PDFTOTEXT)
	$(BIN)/cnbudget load raw --warehouse warehouse.duckdb
	cd dbt_project && CNBUDGET_WAREHOUSE=$(CURDIR)/warehouse.duckdb ../$(BIN)/dbt docs generate --profiles-dir . --quiet

test: $(INSTALLED) $(CJK_FONT) $(CHROMIUM) $(REDIS_SERVER)
	$(BIN)/pytest

check: $(INSTALLED)
	$(BIN)/cnbudget check --warehouse warehouse.duckdb

# The load report of warehouse.duckdb: report/index.html, opens offline.
report: $(INSTALLED)
	$(BIN)/cnbudget report --warehouse warehouse.duckdb

# Extraction speed and memory, local and on Celery workers (figures for the notes; no timed tests).
bench: $(INSTALLED) $(CJK_FONT) $(CHROMIUM) $(REDIS_SERVER)
	$(BIN)/python -m tests.benchmarks.extraction
	$(BIN)/python -m tests.benchmarks.loads
	$(BIN)/python -m tests.benchmarks.distributed
	$(BIN)/python -m tests.benchmarks.report
	$(BIN)/python -m tests.benchmarks.growth
	$(BIN)/python -m tests.benchmarks.batch

# The Dagster UI on this project (the same local instance the CLI records runs in).
ui: $(INSTALLED)
	$(BIN)/cnbudget ui

# Re-render the committed seed PDF from its ground truth (after changing either).
seed-pdf: $(INSTALLED) $(CJK_FONT)
	$(BIN)/python -m tests.pdfgen.render_budget tests/ground_truth/wuhan_jxj_2025.yaml \
		raw/2025/武汉市经济和信息化局_2025_部门预算.pdf

clean:
	rm -rf $(VENV) .cache dbt_project/target dbt_project/logs warehouse.duckdb warehouse.duckdb.wal
	find .dagster -mindepth 1 ! -name dagster.yaml -exec rm -rf {} +

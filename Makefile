# Hidden Representations: `make book` builds the course, `make test` checks it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Tools installed in the venv (jupyter-book, nbgrader, alembic, pytest) are found without activation.
export PATH := $(abspath $(BIN)):$(PATH)
INSTALLED := $(VENV)/.installed

.PHONY: help install data book test browser-test lab lab-instructor release student bench grade clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

install: $(INSTALLED)  ## create or refresh .venv with the pinned dependencies

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $@

data: install  ## download and verify every data set into the cache (needs network once)
	$(BIN)/python -m hiddenrep.data

# The lessons the book lists (every chapters/<slug>/NN-name page of _toc.yml).
LESSONS := $(shell sed -n 's|^ *- file: \(chapters/[^/]*/[0-9][0-9]-[^ ]*\)$$|\1.ipynb|p' _toc.yml)
CACHE   := _build/.jupyter_cache

book: install data  ## build the HTML book with every lesson executed: _build/html/index.html
	@# Lessons run two at a time into the book's execution cache; the build then reuses the results
	@# (and runs any lesson that failed here once more, alone, so its error shows in the build).
	mkdir -p _build
	echo y | JUPYTERCACHE=$(CACHE) $(BIN)/jcache notebook add $(LESSONS) > /dev/null
	OMP_NUM_THREADS=1 JUPYTERCACHE=$(CACHE) $(BIN)/jcache project execute --executor local-parallel --timeout 120 -v WARNING || true
	$(BIN)/jupyter-book build --all -W --keep-going .

test: book  ## run every check: unit tests, grading, mutants, release drift, notebooks, leaks
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

browser-test: book  ## drive headless Chromium over the book and JupyterLab (Debian: chromium chromium-driver)
	$(BIN)/python -m pytest -p no:xdist tests/browser

# Each lab runs from the folder whose nbgrader_config.py its Validate button must read; the
# config folders are described in autograder/jupyter/README.md.
lab: install  ## JupyterLab for students on the chapters: notebooks and Validate (grading's time limit), no instructor tools
	cd autograder/jupyter/student && $(abspath $(BIN))/jupyter lab --config=jupyter_server_config.py --notebook-dir=$(CURDIR)/chapters

lab-instructor: install  ## JupyterLab for instructors on the repository, with nbgrader's formgrader and Create Assignment
	cd autograder && $(abspath $(BIN))/jupyter lab --config=jupyter/instructor/jupyter_server_config.py --notebook-dir=$(CURDIR)

release: install  ## regenerate chapters/*/exercises.ipynb from solutions/
	$(BIN)/python -m autograder release

# Releasing first: the edition's exercise notebooks, and the book's pages of them, come from solutions/ as they are now.
student: release book  ## the student edition in _build/student: book, notebooks, hiddenrep, README, Binder/Colab files
	$(BIN)/python -m autograder.student

bench: install data  ## time every lesson, every reference solution and a class of 24 (vs stock nbgrader): _build/bench.json
	$(BIN)/python -m autograder bench

grade: install  ## grade a class: make grade SLUG=02-text-as-tensors [JOBS=N] [SCHEDULER=tcp://HOST:PORT]
	$(BIN)/python -m autograder grade $(SLUG) $(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

clean:  ## remove build output and grading state (keeps .venv and the data cache)
	rm -rf _build autograder/{gradebook.db,release,submitted,autograded,feedback}

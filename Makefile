# Yihaotong -- two commands for a new machine: `make run` and `make test`.
# Each installs what it needs (Debian packages, Python packages, the Asterisk
# root filesystem, the prompts) on first use; later runs reuse the caches.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM_PACKAGES := echarts@6.1.0 alpinejs@3.17.4
NPM_STAMP := .local/npm/installed-$(shell echo $(NPM_PACKAGES) | sha256sum | cut -c1-12)
STAMP := .local/setup-$(shell cat pyproject.toml | sha256sum | cut -c1-12).stamp
APT_PACKAGES := debootstrap sip-tester espeak-ng sox redis-server redis-tools postgresql-client \
	chromium chromium-driver fonts-noto-cjk fonts-wqy-zenhei poppler-utils

.PHONY: setup system-packages asterisk prompts redis postgres run test test-unit test-ticketing test-integration bench day soak lint demo-call demo-sos clean

setup: $(STAMP) prompts asterisk redis $(NPM_STAMP)

# From the npm registry, served by the bridge (no CDN), installed together
# into .local/npm: ECharts for the report page, Alpine.js for the pages
$(NPM_STAMP):
	command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
	npm install --prefix .local/npm --no-save --no-audit --no-fund --silent $(NPM_PACKAGES)
	touch $@

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml | system-packages
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	mkdir -p .local && touch $@

prompts: $(STAMP)
	$(PY) -m scripts.build_prompts

# The Debian-unstable root filesystem with Asterisk 22, cached in /var/cache.
asterisk: system-packages
	bash scripts/asterisk-rootfs.sh

# Redis on 127.0.0.1:6379 for live state (volatile): the machine's system
# service (Debian's redis-server), used as it is when it answers, started as
# that service otherwise. The durable outbox Redis is no daemon: `make run`
# starts its own and stops it with the rest (scripts/run.py), the tests and
# benchmarks start theirs (testkit.services.RedisServer).
redis: system-packages
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
		echo "starting the redis-server system service on 127.0.0.1:6379"; \
		service redis-server start >/dev/null 2>&1 || { \
			mkdir -p /var/lib/redis /var/log/redis; \
			redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
				--appendonly no --dir /var/lib/redis --logfile /var/log/redis/yht.log; }; \
		for i in $$(seq 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done; }

# PostgreSQL on 127.0.0.1:5432 and the test database (yht_test).
postgres: system-packages
	bash scripts/postgres.sh

run: setup
	$(PY) -m scripts.run

demo-call: setup
	$(PY) -m scripts.demo_call

demo-sos: setup
	$(PY) -m scripts.demo_call sos

# pytest exits 5 when a selection collects nothing; that is not a failure here.
test: setup postgres
	$(PY) -m pytest tests/unit -q; rc=$$?; [ $$rc -eq 0 -o $$rc -eq 5 ] || exit $$rc
	$(PY) -m pytest tests/ticketing -v; rc=$$?; [ $$rc -eq 0 -o $$rc -eq 5 ] || exit $$rc
	$(PY) -m pytest tests/integration tests/browser -v; rc=$$?; [ $$rc -eq 0 -o $$rc -eq 5 ] || exit $$rc

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

test-ticketing: $(STAMP) postgres
	$(PY) -m pytest tests/ticketing -v

test-integration: setup postgres
	$(PY) -m pytest tests/integration tests/browser -v

# Every figure in docs/benchmarks.md but the day and the soak, with the
# command the docs give for it (issue 28 item 16).
bench: setup postgres
	$(PY) -m bench.agi_roundtrip 100 5
	$(PY) -m bench.front_end_cps 6 3
	$(PY) -m bench.ticketing_throughput 10 3 1,4,16,32
	$(PY) -m bench.desk_latency 200 5 1000 5
	$(PY) -m bench.sos_latency 6 3
	$(PY) -m bench.login_burst 32 3
	$(PY) -m bench.front_end_wait 20
	$(PY) -m bench.sos_reoffer 15
	$(PY) -m bench.asr_throughput 10
	$(PY) -m bench.recorded_calls 20
	$(PY) -m bench.caption_latency 10
	$(PY) -m bench.reports 30 2500 20
	$(PY) -m bench.page_weight 400 300
	$(PY) -m bench.order_ceiling 8 2 1,8
	$(PY) -m bench.order_ceiling profile 300
	$(PY) -m bench.worst_bodies 4 5

# A hotline day through the whole stack, with faults, and its account
# (docs/day.md): about 30 minutes of calls plus set-up and the account.
day: setup
	$(PY) -m bench.day --report docs/day-latest.md

soak: setup
	$(PY) -m bench.soak --report docs/soak-latest.md

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy agi ivr scripts ticketing acd softphone_bridge yht testkit recordings

clean:
	rm -rf .local/sounds .pytest_cache

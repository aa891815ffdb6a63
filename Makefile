# Lifeboat: the two commands of the Quick start, and a few helpers.
MVN := ./mvnw -B
ETCD_MEMBERS ?= 1
# make run ETCD_VERSION=3.4 runs Debian 12's etcd instead of 3.5; ETCD_TLS=true: https with client certificates only.
ETCD_VERSION ?= 3.5
ETCD_TLS ?= false
# make run ETCD_ENDPOINTS=https://10.0.0.1:2379 backs up your etcd instead of a local one (see README).
ETCD_ENDPOINTS ?=

.PHONY: run test test-faults test-fast build images bootstrap clean bench bench-snapshot-format bench-snapshot-service bench-scheduler bench-restore bench-retention bench-replace bench-delta bench-idle

## make run: build, start the local stack (etcd, Kafka, S3, PostgreSQL) and the four services; Ctrl-C stops all.
run: bootstrap
	$(MVN) -q package -DskipTests
	java -jar deploy/run/target/lifeboat-run.jar --repo . --etcd-members $(ETCD_MEMBERS) --etcd-version $(ETCD_VERSION) --etcd-tls $(ETCD_TLS) $(if $(ETCD_ENDPOINTS),--etcd-endpoints $(ETCD_ENDPOINTS),)

## make test: every unit and integration test, against real servers started by the tests.
test: bootstrap
	$(MVN) verify

## make test-faults: the fault-injection suite alone, five runs of each fault with the full outages (S3 60 s, PostgreSQL 30 s):
## services and the etcd-agent killed at random points of backups and REPLACE restores; prints the fault x runs x outcome
## table (also in e2e/target/fault-injection.md). make test runs each fault once. FAULT_RUNS=n, FAULT_SEED=s replay a run.
FAULT_RUNS ?= 5
FAULT_SEED ?=
test-faults: bootstrap
	$(MVN) -q install -DskipTests
	$(MVN) verify -pl e2e -Dtest=FaultInjectionIT -Dsurefire.failIfNoSpecifiedTests=false -Dlifeboat.faults.runs=$(FAULT_RUNS) $(if $(FAULT_SEED),-Dlifeboat.faults.seed=$(FAULT_SEED),)

## make test-fast: the unit tests of the decision rules and formats only (no server starts): restore refusal and
## planning, rollback rules, retention decisions and reconciliation, schedules, policy validation, recovery chains,
## event codec, snapshot formats, CLI.
FAST_TESTS := *Test,!EtcdAgent*Test,!LauncherErrorsTest,!KafkaClusterIdTest
test-fast:
	$(MVN) test -Dtest='$(FAST_TESTS)' -Dsurefire.failIfNoSpecifiedTests=false

## make bench: every benchmark below that finishes within 15 minutes, one after the other, then one table of their figures
## (measure, Lifeboat, peer, ratio, goal, met) and each service's RSS idle and under its heaviest benchmark; the table is
## also in target/bench-table.md. A benchmark that fails is named, the others still run, and make bench fails.
BENCHES := bench-snapshot-format bench-snapshot-service bench-scheduler bench-retention bench-restore bench-replace bench-delta bench-idle
BENCH_TABLE := $(CURDIR)/target/bench-table.tsv
bench: bootstrap
	@mkdir -p target && rm -f $(BENCH_TABLE)
	@failed=""; for b in $(BENCHES); do \
		echo "=== $$b"; LIFEBOAT_BENCH_TABLE=$(BENCH_TABLE) $(MAKE) --no-print-directory $$b || failed="$$failed $$b"; \
	done; \
	$(MVN) -q install -DskipTests -pl deploy/local-stack -am; \
	echo; java -cp deploy/local-stack/target/classes dev.lifeboat.stack.BenchTable $(BENCH_TABLE) | tee target/bench-table.md; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

## make bench-snapshot-format: status of a >= 1 GB snapshot, ours vs etcdctl (ratio), and our peak heap.
bench-snapshot-format: bootstrap
	$(MVN) -q install -DskipTests -pl snapshot-format -am
	$(MVN) -q -pl snapshot-format dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp snapshot-format/target/test-classes:snapshot-format/target/classes:$$(cat snapshot-format/target/bench.classpath) \
		dev.lifeboat.etcdsnapshot.bench.StatusBenchmark snapshot-format/target/status-benchmark

## make bench-snapshot-service: Lifeboat's snapshot time vs etcdctl save (and save + upload), zstd at ZSTD_LEVEL, the CPU
## seconds each side costs, peak RSS.
ZSTD_LEVEL ?= 1
bench-snapshot-service: bootstrap
	$(MVN) -q install -DskipTests -pl snapshot-service -am
	$(MVN) -q -pl snapshot-service dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp snapshot-service/target/test-classes:$$(cat snapshot-service/target/bench.classpath) \
		dev.lifeboat.snapshot.bench.SnapshotBenchmark . $(ZSTD_LEVEL)

## make bench-scheduler: 10,000 policies @every 1m on one replica: slot-to-emit delay p50/p99 and throughput.
bench-scheduler: bootstrap
	$(MVN) -q install -DskipTests -pl scheduler-service -am
	$(MVN) -q -pl scheduler-service dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp scheduler-service/target/test-classes:$$(cat scheduler-service/target/bench.classpath) \
		dev.lifeboat.scheduler.bench.FiringBenchmark .

## make bench-restore: API-mode restore of a 200,000-key snapshot into an empty etcd: keys/s and the ratio to 20,000 keys/s.
bench-restore: bootstrap
	$(MVN) -q install -DskipTests -pl restore-service -am
	$(MVN) -q -pl restore-service dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp restore-service/target/test-classes:restore-service/target/classes:$$(cat restore-service/target/bench.classpath) \
		dev.lifeboat.restore.bench.RestoreBenchmark restore-service/target/restore-benchmark

## make bench-replace: REPLACE and a restore drill of a >= 500 MB snapshot on one member (etcd-agent) vs etcdctl snapshot restore + etcd start (ratios; the agent's peak RSS).
bench-replace: bootstrap
	$(MVN) -q install -DskipTests -pl restore-service,etcd-agent,scheduler-service,snapshot-service -am
	$(MVN) -q -pl restore-service dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp restore-service/target/test-classes:restore-service/target/classes:$$(cat restore-service/target/bench.classpath) \
		dev.lifeboat.restore.bench.ReplaceBenchmark restore-service/target/replace-benchmark .

## make bench-idle: the CPU Lifeboat's four services and an etcd-agent use with nothing to do (one cluster, a FULL policy, an active DELTA capture), per process, over IDLE_SECONDS after IDLE_SETTLE_SECONDS; goal: together <= 2 % of one core.
IDLE_SECONDS ?= 60
IDLE_SETTLE_SECONDS ?= 60
bench-idle: bootstrap
	$(MVN) -q install -DskipTests -pl restore-service,retention-service,etcd-agent,scheduler-service,snapshot-service -am
	$(MVN) -q -pl restore-service dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp restore-service/target/test-classes:restore-service/target/classes:$$(cat restore-service/target/bench.classpath) \
		dev.lifeboat.restore.bench.IdleBenchmark restore-service/target/idle-benchmark . $(IDLE_SECONDS) $(IDLE_SETTLE_SECONDS)

## make bench-delta: delta capture under >= 5,000 puts/s for 5 minutes (lag, RSS), then replaying the deltas (API and REPLACE): changes/s.
DELTA_SECONDS ?= 300
bench-delta: bootstrap
	$(MVN) -q install -DskipTests -pl restore-service,etcd-agent,scheduler-service,snapshot-service -am
	$(MVN) -q -pl restore-service dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp restore-service/target/test-classes:restore-service/target/classes:$$(cat restore-service/target/bench.classpath) \
		dev.lifeboat.restore.bench.DeltaBenchmark restore-service/target/delta-benchmark . $(DELTA_SECONDS)

## make bench-retention: prune 9,999 of 10,000 snapshot objects of one cluster on the local S3: seconds and the ratio to 30 s.
bench-retention: bootstrap
	$(MVN) -q install -DskipTests -pl retention-service -am
	$(MVN) -q -pl retention-service dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
	java -cp retention-service/target/test-classes:$$(cat retention-service/target/bench.classpath) \
		dev.lifeboat.retention.bench.PruneBenchmark .

build: bootstrap
	$(MVN) -q package -DskipTests

## make images REGISTRY=registry.example.com/lifeboat TAG=1.0.0: the container images the Helm chart runs, one per
## service and the etcd-agent (deploy/container/Dockerfile; needs docker or podman, which this build machine lacks).
REGISTRY ?= localhost/lifeboat
TAG ?= latest
CONTAINER ?= docker
IMAGES := scheduler-service:8081 snapshot-service:8082 retention-service:8083 restore-service:8084 etcd-agent:8085
images: build
	@for image in $(IMAGES); do module=$${image%%:*}; port=$${image##*:}; \
		target=service; [ "$$module" = etcd-agent ] && target=etcd-agent; \
		$(CONTAINER) build -f deploy/container/Dockerfile --target $$target --build-arg MODULE=$$module --build-arg PORT=$$port \
			-t $(REGISTRY)/lifeboat-$$module:$(TAG) . || exit 1; \
	done

bootstrap:
	@scripts/bootstrap.sh

clean:
	$(MVN) -q clean
	rm -rf .lifeboat

# Lifeboat: the two commands of the Quick start, and a few helpers.
MVN := ./mvnw -B
ETCD_MEMBERS ?= 1

.PHONY: run test build bootstrap clean

## make run: build, start the local stack (etcd, Kafka, S3, PostgreSQL) and the four services; Ctrl-C stops all.
run: bootstrap
	$(MVN) -q package -DskipTests
	java -jar deploy/run/target/lifeboat-run.jar --repo . --etcd-members $(ETCD_MEMBERS)

## make test: every unit and integration test, against real servers started by the tests.
test: bootstrap
	$(MVN) verify

build: bootstrap
	$(MVN) -q package -DskipTests

bootstrap:
	@scripts/bootstrap.sh

clean:
	$(MVN) -q clean
	rm -rf .lifeboat

# Developer entry points. The scripts in scripts/ do the work; see each one's header.
#
#   make deps    install missing Debian packages (scripts/packages.txt)
#   make build   configure and build into $(BUILD_DIR)
#   make test    build, start Kafka and Redis, run ctest, stop them
#   make run     build, then run holdfast with the quickstart config, Kafka, Redis and an echo service
#   make clean   remove the build directory
#   make distclean  also stop local Kafka and Redis and delete var/ (their data, the venv)

BUILD_DIR ?= build
export BUILD_DIR

.PHONY: all deps build test run clean distclean kafka-start kafka-stop redis-start redis-stop

all: build

deps:
	scripts/deps.sh

build: deps
	scripts/build.sh

test: build
	scripts/test.sh

run: deps
	scripts/build.sh holdfast
	scripts/run.sh

clean:
	rm -rf build $(BUILD_DIR)

distclean: clean
	-scripts/kafka.sh stop
	-scripts/redis.sh stop
	rm -rf var

kafka-start:
	scripts/kafka.sh start

kafka-stop:
	scripts/kafka.sh stop

redis-start:
	scripts/redis.sh start

redis-stop:
	scripts/redis.sh stop

# Benchmarks (bench/README.md): every scenario in bench/scenarios, holdfast beside the machine's
# floor, a minimal libwebsockets echo and its peers, written to bench/results/<UTC date>.md.
# `bench` is the full run (about 15 minutes), `bench-quick` the short one (under two).
.PHONY: bench bench-quick

bench:
	bench/run.sh full

bench-quick:
	bench/run.sh quick

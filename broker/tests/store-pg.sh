#!/bin/bash
# The store's unit tests (test_store) against a real PostgreSQL: starts a
# private server (scripts/pg-test-cluster.sh), runs the tests on it, and
# stops and removes it on every exit path.  SKIP (77) when PostgreSQL is
# not installed.
#   store-pg.sh TEST_STORE_BINARY SOURCE_ROOT
set -u
bin=$1
root=$2
dir=$(mktemp -d /tmp/lamina-pg.XXXXXX) || exit 1
cleanup() { "$root/scripts/pg-test-cluster.sh" stop "$dir"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
conninfo=$("$root/scripts/pg-test-cluster.sh" start "$dir")
rc=$?
if [ $rc -eq 77 ]; then
    echo "SKIP: store-pg: PostgreSQL is not installed"
    exit 77
elif [ $rc -ne 0 ]; then
    echo "FAIL: store-pg: the test server did not start"
    exit 1
fi
LAMINA_TEST_PG=$conninfo "$bin"

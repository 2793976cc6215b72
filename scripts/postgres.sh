#!/bin/bash
# PostgreSQL on 127.0.0.1:5432 for the work-order tests: used as it is when it
# answers; otherwise Debian's postgresql is installed, started, and local TCP
# connections from 127.0.0.1 are trusted (this is a development machine).
# Then the test database exists (YHT_TEST_DATABASE, default yht_test).
set -euo pipefail

DB="${YHT_TEST_DATABASE:-yht_test}"
PGHOST=127.0.0.1
PGUSER="${YHT_TEST_DATABASE_USER:-postgres}"

if ! pg_isready -q -h "$PGHOST" -p 5432 2>/dev/null; then
    if ! dpkg -s postgresql >/dev/null 2>&1; then
        echo "installing postgresql"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    fi
    version=$(ls /etc/postgresql | sort -V | tail -1)
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! grep -q "yihaotong" "$hba"; then
        sed -i '1i host all all 127.0.0.1/32 trust  # yihaotong: local development' "$hba"
    fi
    echo "starting PostgreSQL $version on 127.0.0.1:5432"
    pg_ctlcluster "$version" main start
    for _ in $(seq 50); do pg_isready -q -h "$PGHOST" -p 5432 && break; sleep 0.2; done
fi

if ! psql -h "$PGHOST" -U "$PGUSER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    echo "creating database $DB"
    psql -h "$PGHOST" -U "$PGUSER" -d postgres -qc "CREATE DATABASE \"$DB\""
fi

#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (PostgreSQL server, chromium, a Java runtime
# for Spark) when missing.
# As root it installs them; otherwise it names what is missing and fails.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Java for the Spark backend's test of identity resolution (pyspark runs a local JVM).
command -v java >/dev/null || missing+=(default-jre-headless)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]}. Install them (Debian: apt-get install -y ${missing[*]}) and run again." >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

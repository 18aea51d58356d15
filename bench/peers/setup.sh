#!/usr/bin/env bash
# Installs the benchmark peers, idempotently, outside the repository:
#   - InfluxDB 1.6 and VictoriaMetrics from Debian's packages (installed, never started or enabled
#     by us: their services stay down, bench/peers/*.ts start private instances on 127.0.0.1);
#   - QuestDB: the org.questdb:questdb jar from Maven Central, the newest version that runs on the
#     machine's Java 17, copied to $CACHE/questdb/questdb-<version>.jar.
# Writes $CACHE/peers.env (paths and versions) for bench/peers/*.ts to read.
# Usage: bash bench/peers/setup.sh
#   env: STOCK_TSDB_PEERS_CACHE (default ~/.cache/stock-tsdb/peers), JAVA17_HOME,
#        QUESTDB_VERSION=X.Y.Z (pin one), QUESTDB_REFRESH=1 (look for a newer jar than the cached one)
set -euo pipefail

CACHE="${STOCK_TSDB_PEERS_CACHE:-$HOME/.cache/stock-tsdb/peers}"
mkdir -p "$CACHE/questdb"
log() { echo "[peers/setup] $*" >&2; }

# --- Debian packages --------------------------------------------------------------------------
need_apt=()
command -v influxd >/dev/null 2>&1 || need_apt+=(influxdb)
command -v victoria-metrics >/dev/null 2>&1 || need_apt+=(victoria-metrics)
if ((${#need_apt[@]})); then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  # Packages' maintainer scripts try to start their services; policy-rc.d says no (exit 101), the
  # Debian way to install a daemon without running it. Only add one if the machine has none.
  added_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >&2
  ((added_policy)) && rm -f /usr/sbin/policy-rc.d
fi
INFLUXD="$(command -v influxd)"
VM="$(command -v victoria-metrics)"
INFLUX_VERSION="$(dpkg-query -W -f='${Version}' influxdb 2>/dev/null || echo unknown)"
VM_VERSION="$(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null || echo unknown)"
# Stop nothing and start nothing: if a service manager started them anyway, say so.
for p in influxd victoria-metrics; do
  if pgrep -x "$p" >/dev/null 2>&1; then log "warning: a system $p is running; the bench uses its own instances on other ports"; fi
done

# --- Java 17 ----------------------------------------------------------------------------------
JAVA17_HOME="${JAVA17_HOME:-}"
if [[ -z "$JAVA17_HOME" ]]; then
  for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/temurin-17*; do
    [[ -x "$d/bin/java" ]] && { JAVA17_HOME="$d"; break; }
  done
fi
[[ -x "$JAVA17_HOME/bin/java" ]] || { log "no Java 17 found (set JAVA17_HOME)"; exit 1; }
JAVA="$JAVA17_HOME/bin/java"

# --- QuestDB from Maven Central ---------------------------------------------------------------
# Class-file major version of the jar's main class: 61 = Java 17, 65 = Java 21.
class_major() {
  local jar="$1"
  if command -v unzip >/dev/null 2>&1; then
    unzip -p "$jar" io/questdb/ServerMain.class 2>/dev/null | od -An -j6 -N2 -tu1 | awk 'NF==2{print $1*256+$2; f=1} END{if(!f) print 999}'
  else
    python3 -c 'import sys,zipfile; b=zipfile.ZipFile(sys.argv[1]).read("io/questdb/ServerMain.class"); print(b[6]*256+b[7])' "$jar" 2>/dev/null || echo 999
  fi
}

# The versions Maven Central lists, newest first: resolve a version range in a throw-away POM so
# mvn fetches the artifact's maven-metadata.xml into the local repository.
qdb_versions() {
  local probe="$CACHE/questdb/.probe" meta="$HOME/.m2/repository/org/questdb/questdb"
  mkdir -p "$probe"
  cat > "$probe/pom.xml" <<'POM'
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>stock-tsdb.bench</groupId><artifactId>questdb-probe</artifactId><version>1</version>
<dependencies><dependency><groupId>org.questdb</groupId><artifactId>questdb</artifactId>
<version>[6.0,)</version></dependency></dependencies></project>
POM
  (cd "$probe" && mvn -q -B -U dependency:resolve -DexcludeTransitive=true >/dev/null 2>&1) || true
  cat "$meta"/maven-metadata-*.xml 2>/dev/null | grep -o '<version>[^<]*' | sed 's/<version>//' \
    | grep -E '^[0-9]+(\.[0-9]+)*$' | sort -u -V -r
}

QDB_JAR=""
QDB_VERSION=""
existing="$(ls "$CACHE"/questdb/questdb-*.jar 2>/dev/null | sort -V | tail -1 || true)"
if [[ -n "${QUESTDB_VERSION:-}" ]]; then
  candidates=("$QUESTDB_VERSION")
elif [[ -n "$existing" && -z "${QUESTDB_REFRESH:-}" ]]; then
  candidates=("$(basename "$existing" .jar | sed 's/^questdb-//')")
else
  mapfile -t candidates < <(qdb_versions)
  ((${#candidates[@]})) || { log "could not list org.questdb:questdb versions"; exit 1; }
fi
for v in "${candidates[@]}"; do
  jar="$CACHE/questdb/questdb-$v.jar"
  if [[ ! -s "$jar" ]]; then
    log "mvn dependency:copy org.questdb:questdb:$v"
    mvn -q -B dependency:copy -Dartifact="org.questdb:questdb:$v" -DoutputDirectory="$CACHE/questdb" >&2 || { log "cannot fetch $v"; continue; }
  fi
  major="$(class_major "$jar")"
  if ((major <= 61)); then QDB_JAR="$jar"; QDB_VERSION="$v"; break; fi
  log "questdb $v needs class version $major (> Java 17's 61); trying an older one"
  rm -f "$jar"
done
[[ -n "$QDB_JAR" ]] || { log "no QuestDB version runs on Java 17"; exit 1; }

cat > "$CACHE/peers.env" <<ENV
INFLUXD=$INFLUXD
INFLUX_VERSION=$INFLUX_VERSION
VICTORIA_METRICS=$VM
VM_VERSION=$VM_VERSION
JAVA=$JAVA
JAVA_VERSION=$("$JAVA" -version 2>&1 | head -1 | sed 's/.*version "\([^"]*\)".*/\1/')
QUESTDB_JAR=$QDB_JAR
QUESTDB_VERSION=$QDB_VERSION
ENV
log "ready: $CACHE/peers.env"
cat "$CACHE/peers.env"

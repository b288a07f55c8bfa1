#!/usr/bin/env bash
# Companion search benchmark, side by side in one run: firebreak's engine, DuckDB and a brute
# force, on (a) the real GeoLife traces and (b) generated traces; plus the ingest of the
# generated CSV.gz (time and peak RSS). Needs `pip install duckdb` and /usr/bin/time (GNU time).
#
#   bench/colocate.sh                       # 100,000 people x 4 days x 24 fixes = 9.6 M points
#   PEOPLE=1000000 bench/colocate.sh        # the 96 M-point target scale (needs ~10 GB of disk)
#
# Environment: PEOPLE (100000), DAYS (4), INTERVAL (1h: 24 fixes a day), RUNS (3, medians
# reported), BRUTE_PEOPLE (2000: size of the generated store the brute force runs on), WORK
# (a temporary folder, removed at the end unless KEEP=1), DATA (a folder where the generated
# store and CSV.gz are kept and reused across runs, e.g. /work/bench-data; default: WORK),
# SKIP_INGEST=1 (no ingest runs).
set -euo pipefail
cd "$(dirname "$0")/.."

PEOPLE=${PEOPLE:-100000}
DAYS=${DAYS:-4}
INTERVAL=${INTERVAL:-1h}
RUNS=${RUNS:-3}
BRUTE_PEOPLE=${BRUTE_PEOPLE:-2000}
GEOLIFE=${GEOLIFE:-../shared/data/trajectories/geolife_11users_2008/geolife_11users_oct2008.csv.gz}
WORK=${WORK:-$(mktemp -d -t fb-colocate-XXXXXX)}
mkdir -p "$WORK"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

python3 -c 'import duckdb' 2>/dev/null || { echo "DuckDB for Python is missing: pip install duckdb" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }

echo "== building (release)"
cargo build --release --quiet --bin firebreak
BIN=target/release/firebreak
PY="python3 bench/colocate.py --bin $BIN --runs $RUNS"

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)'), $($BIN --version)"

# Keys of n cases spread evenly over p people (the simulator names people p0000000 …).
cases() {
  python3 - "$1" "$2" <<'EOF'
import sys
n, p = int(sys.argv[1]), int(sys.argv[2])
w = max(7, len(str(p - 1)))
print(",".join(f"p{i * (p // n):0{w}d}" for i in range(n)))
EOF
}

echo "== (a) GeoLife, 11 users, Beijing 2007-2008 (NC data, read from ../shared/data)"
if [ -f "$GEOLIFE" ]; then
  $BIN traces import "$GEOLIFE" --store "$WORK/geolife" --quiet
  $PY --store "$WORK/geolife" --cases 003 --brute --label "geolife 1 case (003), 50 m, 5 min"
  $PY --store "$WORK/geolife" --cases 000,001,002,003,004,005,006,007,008,009 --brute \
      --label "geolife 10 cases, 50 m, 5 min"
else
  echo "skipped: $GEOLIFE is absent"
fi

echo "== (b) generated: brute-force check on $BRUTE_PEOPLE people x $DAYS days"
$BIN sim traces --people "$BRUTE_PEOPLE" --days "$DAYS" --interval "$INTERVAL" --seed 1 --out "$WORK/small" --quiet
$PY --store "$WORK/small" --cases "$(cases 10 "$BRUTE_PEOPLE")" --brute --label "sim $BRUTE_PEOPLE people, 10 cases"

echo "== (b) generated: $PEOPLE people x $DAYS days every $INTERVAL"
DATA=${DATA:-$WORK}
mkdir -p "$DATA"
NAME="sim-$PEOPLE-$DAYS-$INTERVAL"
if [ ! -f "$DATA/$NAME.done" ]; then
  rm -rf "${DATA:?}/$NAME"
  /usr/bin/time -f "sim: %e s, peak RSS %M KB" $BIN sim traces --people "$PEOPLE" --days "$DAYS" \
    --interval "$INTERVAL" --seed 1 --out "$DATA/$NAME" --quiet
  touch "$DATA/$NAME.done"
fi
du -sh "$DATA/$NAME"
for n in 10 1000; do
  $PY --store "$DATA/$NAME" --cases "$(cases $n "$PEOPLE")" --label "sim $PEOPLE people, $n cases, 50 m, 5 min"
done
[ "${SKIP_INGEST:-0}" = 1 ] && { echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"; exit 0; }

echo "== ingest of the same traces from CSV.gz"
if [ ! -f "$DATA/$NAME.csv.gz.done" ]; then
  $BIN sim traces --people "$PEOPLE" --days "$DAYS" --interval "$INTERVAL" --seed 1 --out "$DATA/$NAME.csv.gz" --quiet
  touch "$DATA/$NAME.csv.gz.done"
fi
ls -l "$DATA/$NAME.csv.gz" | awk '{printf "csv.gz: %.0f MB\n", $5 / 1e6}'
for i in $(seq "$RUNS"); do
  rm -rf "$WORK/ingested"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -v $BIN traces import "$DATA/$NAME.csv.gz" --store "$WORK/ingested" --quiet 2> "$WORK/time.txt" | tail -1
  awk -F': ' '/Elapsed \(wall clock\)/{print "ingest wall: " $2} /Maximum resident/{printf "ingest peak RSS: %.0f MB\n", $2 / 1024}' "$WORK/time.txt"
done
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

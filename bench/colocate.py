#!/usr/bin/env python3
"""Side-by-side companion search: firebreak's engine, DuckDB and a brute force, on one store.

Usage: colocate.py --bin target/release/firebreak --store DIR --cases 003,004 [--radius 50]
       [--window 300] [--from 2008-10-23 --to 2008-10-30] [--runs 3] [--brute] [--label NAME]

Each engine answers the same query on the same Parquet files (DIR/day=*/*.parquet):
- firebreak: `firebreak colocate` (a fresh process per run: reads Parquet, joins, writes JSON);
- DuckDB (PyPI `duckdb`, all cores): SQL that reads the same columns as firebreak (the integer
  person id `pid`, t, lat, lon; the keys come from the store's dictionary DIR/_persons at the end;
  --duckdb-text-keys joins on the `person` text instead), puts every case point into the 3 x 3 grid cells
  of side >= radius around it and into every time bucket of width max(window, 60 s) that its
  window touches (the spatial/temporal pre-filter), equi-joins the other points on (bucket, cell),
  then applies the exact haversine (R = 6,371,008.8 m) and |t1 - t2| <= window tests, and
  aggregates per companion;
- brute force (--brute): `firebreak colocate --brute-force` (every case point x every point).
Times are wall-clock medians of --runs runs. The answers must agree exactly: the same companions
with the same encounter counts (and first/last times); the smallest distances are compared to
1e-6 m (SQL and Rust evaluate the same formula in a different order).
Prints one JSON line per engine and a summary line.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

R = 6371008.8


def run_firebreak(args, brute=False):
    cmd = [args.bin, "colocate", "--store", args.store, "--radius", str(args.radius),
           "--window", str(args.window), "--quiet"]
    for c in args.cases:
        cmd += ["--case", c]
    if args.from_:
        cmd += ["--from", args.from_]
    if args.to:
        cmd += ["--to", args.to]
    if brute:
        cmd.append("--brute-force")
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True)
    dt = time.perf_counter() - t0
    res = {c["person"]: (c["encounters"], c["first"], c["last"], c["min_distance_m"])
           for c in json.loads(out.stdout)}
    return dt, res


def run_duckdb(args):
    import duckdb

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    glob = os.path.join(args.store, "day=*", "*.parquet")
    w = int(args.window)
    bw = max(w, 60)
    dlat = args.radius / (R * 3.141592653589793 / 180.0) * 1.000001 + 1e-9
    rng = []
    if args.from_:
        rng.append(f"t >= TIMESTAMPTZ '{args.from_}'")
    if args.to:
        rng.append(f"t < TIMESTAMPTZ '{args.to}'")
    where = ("WHERE " + " AND ".join(rng)) if rng else ""
    cases = ", ".join("'" + c.replace("'", "''") + "'" for c in args.cases)
    persons = os.path.join(args.store, "_persons", "*.parquet")
    if os.path.isdir(os.path.join(args.store, "_persons")) and not args.duckdb_text_keys:
        # The store's integer person ids (pid) for the join; keys from the dictionary at the end.
        key, case_filter = "pid", f"k IN (SELECT pid FROM read_parquet('{persons}') WHERE person IN ({cases}))"
        final = f"SELECT d.person, r.encounters, r.first_s, r.last_s, r.min_d FROM r JOIN read_parquet('{persons}') d USING (pid)"
    else:
        key, case_filter = "person", f"k IN ({cases})"
        final = "SELECT person, encounters, first_s, last_s, min_d FROM r"
    sql = f"""
    WITH pts AS (
        SELECT {key} AS k, epoch_us(t) // 1000000 AS ts, lat, lon
        FROM read_parquet('{glob}', hive_partitioning = false) {where}
    ),
    cp AS (SELECT * FROM pts WHERE {case_filter}),
    -- longitude cell width from the largest |latitude| of the case points plus one radius
    g AS (SELECT {dlat} AS dlat,
                 {dlat} / greatest(cos(radians(least(max(abs(lat)) + {dlat}, 89.9))), 1e-9) AS dlon
          FROM cp),
    cpx AS (  -- each case point in every (bucket, cell) its window and radius can reach
        SELECT cp.k AS case_key, cp.ts AS cts, cp.lat AS clat, cp.lon AS clon,
               b AS bucket, floor(cp.lat / g.dlat)::BIGINT + dy AS cy,
               floor(cp.lon / g.dlon)::BIGINT + dx AS cx
        FROM cp, g,
             range(-1, 2) AS ry(dy), range(-1, 2) AS rx(dx),
             LATERAL (SELECT unnest(range((cp.ts - {w}) // {bw}, (cp.ts + {w}) // {bw} + 1)) AS b)
    ),
    ox AS (
        SELECT k, ts, lat, lon, ts // {bw} AS bucket,
               floor(lat / g.dlat)::BIGINT AS cy, floor(lon / g.dlon)::BIGINT AS cx
        FROM pts, g
    ),
    pairs AS (
        SELECT ox.k, cpx.case_key, cpx.cts, ox.ts,
               2 * {R} * asin(sqrt(
                   power(sin(radians(ox.lat - cpx.clat) / 2), 2) +
                   cos(radians(cpx.clat)) * cos(radians(ox.lat)) *
                   power(sin(radians(ox.lon - cpx.clon) / 2), 2))) AS d
        FROM cpx JOIN ox USING (bucket, cy, cx)
        WHERE ox.k <> cpx.case_key AND abs(ox.ts - cpx.cts) <= {w}
    ),
    r AS (
        SELECT k AS {key}, count(*) AS encounters, min(least(cts, ts)) AS first_s,
               max(greatest(cts, ts)) AS last_s, min(d) AS min_d
        FROM pairs WHERE d <= {args.radius}
        GROUP BY k
    )
    {final}
    """
    t0 = time.perf_counter()
    rows = con.execute(sql).fetchall()
    dt = time.perf_counter() - t0
    return dt, {p: (n, f, l, d) for p, n, f, l, d in rows}


def iso(s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))


def compare(a, b, b_is_sql=False):
    """Same companions and encounter counts, same first/last, distances within 1e-6 m."""
    if set(a) != set(b):
        return f"companions differ: {len(set(a) - set(b))} only in one, {len(set(b) - set(a))} only in the other"
    for p in a:
        ea, fa, la, da = a[p]
        eb, fb, lb, db = b[p]
        if b_is_sql:
            fb, lb = iso(fb), iso(lb)
        if ea != eb:
            return f"{p}: encounters {ea} vs {eb}"
        if (fa, la) != (fb, lb):
            return f"{p}: first/last {fa}/{la} vs {fb}/{lb}"
        if abs(da - db) > 1e-6:
            return f"{p}: min distance {da} vs {db}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--cases", required=True, help="comma-separated person keys")
    ap.add_argument("--radius", type=float, default=50.0)
    ap.add_argument("--window", type=int, default=300)
    ap.add_argument("--from", dest="from_")
    ap.add_argument("--to")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--brute", action="store_true")
    ap.add_argument("--no-duckdb", action="store_true")
    ap.add_argument("--duckdb-text-keys", action="store_true",
                    help="join on the person text column instead of the integer pid")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    args.cases = [c for c in args.cases.split(",") if c]

    load_before = os.getloadavg()[0]
    fb_times, fb_res = [], None
    for _ in range(args.runs):
        dt, fb_res = run_firebreak(args)
        fb_times.append(dt)
    line = {"label": args.label, "cases": len(args.cases), "companions": len(fb_res),
            "encounters": sum(v[0] for v in fb_res.values()),
            "firebreak_s": round(statistics.median(fb_times), 3), "firebreak_runs": [round(x, 3) for x in fb_times]}
    if not args.no_duckdb:
        dd_times, dd_res = [], None
        for _ in range(args.runs):
            dt, dd_res = run_duckdb(args)
            dd_times.append(dt)
        diff = compare(fb_res, dd_res, b_is_sql=True)
        line.update({"duckdb_s": round(statistics.median(dd_times), 3), "duckdb_runs": [round(x, 3) for x in dd_times],
                     "ratio": round(statistics.median(dd_times) / statistics.median(fb_times), 1),
                     "duckdb_agrees": diff is None})
        if diff:
            line["duckdb_diff"] = diff
    if args.brute:
        dt, br = run_firebreak(args, brute=True)
        diff = compare(fb_res, br)
        line.update({"brute_s": round(dt, 3), "brute_agrees": diff is None})
        if diff:
            line["brute_diff"] = diff
    line["load_avg_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(line), flush=True)
    ok = line.get("duckdb_agrees", True) and line.get("brute_agrees", True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

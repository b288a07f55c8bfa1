#!/usr/bin/env python3
"""Side-by-side: firebreak-fwi (our kernel, via the `fwi_csv` example) against PyPI xclim.

Same weather on both sides (default: cffdrs' test_fwi.csv, the Van Wagner & Pickett 1985 sample,
read in place from ../shared/data/fire, never copied). Runs:

  1. lat 40 (as in the file), ours with the cffdrs constant 250*59.5/101 (~147.27723) vs xclim
     (147.2): the constant difference alone.
  2. lat 40, ours with --ffmc-constant 147.2 vs xclim: should agree to float noise.
  3. the same weather moved to tropical/subtropical latitudes (17, 12, -12, -17), ours with 147.2:
     isolates the latitude-band difference (cffdrs: DMC 10-30 degrees 20N table, |lat| <= 10 fixed
     9, DC |lat| <= 20 fixed 1.4; xclim: bands at +-15 and 1.39).

Usage: python3 compare.py [WEATHER.csv]   (needs `pip install xclim`; cargo on PATH)
Environment: CARGO_TARGET_DIR is passed through to cargo (default /work/target-fwi).
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from xclim.indices.fire import fire_weather_ufunc

ROOT = Path(__file__).resolve().parents[2]  # the workspace root
DEFAULT_WEATHER = ROOT / ".." / "shared" / "data" / "fire" / "cffdrs_fwi" / "test_fwi.csv"
INDICES = ["ffmc", "dmc", "dc", "isi", "bui", "fwi", "dsr"]


def ours(weather: Path, *opts: str) -> pd.DataFrame:
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", "/work/target-fwi")
    cmd = ["cargo", "run", "-q", "-p", "firebreak-fwi", "--example", "fwi_csv", "--", str(weather), *opts]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(f"fwi_csv failed: {res.stderr.strip()}")
    return pd.read_csv(io.StringIO(res.stdout))


def read_weather(path: Path) -> pd.DataFrame:
    text = path.read_text()
    sep = ";" if ";" in text.splitlines()[0] else ","
    df = pd.read_csv(io.StringIO(text), sep=sep)
    df.columns = [c.lower() for c in df.columns]
    return df


def theirs(w: pd.DataFrame, lat: float) -> pd.DataFrame:
    time = pd.to_datetime(dict(year=w.yr, month=w.mon, day=w.day))
    def da(col):
        return xr.DataArray(w[col].to_numpy(dtype=float)[np.newaxis, :], dims=("site", "time"),
                            coords={"time": time})
    out = fire_weather_ufunc(
        tas=da("temp"), pr=da("prec"), hurs=da("rh"), sfcWind=da("ws"),
        lat=xr.DataArray([lat], dims=("site",)),
        ffmc0=xr.DataArray([85.0], dims=("site",)),
        dmc0=xr.DataArray([6.0], dims=("site",)),
        dc0=xr.DataArray([15.0], dims=("site",)),
        indexes=["DC", "DMC", "FFMC", "ISI", "BUI", "FWI", "DSR"],
        season_method=None, overwintering=False, dry_start=None,
    )
    return pd.DataFrame({k: out[k.upper()].values[0] for k in INDICES})


def compare(title: str, a: pd.DataFrame, b: pd.DataFrame, dates: pd.Series) -> dict:
    print(f"\n## {title}")
    print(f"{'index':6} {'max |diff|':>11} {'mean |diff|':>12}  worst day")
    res = {}
    for k in INDICES:
        d = (a[k].to_numpy() - b[k].to_numpy())
        i = int(np.nanargmax(np.abs(d)))
        res[k] = float(np.nanmax(np.abs(d)))
        print(f"{k:6} {res[k]:11.3g} {np.nanmean(np.abs(d)):12.3g}  {dates.iloc[i]}"
              f" (ours {a[k].iloc[i]:.4f}, xclim {b[k].iloc[i]:.4f})")
    return res


def main() -> None:
    weather = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_WEATHER
    if not weather.exists():
        sys.exit(f"weather file {weather} not found")
    w = read_weather(weather)
    dates = w.yr.astype(str) + "-" + w.mon.astype(str).str.zfill(2) + "-" + w.day.astype(str).str.zfill(2)
    lats = w.lat.unique()
    if len(lats) != 1:
        sys.exit("compare.py expects one station")
    lat = float(lats[0])
    print(f"weather: {weather} ({len(w)} days, lat {lat}); xclim {__import__('xclim').__version__}")

    x40 = theirs(w, lat)
    compare(f"1. lat {lat}: ours (cffdrs constant 250*59.5/101) vs xclim (147.2)", ours(weather), x40, dates)
    compare(f"2. lat {lat}: ours --ffmc-constant 147.2 vs xclim", ours(weather, "--ffmc-constant", "147.2"), x40, dates)

    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "fwi_xclim_compare"
    tmp.mkdir(parents=True, exist_ok=True)
    for tlat in (17.0, 12.0, -12.0, -17.0):
        wl = w.copy()
        wl["lat"] = tlat
        p = tmp / f"weather_lat{tlat:+.0f}.csv"
        wl.to_csv(p, index=False, quoting=csv.QUOTE_MINIMAL)
        compare(f"3. lat {tlat:+.0f} (weather moved): ours --ffmc-constant 147.2 vs xclim",
                ours(p, "--ffmc-constant", "147.2"), theirs(wl, tlat), dates)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side-by-side R_t: firebreak-epi (example `rt_csv`) vs PyPI `epyestim` (Cori method).

Datasets (read from ../shared/data, never copied): daily confirmed cases of two Chinese cities
from the cumulative series of github.com/canghailan/Wuhan-2019-nCoV (MIT):
  - Hengyang 衡阳市 (430400), first 40 days from 2020-01-24;
  - Wenzhou 温州市 (330300), first 60 days from 2020-01-21 (has downward corrections).
Serial interval: offset gamma, mean 4.7 d, sd 2.9 d (Nishiura et al. 2020), weekly windows,
prior Gamma(mean 5, sd 5).

Usage (from the repository root):
    python3 -m venv /tmp/venv-epi && /tmp/venv-epi/bin/pip install epyestim
    /tmp/venv-epi/bin/python scripts/epi_compare/compare_epyestim.py

What differs between the two tools, and how the comparison handles it:
  1. Windows. EpiEstim (and firebreak) start the first 7-day window on day 2 (days 2-8): day 1's
     cases are all treated as imported, and R is never estimated for day 1. epyestim's rolling
     window ends on each day from day 7 on, so its first window is days 1-7. Rows are matched on
     (t_start, t_end); epyestim's extra window 1-7 is listed separately.
  2. Day 1. epyestim counts day 1's cases as infectees (local); EpiEstim counts them only as
     infectors. Only epyestim's window 1-7 is affected.
  3. The NA rule. EpiEstim gives NA where t_end <= mean SI; epyestim estimates anyway.
     With mean SI 4.7 d and t_end >= 8 no window here is affected.
  4. SI discretisation. epyestim's own `discretise_gamma` bins a (non-offset) gamma at
     midpoints x +/- 0.5 and renormalises; EpiEstim's `discr_si` is an offset-by-one gamma with
     a uniform primary time within the day. The main comparison passes EpiEstim's discr_si
     vector (computed here independently with scipy, both literally and from upper tails as
     firebreak does) to epyestim, so both tools solve the same problem; a last line shows how
     much epyestim's native discretisation shifts R.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from scipy import stats

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.abspath(os.path.join(REPO, "..", "shared", "data", "epi", "china_city_daily_2020"))
SI_MEAN, SI_SD, WINDOW = 4.7, 2.9, 7
A_PRIOR, B_PRIOR = 1.0, 5.0  # Gamma(mean 5, sd 5)
LEVELS = [0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975]
COLS = ["mean", "sd", "q025", "q05", "q25", "median", "q75", "q95", "q975"]


def city_cumulative(code: str) -> pd.DataFrame:
    """Rows of one prefecture city (by 2019 admin code), date-sorted."""
    path = os.path.join(DATA, "china_city_daily_2019-12-01_2020-12-08.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype={"cityCode": str})
    df = df[df["cityCode"] == code][["date", "confirmed"]].sort_values("date")
    return df.reset_index(drop=True)


def daily_running_max(cum: list[int]) -> list[int]:
    """Same policy as firebreak's DecreasePolicy::RunningMax."""
    out, peak = [], 0
    for c in cum:
        out.append(max(0, c - peak))
        peak = max(peak, c)
    return out


def discr_si(k: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """EpiEstim discr_si (offset-1 gamma, closed form), written from its documented formula."""
    a = ((mu - 1) / sigma) ** 2
    b = sigma**2 / (mu - 1)
    F = lambda x, s: stats.gamma.cdf(np.maximum(x, 0), s, scale=b) * (x > 0)  # noqa: E731
    k = k.astype(float)
    res = k * F(k, a) + (k - 2) * F(k - 2, a) - 2 * (k - 1) * F(k - 1, a)
    res += a * b * (2 * F(k - 1, a + 1) - F(k - 2, a + 1) - F(k, a + 1))
    return np.maximum(res, 0)


def discr_si_tail_accurate(k: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """Same w_k, evaluated from upper tails beyond the mean (as firebreak does): the literal
    formula cancels O(k)-sized terms and leaves ~1e-15 absolute noise in the far tail."""
    a = ((mu - 1) / sigma) ** 2
    b = sigma**2 / (mu - 1)
    ab = a * b
    Q = lambda x, s: np.where(x <= 0, 1.0, stats.gamma.sf(np.maximum(x, 0), s, scale=b))  # noqa: E731
    H = lambda x: x * Q(x, a) - ab * Q(x, a + 1)  # noqa: E731
    k = k.astype(float)
    upper = -(H(k) - 2 * H(k - 1) + H(k - 2))
    return np.where(k - 2 > ab, np.maximum(upper, 0), discr_si(k, mu, sigma))


def run_firebreak(csv_path: str, days: int) -> pd.DataFrame:
    cmd = [
        "cargo", "run", "--quiet", "-p", "firebreak-epi", "--example", "rt_csv", "--",
        "--incidence", csv_path, "--si-mean", str(SI_MEAN), "--si-sd", str(SI_SD),
        "--window", str(WINDOW), "--count-column", "confirmed", "--cumulative",
        "--days", str(days),
    ]
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", "/work/target-epi")
    out = subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    if out.stderr.strip():
        print("  firebreak stderr:", out.stderr.strip().replace("\n", "\n  "))
    return pd.read_csv(io.StringIO(out.stdout), na_values=["NA"])


def run_epyestim(daily: list[int], gt: np.ndarray) -> pd.DataFrame:
    from epyestim.estimate_r import estimate_r, gamma_quantiles

    idx = pd.date_range("2000-01-01", periods=len(daily), freq="D")
    ts = pd.Series(np.asarray(daily, dtype=float), index=idx)
    post = estimate_r(ts, gt, A_PRIOR, B_PRIOR, window_size=WINDOW)
    a, b = post["a_posterior"].to_numpy(), post["b_posterior"].to_numpy()
    t_end = np.array([(d - idx[0]).days + 1 for d in post.index])
    df = pd.DataFrame({"t_start": t_end - WINDOW + 1, "t_end": t_end,
                       "mean": a * b, "sd": np.sqrt(a) * b})
    for name, q in zip(["q025", "q05", "q25", "median", "q75", "q95", "q975"], LEVELS):
        df[name] = gamma_quantiles(q, a, b)
    return df


def compare(name: str, code: str, days: int) -> None:
    print(f"\n=== {name} ({code}), first {days} days ===")
    cum = city_cumulative(code).head(days)
    daily = daily_running_max([int(c) for c in cum["confirmed"]])
    print(f"  dates {cum['date'].iloc[0]} .. {cum['date'].iloc[-1]}, {sum(daily)} cases; daily = {daily}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{code}.csv")
        cum.to_csv(path, index=False)
        fb = run_firebreak(path, days)
    gt_literal = discr_si(np.arange(days), SI_MEAN, SI_SD)
    gt = discr_si_tail_accurate(np.arange(days), SI_MEAN, SI_SD)
    print(f"  discr_si(0..{days - 1}): sum {gt.sum():.12f}, mean {np.dot(np.arange(days), gt):.9f}; "
          f"max |literal - tail-accurate| = {np.max(np.abs(gt - gt_literal)):.1e}")
    for label, g in [("EpiEstim's literal discr_si formula", gt_literal), ("tail-accurate discr_si", gt)]:
        ep = run_epyestim(daily, g)
        m = fb.merge(ep, on=["t_start", "t_end"], suffixes=("_fb", "_ep"))
        diffs = {c: float(np.nanmax(np.abs(m[c + "_fb"] - m[c + "_ep"]))) for c in COLS}
        print(f"  epyestim given the {label}: {len(m)} common windows (t_start 2..{m['t_start'].max()}); "
              "max |firebreak - epyestim|:")
        print("   ", ", ".join(f"{c} {v:.2e}" for c, v in diffs.items()))
    show = m[["t_start", "t_end", "mean_fb", "mean_ep", "q025_fb", "q025_ep", "q975_fb", "q975_ep"]]
    print(show.iloc[:: max(1, len(show) // 8)].to_string(index=False, float_format=lambda v: f"{v:.6f}"))
    extra = ep[~ep["t_start"].isin(fb["t_start"])]
    if len(extra):
        r = extra.iloc[0]
        print(f"  epyestim-only window {int(r.t_start)}-{int(r.t_end)} (EpiEstim never starts on day 1): "
              f"mean {r['mean']:.4f} [{r.q025:.4f}, {r.q975:.4f}]")
    # epyestim's native discretisation of a gamma with the same mean and sd (no offset).
    from epyestim.distributions import discretise_gamma

    shape = (SI_MEAN / SI_SD) ** 2
    native = discretise_gamma(shape, scale=SI_SD**2 / SI_MEAN)
    en = run_epyestim(daily, native)
    mn = fb.merge(en, on=["t_start", "t_end"], suffixes=("_fb", "_ep"))
    print(f"  with epyestim's own discretise_gamma (len {len(native)}, mean "
          f"{np.dot(np.arange(len(native)), native):.4f}): max |Δ mean R| = "
          f"{np.nanmax(np.abs(mn['mean_fb'] - mn['mean_ep'])):.4f}")


def main() -> int:
    if not os.path.isdir(DATA):
        print(f"SKIP: {DATA} not found (shared data folder absent)")
        return 0
    try:
        import epyestim  # noqa: F401
    except ImportError:
        print("epyestim is not installed (pip install epyestim); nothing to compare")
        return 1
    compare("Hengyang", "430400", 40)
    compare("Wenzhou", "330300", 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())

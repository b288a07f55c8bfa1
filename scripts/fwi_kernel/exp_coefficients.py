#!/usr/bin/env python3
"""Coefficients of the polynomial in crates/fwi/src/fast.rs (`EXP_POLY`).

The degree-N polynomial interpolating 2*e^r at the N+1 Chebyshev nodes of [-a, a],
a = 1.0001 * ln(2)/2 (the range of the reduced argument, with a margin), solved in 60-digit
decimal arithmetic (standard library only) and rounded to double. Prints the largest relative
error of the rounded polynomial, evaluated exactly, over 2001 points of [-a, a], then the
coefficients (lowest degree first).

    python3 scripts/fwi_kernel/exp_coefficients.py 10
"""
import sys
from decimal import Decimal as D, getcontext

getcontext().prec = 60
PI = D("3.14159265358979323846264338327950288419716939937510582097494459")


def cos(x):
    getcontext().prec += 2
    i, last, s, fact, num, sign = 0, 0, D(1), 1, D(1), 1
    while s != last:
        last = s
        i += 2
        fact *= i * (i - 1)
        num *= x * x
        sign = -sign
        s += num / fact * sign
    getcontext().prec -= 2
    return +s


def interpolate(f, a, n):
    """Monomial coefficients of the degree-n interpolant of f at Chebyshev nodes of [-a, a]."""
    xs = [a * cos(PI * (2 * k + 1) / (2 * (n + 1))) for k in range(n + 1)]
    rows = [[x**j if j else D(1) for j in range(n + 1)] + [f(x)] for x in xs]
    for c in range(n + 1):  # Gauss-Jordan with partial pivoting
        p = max(range(c, n + 1), key=lambda r: abs(rows[r][c]))
        rows[c], rows[p] = rows[p], rows[c]
        for r in range(n + 1):
            if r != c:
                m = rows[r][c] / rows[c][c]
                rows[r] = [u - m * v for u, v in zip(rows[r], rows[c])]
    return [rows[i][n + 1] / rows[i][i] for i in range(n + 1)]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    a = D(2).ln() / 2 * D("1.0001")
    f = lambda r: 2 * r.exp()
    coeffs = [float(c) for c in interpolate(f, a, n)]
    worst = D(0)
    for i in range(2001):
        r = -a + 2 * a * i / 2000
        p = D(0)
        for c in reversed(coeffs):
            p = p * r + D(c)
        worst = max(worst, abs(p / f(r) - 1))
    print(f"degree {n}: max relative error {float(worst):.3e}")
    for c in coeffs:
        print(repr(c))


if __name__ == "__main__":
    main()

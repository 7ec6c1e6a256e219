#!/usr/bin/env python3
"""Generates cutoffs.json: SP 800-90B §4.4 health-test cutoffs, computed independently of the
TypeScript code. RCT: C = 1 + ceil(-log2(alpha) / H). APT: the smallest c with
P[Binomial(W, 2^-H) >= c] <= alpha. For integer H the binomial tail is summed with exact rationals
(fractions.Fraction); otherwise with 100-digit decimals. Run: python3 cutoffs.py > cutoffs.json"""
import json
from decimal import Decimal, getcontext
from fractions import Fraction
from math import comb

getcontext().prec = 100
ALPHA_EXP = 20


def apt_cutoff(h, w):
    if float(h).is_integer():
        p = Fraction(1, 2 ** int(h))
        alpha = Fraction(1, 2 ** ALPHA_EXP)
        one = Fraction(1)
        zero = Fraction(0)
    else:
        p = Decimal(2) ** (-Decimal(str(h)))
        alpha = Decimal(2) ** (-ALPHA_EXP)
        one = Decimal(1)
        zero = Decimal(0)
    q = one - p
    tails = [zero] * (w + 2)
    for k in range(w, -1, -1):
        tails[k] = tails[k + 1] + comb(w, k) * p**k * q ** (w - k)
    c = 0
    while c <= w and tails[c] > alpha:
        c += 1
    return c


def rct_cutoff(h):
    # -log2(alpha) / H with H given as a short decimal: compute exactly with Fraction.
    x = Fraction(ALPHA_EXP) / Fraction(str(h))
    return 1 + -(-x.numerator // x.denominator)


cases = []
for w in (1024, 512):
    for h in (0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 7, 8):
        cases.append({"h": h, "window": w, "rct": rct_cutoff(h), "apt": apt_cutoff(h, w)})
print(json.dumps({"alphaLog2": -ALPHA_EXP, "cases": cases}, indent=2))

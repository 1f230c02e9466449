#!/usr/bin/env python3
"""Derives the Winograd matrices of runtime/cpu/Winograd.h, exactly.

F(m, r) by Toom-Cook over the points p_0 .. p_{a-2} and infinity, a = m + r - 1
(Lavin and Gray, CVPR 2016):
  A^T[i][e] = p_e^i,             plus 1 at (m - 1, a - 1) for infinity;
  G[e][k]   = p_e^k / f_e,       f_e = prod over l != e of (p_e - p_l),
                                 and row a - 1 = (0 .. 0, 1);
  B^T       the solution of sum_e A^T[i][e] G[e][k] B^T[e][j] = [j == i + k]
            for all i < m, k < r, j < a (solved here in exact fractions).
Row e of B^T may be scaled by s_e if row e of G is scaled by 1 / s_e;
Winograd.h writes B^T's rows in the form its hand-written lines compute,
so pass those scales with --scale. Prints the C++ initializers.

  tools/winograd_matrices.py 4 3 --points=0,1,-1,2,-2
  tools/winograd_matrices.py 4 5 --points=0,1,-1,2,-2,1/2,-1/2 --scale=-1,1,1,1,1,1,1,1
"""
import argparse
from fractions import Fraction


def toom_cook(points, m, r):
    a = m + r - 1
    if len(points) != a - 1:
        raise SystemExit(f"F({m}, {r}) needs {a - 1} finite points, got {len(points)}")
    AT = [[Fraction(0)] * a for _ in range(m)]
    G = [[Fraction(0)] * r for _ in range(a)]
    for e, p in enumerate(points):
        f = Fraction(1)
        for q in points:
            if q != p:
                f *= p - q
        for i in range(m):
            AT[i][e] = p ** i
        for k in range(r):
            G[e][k] = p ** k / f
    AT[m - 1][a - 1] = Fraction(1)
    G[a - 1][r - 1] = Fraction(1)
    return AT, G


def solve_bt(AT, G, m, r):
    """Each column j of B^T separately: unknowns B^T[0..a)[j], m * r equations."""
    a = m + r - 1
    BT = [[Fraction(0)] * a for _ in range(a)]
    for j in range(a):
        rows = [[AT[i][e] * G[e][k] for e in range(a)] + [Fraction(int(j == i + k))]
                for i in range(m) for k in range(r)]
        # Gauss-Jordan elimination; the system is consistent with a unique solution.
        col, pivots = 0, []
        for c in range(a):
            pivot = next((t for t in range(col, len(rows)) if rows[t][c] != 0), None)
            if pivot is None:
                continue
            rows[col], rows[pivot] = rows[pivot], rows[col]
            lead = rows[col][c]
            rows[col] = [v / lead for v in rows[col]]
            for t in range(len(rows)):
                if t != col and rows[t][c] != 0:
                    factor = rows[t][c]
                    rows[t] = [v - factor * w for v, w in zip(rows[t], rows[col])]
            pivots.append(c)
            col += 1
        if len(pivots) != a or any(row[a] != 0 for row in rows[col:]):
            raise SystemExit("no unique B^T for these points")
        for t, c in enumerate(pivots):
            BT[c][j] = rows[t][a]
    return BT


def cxx(name, M):
    def num(x):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}.f / {x.denominator}"
    body = ",\n    ".join("{" + ", ".join(num(v) for v in row) + "}" for row in M)
    return f"static constexpr float {name}[{len(M)}][{len(M[0])}] = {{\n    {body}}};"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("m", type=int, help="outputs per tile side")
    ap.add_argument("r", type=int, help="filter side")
    ap.add_argument("--points", required=True, help="finite points, e.g. 0,1,-1,2,-2")
    ap.add_argument("--scale", help="per-row scales of B^T (G's rows get the inverse)")
    args = ap.parse_args()
    points = [Fraction(p) for p in args.points.split(",")]
    m, r = args.m, args.r
    a = m + r - 1
    AT, G = toom_cook(points, m, r)
    BT = solve_bt(AT, G, m, r)
    scale = [Fraction(s) for s in args.scale.split(",")] if args.scale else [Fraction(1)] * a
    if len(scale) != a or any(s == 0 for s in scale):
        raise SystemExit(f"--scale needs {a} non-zero values")
    BT = [[v * scale[e] for v in BT[e]] for e in range(a)]
    G = [[v / scale[e] for v in G[e]] for e in range(a)]
    # The identity the convolution rests on, checked once more after scaling.
    for i in range(m):
        for k in range(r):
            for j in range(a):
                total = sum(AT[i][e] * G[e][k] * BT[e][j] for e in range(a))
                assert total == int(j == i + k)
    print(f"// F({m}x{m}, {r}x{r}), points {args.points} and infinity")
    print(f"static constexpr int kM = {m}, kA = {a};")
    for name, M in (("AT", AT), ("G", G), ("BT", BT)):
        print(cxx(name, M))


if __name__ == "__main__":
    main()

"""Time to prove the chain-network gradient (eq. 122) symbolically, by depth, side by side.

Columns (median of --repeat runs, seconds):
  naive     SymPy diff of the composed network for every b_j, compared with the product
            (the literal approach; skipped beyond --naive-max: at L = 64 it exceeds Python's
            default recursion limit, and took 14 s with the limit raised)
  implicit  this suite's method: SymPy Jacobians of the layer equations + sparse
            triangular solve, all j at once, compared with the product
Then the whole family (every depth m <= L and every j <= m, biases and weights) by SymPy's
general triangular solve against forward substitution on the checked-bidiagonal layer
equations (products compared as factor multisets), L = 64 beside L = 256.
Run:  python benchmarks/symbolic.py [--depths 4,8,16,32,64] [--family 64,256] [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import state  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

from theory import chain_network, gradient_direct, gradient_formula, gradients_implicit, is_identity  # noqa: E402
from theory.chain import MAX_DIRECT_DEPTH, formula_factors, to_composed  # noqa: E402
from theory.chain_implicit import gradient_factors_bidiagonal, same_product, truncated  # noqa: E402
from theory.layered import delta_direct, delta_eq124, deltas_implicit, layered_network  # noqa: E402


def naive(L: int) -> bool:
    net = chain_network(L)
    return all(is_identity(gradient_direct(net, j), to_composed(net, gradient_formula(net, j), start=j))
               for j in range(1, L + 1))


def implicit(L: int) -> bool:
    net = chain_network(L)
    g = gradients_implicit(net)
    return all(is_identity(g[(L, j)], gradient_formula(net, j)) for j in range(1, L + 1))


def implicit_all_depths(L: int) -> bool:
    net = chain_network(L)
    return all(is_identity(v, gradient_formula(truncated(net, m), j)) for (m, j), v in gradients_implicit(net).items())


def family_general(L: int) -> bool:
    net = chain_network(L)
    return all(is_identity(v, gradient_formula(truncated(net, m), j, wrt=wrt))
               for wrt in "bw" for (m, j), v in gradients_implicit(net, wrt=wrt).items())


def family_bidiagonal(L: int) -> bool:
    net = chain_network(L)
    return all(same_product(v, formula_factors(net, j, wrt=wrt, depth=m))
               for wrt in "bw" for (m, j), v in gradient_factors_bidiagonal(net, wrt=wrt).items())


SHAPES = ([1, 1, 1, 1, 1], [2, 3, 2], [3, 2, 4, 2], [2, 3, 3, 3, 2], [4, 4, 4, 4, 4, 4])


def matrix_implicit(widths) -> bool:
    net = layered_network(widths)
    imp = deltas_implicit(net)
    return all(is_identity(x, y) for l in range(1, net.L + 1) for x, y in zip(delta_eq124(net, l), imp[l - 1]))


def matrix_direct(widths) -> bool:
    net = layered_network(widths)
    return all(is_identity(x, y)
               for l in range(1, net.L + 1) for x, y in zip(delta_eq124(net, l), delta_direct(net, l)))


def timed(fn, L, repeat):
    times, ok = [], True
    for _ in range(repeat):
        clear_cache()  # SymPy memoises; without this, repeats time a cache lookup
        t = time.perf_counter()
        ok &= fn(L)
        times.append(time.perf_counter() - t)
    return statistics.median(times), ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depths", default="4,8,16,32,64")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--naive-max", type=int, default=16,
                   help=f"largest depth for the naive column (default 16; at most {MAX_DIRECT_DEPTH}, where SymPy's "
                        "nested differentiation reaches Python's recursion limit)")
    p.add_argument("--family", default="64,256", help="depths L of the whole-family rows (default 64,256)")
    p.add_argument("--general-max", type=int, default=64,
                   help="largest L for the general-solve family column (default 64; L = 128 took 25 s)")
    p.add_argument("--smoke", action="store_true", help="the smallest setting (depths 4 and 8, once; a test)")
    args = p.parse_args(argv)
    if args.smoke:
        args.depths, args.repeat, args.family, args.general_max = "4,8", 1, "8", 8
    if args.naive_max > MAX_DIRECT_DEPTH:
        p.error(f"--naive-max must be at most {MAX_DIRECT_DEPTH}")
    print("\n".join(state("before")))
    depths = [int(d) for d in args.depths.split(",")]
    print(f"{'L':>4} {'naive s':>10} {'implicit s':>11} {'ratio':>7}  proved")
    total = 0.0
    for L in depths:
        imp, ok = timed(implicit, L, args.repeat)
        total += imp
        if L <= args.naive_max:
            nv, ok2 = timed(naive, L, args.repeat)
            print(f"{L:>4} {nv:>10.3f} {imp:>11.3f} {nv / imp:>6.1f}x  {ok and ok2}")
        else:
            print(f"{L:>4} {'skipped':>10} {imp:>11.3f} {'':>7}  {ok}")
    print(f"family {depths}: {total:.2f} s (implicit, every j of every listed depth)")
    t, ok = timed(implicit_all_depths, max(depths), 1)
    print(f"every depth 1..{max(depths)} and every j from one solve: {t:.2f} s, proved: {ok}")
    print()
    print(f"{'family: every m <= L, every j, b and w':40s} {'general solve s':>16s} {'forward subst. s':>17s} "
          f"{'ratio':>7s}  proved")
    for L in [int(d) for d in args.family.split(",")]:
        fast, ok = timed(family_bidiagonal, L, args.repeat)
        if L <= args.general_max:
            slow, ok2 = timed(family_general, L, 1)
            print(f"{f'L = {L} ({L * (L + 1)} identities)':40s} {slow:>16.3f} {fast:>17.3f} {slow / fast:>6.1f}x  "
                  f"{ok and ok2}")
        else:
            print(f"{f'L = {L} ({L * (L + 1)} identities)':40s} {'skipped':>16s} {fast:>17.3f} {'':>7s}  {ok}")
    print()
    print(f"{'matrix form (124), widths':28s} {'eq124 = implicit s':>19s} {'= direct diff s':>16s}  proved")
    for widths in SHAPES:
        (t_imp, ok_imp), (t_dir, ok_dir) = timed(matrix_implicit, widths, args.repeat), timed(matrix_direct, widths, 1)
        print(f"{str(widths):28s} {t_imp:>19.3f} {t_dir:>16.3f}  {ok_imp and ok_dir}")
        if args.smoke:
            break
    print("\n".join(state("after")))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Claims of the matrix form of backprop: BP1-BP4 and eq. 124 for any widths, its reduction to
the chain (eq. 122), and the norm bound that follows for the sigmoid."""

from __future__ import annotations

import sympy as sp

from numeric.experiments.chapter import norm_bound_ratios
from numeric.networks.network import Network
from numeric.streams import purpose, replica
from theory import C_prime, Step, chain_network, gradient_formula, is_identity, sigma_prime, to_latex
from theory import eq124_widths as E124
from theory import widths as symbolic
from theory.layered import (
    GradC,
    delta_direct,
    delta_eq124,
    deltas_bp,
    deltas_implicit,
    layered_network,
    weight_gradients_implicit,
)
from theory.layered_steps import bp1_base, bp2_step, bp3_bias, bp4_weight

from ..claim import Claim, Evidence, Fact, Part, display

SHAPES = ([1, 1, 1, 1, 1], [2, 3, 2], [3, 2, 4, 2], [2, 3, 3, 3, 2], [4, 4, 4, 4, 4, 4])
PAIR_MAX = 4  # the induction steps are checked for every pair (triple) of widths up to this


def _all_equal(xs, ys) -> bool:
    return all(is_identity(x, y) for x, y in zip(xs, ys))


def reference_deltas(run, widths: tuple) -> tuple[list, list]:
    """Returns (implicit, direct): every delta^l of the network of these widths by implicit differentiation of its
    layer equations and by differentiating the composed network; what both matrix claims compare their route with."""
    net = layered_network(list(widths))
    return deltas_implicit(net), [delta_direct(net, l) for l in range(1, net.L + 1)]


def reference_parts(ctx) -> list[Part]:
    """The parts both claims ask for, one per shape: a run differentiates each network once (``proofs.run.plan``)."""
    return [Part.of(ctx.run, reference_deltas, tuple(w)) for w in SHAPES]


def _shape_facts(ctx, route: str) -> list[Fact]:
    """Facts comparing ``route`` ('bp' or 'eq124') with implicit and direct differentiation."""
    facts = []
    for widths, part in zip(SHAPES, reference_parts(ctx)):
        net = layered_network(widths)
        implicit, direct = ctx.compute(part)
        claimed = deltas_bp(net) if route == "bp" else [delta_eq124(net, l) for l in range(1, net.L + 1)]
        ok = all(_all_equal(c, i) and _all_equal(c, d) for c, i, d in zip(claimed, implicit, direct))
        facts.append(Fact(f"{widths}: every delta^l equals implicit and direct differentiation",
                          ok and len(claimed) == len(implicit) == len(direct) == net.L,
                          "sympy: implicit solve; diff of the composed network; expand"))
    return facts


def _pairs():
    rng = range(1, PAIR_MAX + 1)
    return [(p, q) for p in rng for q in rng]


def _proof_facts(proofs) -> list[Fact]:
    """Facts of the symbolic-width proofs, one per equation."""
    what = {
        "BP1": "BP1 delta^L_p = sigma'(z^L_p) (grad_a C)_p for every output width n_L and every p <= n_L",
        "BP2": "BP2 delta^l_p = sigma'(z^l_p) sum_{j=1}^{n_{l+1}} w^{l+1}_{jp} delta^{l+1}_j for all widths "
               "n_{l-1}, n_l, n_{l+1} and every p <= n_l, the layers above an abstract function of z^{l+1}",
        "BP3": "BP3 dC/db^l_p = delta^l_p for all widths n_{l-1}, n_l and every p <= n_l",
        "BP4": "BP4 dC/dw^l_pq = a^{l-1}_q delta^l_p for all widths n_{l-1}, n_l, every p <= n_l and q <= n_{l-1}",
    }
    how = ("widths as SymPy symbols; sympy.diff of the indexed layer equations (IndexedBase, Idx, Sum); "
           "Sum.doit(); range conditions dropped only where the index range implies them")
    return [Fact(what[P.name] + " (widths symbolic)", P.holds, how, P.statement()) for P in proofs]


def _bridge_facts() -> list[Fact]:
    """Facts that the matrix forms of BP1 and BP2, entry by entry, are the component forms proved."""
    facts = []
    for which in ("BP1", "BP2"):
        entry, indexed, _ = E124.matrix_entry(which)
        form = "Sigma'(z^L) grad_a C" if which == "BP1" else "Sigma'(z^l) (w^{l+1})^T delta^{l+1}"
        facts.append(Fact(f"entry p of the matrix form {form} (matrix symbols with symbolic shapes, a real transpose) "
                          f"equals the component form of {which}", symbolic.same(entry, indexed),
                          "sympy MatrixSymbol entry, Sum.doit(), 0-based indices shifted to 1-based", entry))
    return facts


def _symbolic_steps(proof) -> list[Step]:
    return [Step(s.lhs, s.rhs, relation=s.relation, why=s.why) for s in proof.steps]


def check_bp(ctx) -> Evidence:
    proofs = [symbolic.bp1(), symbolic.bp2(), symbolic.bp3(), symbolic.bp4()]
    facts = _proof_facts(proofs) + _bridge_facts()
    facts += _shape_facts(ctx, "bp")
    pairs = _pairs()
    facts += [
        Fact(f"BP1 delta^L = Sigma'(z^L) grad_a C for every pair of widths up to {PAIR_MAX}",
             all(_all_equal(*bp1_base(p, q)) for p, q in pairs), "sympy.diff", len(pairs)),
        Fact(f"BP3 dC/db^l = dC/dz^l = delta^l for every pair of widths up to {PAIR_MAX}",
             all(_all_equal(*bp3_bias(p, q)) for p, q in pairs), "sympy.diff", len(pairs)),
        Fact(f"BP4 dC/dw^l_jk = a^(l-1)_k delta^l_j for every pair of widths up to {PAIR_MAX}",
             all(_all_equal(*bp4_weight(p, q)) for p, q in pairs), "sympy.diff", len(pairs)),
    ]
    ok = True
    for widths in SHAPES[:3]:
        net = layered_network(widths)
        deltas, grads = deltas_implicit(net), weight_gradients_implicit(net)
        for l in range(net.L):
            prev = net.a0 if l == 0 else sp.Matrix([sp.Symbol(f"a^{{{l}}}_{{{j + 1}}}", real=True)
                                                    for j in range(widths[l])])
            ok &= _all_equal(grads[l], deltas[l] * prev.T)
    facts.append(Fact(f"BP4 on the whole networks {list(SHAPES[:3])} (implicit differentiation in w)", ok, "sympy"))
    statement = sp.Tuple(*(P.statement() for P in proofs))
    latex = r",\quad ".join(to_latex(P.statement()) for P in proofs)
    return Evidence("proved", facts, statement=statement, latex=latex, steps=_symbolic_steps(proofs[1]),
                    numbers={"proved_for": "all widths (symbols n_{l-1}, n_l, n_{l+1})",
                             "supporting_shapes": [list(w) for w in SHAPES], "supporting_pairs_up_to": PAIR_MAX})


def check_eq124(ctx) -> Evidence:
    base, step = symbolic.bp1(), symbolic.bp2()
    induction = E124.eq124_induction()
    (b,), (s,) = _proof_facts([base]), _proof_facts([step])
    facts = [Fact("induction base (l = L): " + b.what, b.holds, b.how, b.value),
             Fact("induction step: " + s.what, s.holds, s.how, s.value), *_bridge_facts()]
    facts += [
        Fact("step in matrix form: if delta^{l+1} = Pi^{l+1} grad_a C then Sigma'(z^l)(w^{l+1})^T delta^{l+1} = "
             "Pi^l grad_a C with Pi^l = Sigma'(z^l)(w^{l+1})^T Pi^{l+1}; shapes n_l, n_{l+1}, n_L symbolic, so this "
             "holds for every depth L and every l", induction["step"], "sympy MatMul of matrix symbols; shapes checked "
             "to chain symbol by symbol", induction["shape"]),
        Fact("base in matrix form: delta^L = Sigma'(z^L) grad_a C = Pi^L grad_a C, shapes symbolic", induction["base"],
             "sympy MatMul shapes"),
        Fact("the displayed product's shapes chain for symbolic widths to n_l x 1, the shape of delta^l",
             induction["display_shapes_chain"], "shapes compared symbol by symbol"),
    ]
    facts += _shape_facts(ctx, "eq124")
    triples = [(p, q, r) for p, q in _pairs() for r in range(1, PAIR_MAX + 1)]
    facts += [
        Fact(f"supporting: BP1 for every pair of widths up to {PAIR_MAX}",
             all(_all_equal(*bp1_base(p, q)) for p, q in _pairs()), "sympy.diff"),
        Fact(f"supporting: BP2 for every triple of widths up to {PAIR_MAX} ({len(triples)} cases)",
             all(_all_equal(*bp2_step(p, q, r)) for p, q, r in triples), "sympy.diff", len(triples)),
    ]
    whys = [r"BP1, for any width $n_L$: the base, $\Pi^L = \Sigma'(z^L)$",
            r"BP2 in matrix form, for any widths, and the hypothesis "
            r"$\delta^{l+1} = \Pi^{l+1} \nabla_a C$",
            r"associativity; $\Pi^l := \Sigma'(z^l)(w^{l+1})^T \Pi^{l+1}$, so (124) holds at $l$, for every depth $L$"]
    steps = _symbolic_steps(step) + [Step(lhs, rhs, why=why) for (lhs, rhs), why in zip(induction["lines"], whys)]
    return Evidence("proved", facts, statement=E124.eq124_display(), steps=steps,
                    numbers={"proved_for":
                             "all widths n_0, ..., n_L and all depths L (widths symbolic; induction on l)",
                             "supporting_shapes": [list(w) for w in SHAPES], "supporting_triples_up_to": PAIR_MAX})


def check_reduces_to_chain(ctx) -> Evidence:
    net = layered_network([1, 1, 1, 1, 1])
    chain = chain_network(4)
    rename = {net.w[l][0, 0]: chain.w[l] for l in range(4)}
    rename |= {net.z[l][0]: chain.z[l] for l in range(4)}
    rename[GradC(sp.Integer(1), net.aL[0])] = C_prime(chain.a[4])
    facts = []
    for l in range(1, 5):
        reduced = delta_eq124(net, l)[0].xreplace(rename)
        facts.append(Fact(f"widths [1,1,1,1,1]: delta^{l} of (124) is the chain formula (122) for dC/db_{l}",
                          is_identity(reduced, gradient_formula(chain, l)),
                          "rename w^l_11 -> w_l, z^l_1 -> z_l; expand",
                          reduced))
    shown = gradient_formula(chain, 1, evaluate=False)
    return Evidence("proved", facts, statement=sp.Eq(sp.Symbol(r"\delta^{1}"), shown, evaluate=False),
                    latex=display(r"\text{widths } [1, 1, 1, 1, 1]:", rf"\delta^1 = {to_latex(shown)}"))


def check_norm_bound(ctx) -> Evidence:
    # exact equality in a constructed case: w^l = c_l I, z = 0, so every Sigma' = I/4
    c, g = [sp.Integer(2), sp.Integer(3), sp.Integer(5)], sp.Matrix([3, 4])
    net = layered_network([2, 2, 2, 2])
    subs = {w: 0 for wl in net.w for w in wl}
    for l, cl in enumerate(c):
        subs |= {net.w[l][0, 0]: cl, net.w[l][1, 1]: cl}
    quarter = {sigma_prime(zj): sp.Rational(1, 4) for zl in net.z for zj in zl}
    grad = {GradC(sp.Integer(j + 1), *net.aL): g[j] for j in range(2)}
    tight = True
    for l in range(1, 4):
        d = delta_eq124(net, l).xreplace(subs).xreplace(quarter).xreplace(grad)
        bound = sp.Rational(1, 4) ** (3 - l + 1) * sp.prod(c[l:]) * g.norm()
        tight &= sp.simplify(d.norm() - bound) == 0
    data = ctx.data().training.head(200)
    worst, sigma_norm = {}, 0.0
    for init, scale in (("default", 1), ("large", 1), ("large", 10)):
        nn = Network([784, 30, 30, 30, 10], cost="quadratic", init=init, rng=purpose(replica(ctx.run.seed, 0), "init"))
        nn.weights = [w * scale for w in nn.weights]
        ratios, s_norm = norm_bound_ratios(nn, data.x, data.y)
        worst[f"{init} x{scale}"] = max(ratios)
        sigma_norm = max(sigma_norm, s_norm)
    facts = [
        Fact("equality for w^l = c_l I and z = 0: ||delta^l|| equals the bound exactly "
             "(c = 2, 3, 5; grad_a C = (3, 4))",
             tight, "sympy, exact"),
        Fact("on the network below, every ||Sigma'(z^l)||_2 (the largest sigma'(z^l_j)) is at most 1/4",
             sigma_norm <= 0.25, "numpy", f"{sigma_norm:.6g}"),
        Fact("NumPy network [784, 30, 30, 30, 10] on 200 real digits, default, large and 10x large weights: every "
             "||delta^l|| / bound <= 1", all(v <= 1 for v in worst.values()), "numpy backprop, float64",
             {k: f"{v:.3g}" for k, v in worst.items()}),
    ]
    steps = [
        Step(r"\|\delta^l\|", r"\|\Sigma'(z^l)\|\,\|(w^{l+1})^T\| \cdots \|\Sigma'(z^L)\|\,\|\nabla_a C\|",
             relation="<=", why=r"(124) and $\|AB\| \le \|A\|\,\|B\|$; every norm here is the spectral (2-)norm"),
        Step(r"\|\Sigma'(z)\|", r"\max_j \sigma'(z_j) \le \tfrac14",
             why=r"a diagonal matrix, and $\max_z \sigma'(z) = 1/4$"),
        Step(r"\|\delta^l\|", r"\bigl(\tfrac14\bigr)^{L-l+1} \|w^{l+1}\| \cdots \|w^L\|\, \|\nabla_a C\|",
             relation="<=", why=r"$\|A^T\| = \|A\|$"),
    ]
    latex = (r"\|\delta^l\|_2 \le \Bigl(\frac14\Bigr)^{L-l+1} \|w^{l+1}\|_2 \cdots \|w^L\|_2\, \|\nabla_a C\|_2")
    return Evidence("verified", facts, latex=latex, steps=steps,
                    numbers={"largest_ratio": {k: float(v) for k, v in worst.items()}})


CLAIMS = [
    Claim("bp1-bp4-matrix-form", "ch. 2, BP1-BP4", "The four equations of backpropagation, for all widths", check_bp,
          group="matrix", cost=4.0, parts=reference_parts,
          latex_title="The four equations of backpropagation, for all widths $n_{l-1}, n_l, n_{l+1}$"),
    Claim("eq124-matrix-delta", "(124)",
          "delta^l as a product of Sigma' and transposed weights, for all widths and depths",
          check_eq124, tag="124", group="matrix", cost=3.0, parts=reference_parts,
          latex_title=r"$\delta^l$ as a product of $\ugSigmaprime$ and transposed weights, for all widths $n_0, "
                      r"\ldots, n_L$ and all depths $L$"),
    Claim("eq124-reduces-to-eq122", "(124), (122)", "With one neuron per layer, (124) is the chain formula (122)",
          check_reduces_to_chain, group="matrix",
          latex_title="With one neuron per layer, (124) is the chain formula (122)"),
    Claim("delta-norm-bound", "(124); Pascanu, Mikolov and Bengio 2013",
          "||delta^l|| <= (1/4)^(L-l+1) prod ||w|| ||grad C||",
          check_norm_bound, group="matrix",
          latex_title=r"$\|\delta^l\| \le (1/4)^{L-l+1} \prod_k \|w^k\|\,\|\nabla_a C\|$",
          cites=("nielsen2015", "pascanu2013")),
]

"""Plant named formula errors into a scratch copy of the project, one at a time, and check that the
default test command (``pytest``) rejects every one of them.

    python scripts/mutation_check.py               # all mutants, 2 at a time
    python scripts/mutation_check.py --list        # the mutants, one line each
    python scripts/mutation_check.py --only NAME[,NAME...] --jobs 1 [--update-map]

Each mutant is a realistic mistake (a dropped factor, a missing transpose, an index off by one, sigma
for sigma', a wrong constant or sign, a wrong protocol) given as an exact text replacement in one file;
a replacement whose text no longer occurs exactly once is reported as STALE (the list must follow the
code). The project is copied once per worker (without .git, .venv and results); each mutant is written
into the copy and ``python -m pytest -x -q -p no:cacheprovider`` runs there with CI=true (the
derandomised hypothesis profile) in steps until one fails: ``map``, the tests that killed the mutant
last time (scripts/mutation_killers.json; --update-map rewrites it from the run); ``related``, the test
files that name the mutated module; ``suite``, the whole default suite, the only step that can let a
mutant survive. Prints a table (mutant, step, killed by which test, seconds), the kill rate and the
kills per step; exits 1 unless every mutant is killed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".git", ".venv", "results", "__pycache__", ".pytest_cache", ".hypothesis",
                                "*.egg-info", "build")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str


M = Mutant
MUTANTS = [
    # theory/: the chain network, eq. 122
    M("eq122 drops the weight w_k", "theory/chain.py",
      "factors += [net.w[k], sp_[k]]", "factors += [sp_[k]]"),
    M("eq122 product starts a layer late", "theory/chain.py",
      "for k in range(j, m):", "for k in range(j + 1, m):"),
    M("dC/dw_j uses a_j for a_{j-1}", "theory/chain.py",
      'factors = [net.a[j - 1]] if wrt == "w" else []', 'factors = [net.a[j]] if wrt == "w" else []'),
    M("exact sigma' without the square", "theory/notation.py",
      "return sp.exp(-z) / (1 + sp.exp(-z)) ** 2", "return sp.exp(-z) / (1 + sp.exp(-z))"),
    M("exact quadratic cost without 1/2", "theory/notation.py", "return (a - y) ** 2 / 2", "return (a - y) ** 2"),
    M("exact cross-entropy with a wrong sign", "theory/notation.py",
      "return -(y * sp.log(a) + (1 - y) * sp.log(1 - a))", "return -(y * sp.log(a) - (1 - y) * sp.log(1 - a))"),
    # theory/: induction, cascade, consequences
    M("induction step with w_j for w_{j+1}", "theory/induction.py",
      'return d_bj, sigma_prime(z_j) * s["w_{j+1}"] * d_bj1', 'return d_bj, sigma_prime(z_j) * s["w_j"] * d_bj1'),
    M("induction base with sigma for sigma'", "theory/induction.py",
      'claimed = sigma_prime(s["z_L"]) * C_prime(s["a_L"])', 'claimed = sigma(s["z_L"]) * C_prime(s["a_L"])'),
    M("weight step drops a_{j-1}", "theory/induction.py",
      'return sp.diff(cost, s["w_j"]), s["a_{j-1}"] * sp.diff(cost, s["b_j"])',
      'return sp.diff(cost, s["w_j"]), sp.diff(cost, s["b_j"])'),
    M("cascade drops dz/da", "theory/cascade.py", "coeff = coeff * dz_da[k - 1]", "coeff = coeff * 1"),
    M("exploding construction with +w a_{j-1}", "theory/consequences.py",
      "values[net.b[j - 1]] = -weight * a_prev", "values[net.b[j - 1]] = weight * a_prev"),
    M("ratio dC/db_2 over dC/db_3", "theory/consequences.py",
      "ratio = gradient_formula(net, 1) / gradient_formula(net, 3)",
      "ratio = gradient_formula(net, 2) / gradient_formula(net, 3)"),
    M("P(|w| < 1) = erf(1/2)", "theory/consequences.py",
      "closed = sp.erf(bound / sp.sqrt(2))", "closed = sp.erf(bound / 2)"),
    # theory/: the matrix form
    M("eq124 without the transposes", "theory/layered.py",
      "factors += [net.w[k - 1].T, Sigma_prime(net.z[k - 1])]", "factors += [net.w[k - 1], Sigma_prime(net.z[k - 1])]"),
    M("eq124 skips a layer", "theory/layered.py",
      "for k in range(l + 1, net.L + 1):", "for k in range(l + 2, net.L + 1):"),
    M("BP2 with w^l for w^{l+1}", "theory/layered.py",
      "deltas.insert(0, Sigma_prime(net.z[l - 1]) * net.w[l].T * deltas[0])",
      "deltas.insert(0, Sigma_prime(net.z[l - 1]) * net.w[l - 1].T * deltas[0])"),
    M("Sigma' built from sigma", "theory/layered.py",
      "return sp.diag(*[sigma_prime(zj) for zj in z])", "return sp.diag(*[sigma(zj) for zj in z])"),
    M("BP2 step drops Sigma'", "theory/layered_steps.py",
      "return d_b, Sigma_prime(z) * w_next.T * d_b_next", "return d_b, w_next.T * d_b_next"),
    # theory/widths.py, indexed.py, eq124_widths.py: BP1-BP4, (124), symbolic widths; chain_implicit.py: L <= 256
    M("symbolic widths: w^{l+1} index transposed", "theory/widths.py",
      "sp.Sum(S.w_next[row, S.k] * sigma(z_layer(S, S.k))", "sp.Sum(S.w_next[S.k, row] * sigma(z_layer(S, S.k))"),
    M("symbolic widths: sigma missing above layer l", "theory/widths.py",
      "S.w_next[row, S.k] * sigma(z_layer(S, S.k))", "S.w_next[row, S.k] * z_layer(S, S.k)"),
    M("symbolic widths: every range condition taken as implied", "theory/indexed.py",
      "return _nonneg_given_ranges(gap(condition), indices)", "return True"),
    M("symbolic widths: shapes not really compared", "theory/eq124_widths.py",
      "return all(a.shape[1] == b.shape[0] for a, b in zip(factors, factors[1:]))", "return True"),
    M("deep family: forward substitution skips a layer's factor", "theory/chain_implicit.py",
      "x = x + sub[m - 1]", "x = x + sub[m - 1][1:]"),
    M("deep family: products compared as sets", "theory/chain_implicit.py",
      "or dict.__eq__(Counter(lhs), Counter(rhs))", "or set(lhs) == set(rhs)"),
    # theory/recurrent.py, theory/recurrent_matrix.py, theory/lstm.py: the recurrent group
    M("recurrent product drops w", "theory/recurrent.py",
      "out += [net.w, sigma_prime(net.z[t - 1])]", "out += [sigma_prime(net.z[t - 1])]"),
    M("recurrent induction step claims no w", "theory/recurrent.py",
      'return derived, s["w"] * sigma_prime(z) * sp.diff(hT, s["h_k"])',
      'return derived, sigma_prime(z) * sp.diff(hT, s["h_k"])'),
    M("recurrent gamma of tanh 1/2", "theory/recurrent.py",
      '("tanh", sp.tanh(z), sp.Integer(1), sp.Integer(0))', '("tanh", sp.tanh(z), sp.Rational(1, 2), sp.Integer(0))'),
    M("recurrent one step with W transposed", "theory/recurrent_matrix.py",
      '"claimed": sigma_prime(S["z"][S["p"]]) * S["W"][S["p"], S["r"]]',
      '"claimed": sigma_prime(S["z"][S["p"]]) * S["W"][S["r"], S["p"]]'),
    M("recurrent explicit product in the wrong order", "theory/recurrent_matrix.py",
      'out = Sigma_prime(z) * net["W"] * out', 'out = out * Sigma_prime(z) * net["W"]'),
    M("LSTM cell ignores the forget gate", "theory/lstm.py",
      'c = gate["f"] * c_prev + gate["i"] * gate["g"]', 'c = c_prev + gate["i"] * gate["g"]'),
    M("LSTM dc/dh misses the cell input's path", "theory/lstm.py",
      '+ g["i"] * tanh_prime(a["g"]) * s["r_g"]', "+ 0"),
    # numeric/networks/rnn.py, numeric/networks/lstm.py, numeric/recurrent_*.py, proofs/bridge_recurrent.py
    M("RNN backward leaves W out", "numeric/networks/rnn.py", "    return np.matmul(dz, W)", "    return dz"),
    M("sigmoid' through the output as a", "numeric/activations.py",
      '"sigmoid": (sigmoid_via_tanh, lambda a: a * (1 - a))', '"sigmoid": (sigmoid_via_tanh, lambda a: a)'),
    M("sup |tanh'| as 1/4", "numeric/activations.py",
      'SUP_DERIVATIVE = {"sigmoid": 0.25, "tanh": 1.0,', 'SUP_DERIVATIVE = {"sigmoid": 0.25, "tanh": 0.25,'),
    M("mpmath sigmoid' without its square", "numeric/activations.py",
      "    return e / (1 + e) ** 2\n\n\n# name: (phi, phi') in mpmath",
      "    return e / (1 + e)\n\n\n# name: (phi, phi') in mpmath"),
    M("LSTM backward ignores the forget gate", "numeric/networks/lstm.py", "    return dc * f", "    return dc"),
    M("LSTM gates as sigma(2a)", "numeric/networks/lstm.py", "np.full(3 * n, 0.5)", "np.full(3 * n, 1.0)"),
    M("recurrent learned by the mean", "numeric/experiments/recurrent_runs.py",
      'return bool(np.median(run["test_chosen"]) >= protocol.learned)',
      'return bool(np.mean(run["test_chosen"]) >= protocol.learned)'),
    M("recurrent fitted rate inverted", "numeric/experiments/recurrent_runs.py",
      "rates.append(np.exp(slope))", "rates.append(np.exp(-slope))"),
    M("recurrent diverged seed not at chance", "numeric/experiments/recurrent_task.py",
      "test = np.where(live > 0, accuracy(net, forward, xt, yt), 1 / K)", "test = accuracy(net, forward, xt, yt)"),
    M("recurrent bridge product reversed", "proofs/bridge_recurrent.py", "for St in reversed(S):", "for St in S:"),
    # numeric/experiments/meanfield.py: beyond the chapter
    M("mean field: chi_1 with phi for phi'", "numeric/experiments/meanfield.py",
      "    _, dphi = _check(activation)\n", "    dphi, _ = _check(activation)\n"),
    M("mean field: variance map without sigma_b^2", "numeric/experiments/meanfield.py",
      "gaussian_expectation(lambda x: phi(x) ** 2, q) + mpmath.mpf(sigma_b) ** 2",
      "gaussian_expectation(lambda x: phi(x) ** 2, q)"),
    M("mean field: RMS norm as a mean of norms", "numeric/experiments/meanfield.py",
      "float(np.sqrt(np.mean(np.sum(d.astype(np.float64) ** 2, axis=1))))",
      "float(np.mean(np.sqrt(np.sum(d.astype(np.float64) ** 2, axis=1))))"),
    # theory/correlation.py, numeric/experiments/correlation.py, stacked.py, propagation.py, phase.py: the phase diagram
    M("correlation map: the pair's second input with sqrt(1 - c) (SymPy)", "theory/correlation.py",
      "sp.sqrt(qv) * (cv * z1 + sp.sqrt(1 - cv**2) * z2)", "sp.sqrt(qv) * (cv * z1 + sp.sqrt(1 - cv) * z2)"),
    M("correlation map: the wrong bivariate correlation (float)", "numeric/experiments/correlation.py",
      "+ np.sqrt(np.clip(1 - c * c, 0, None))[..., None, None] * _Z2)",
      "+ np.clip(1 - c, 0, None)[..., None, None] * _Z2)"),
    M("correlation map: the wrong bivariate correlation (mpmath)", "numeric/experiments/correlation.py",
      "s, r = mpmath.sqrt(q), mpmath.sqrt(1 - c * c)", "s, r = mpmath.sqrt(q), mpmath.sqrt(1 - c)"),
    M("chi_c without sigma_w^2 (float)", "numeric/experiments/correlation.py",
      "chic[k] = s2[k] * _pair(dphi, q[k], q[k], cs[k])", "chic[k] = _pair(dphi, q[k], q[k], cs[k])"),
    M("chi_c without sigma_w^2 (mpmath)", "numeric/experiments/correlation.py",
      "            chic = sw2 * pair_expectation(activation, q, cs, derivative=True, dps=dps)\n        return",
      "            chic = pair_expectation(activation, q, cs, derivative=True, dps=dps)\n        return"),
    M("xi_c = 1/ln chi_c (sign lost)", "numeric/experiments/correlation.py",
      '"xi_c": -1 / np.log(chic),', '"xi_c": 1 / np.log(chic),'),
    M("edge of chaos without sigma_b^2", "numeric/experiments/correlation.py",
      "qc = mpmath.findroot(lambda v: a(v) / b(v) + sb2 - v, mpmath.mpf(q0))",
      "qc = mpmath.findroot(lambda v: a(v) / b(v) - v, mpmath.mpf(q0))"),
    M("stacked kernel: BP2 without phi'", "numeric/networks/stacked.py",
      "d_u = ex[l] = grad_a * dphi(u)", "d_u = ex[l] = grad_a"),
    M("phase stack: every replica steps with one group's mini-batch", "numeric/networks/phase_stack.py",
      "idx = np.stack([o[:batch] for o in orders])", "idx = np.stack([orders[0][:batch] for o in orders])"),
    M("propagation: backward without phi'", "numeric/experiments/propagation.py",
      "delta = (delta @ ws[l + 1]) * dphi(zs[l])", "delta = delta @ ws[l + 1]"),
    M("phase criterion: beyond xi_c instead of 6 xi_c", "numeric/experiments/phase.py",
      "beyond, inside = depth > p.beyond * xi, depth <= p.inside * xi",
      "beyond, inside = depth > xi, depth <= p.inside * xi"),
    # numeric/networks/deep.py, numeric/activations.py, numeric/stacked*.py, numeric/remedies*.py: the remedies
    M("batch norm backward without the mean term", "numeric/networks/deep.py",
      "(m * d_zhat - d_zhat.sum(axis=0) - zhat *", "(m * d_zhat - zhat *"),
    M("residual skip left out of the backward pass", "numeric/networks/deep.py",
      "grad_a = prev + grad_a if self._skip(l) else prev", "grad_a = prev"),
    M("tanh' at half its value", "numeric/activations.py",
      "return 4 * e / (1 + e) ** 2", "return 2 * e / (1 + e) ** 2"),
    M("momentum pushes uphill", "numeric/networks/deep.py", "v -= eta * gr", "v += eta * gr"),
    M("log-likelihood cost with a wrong sign", "numeric/activations.py",
      "lse * y.sum(axis=-1) - np.sum(z * y, axis=-1)", "lse * y.sum(axis=-1) + np.sum(z * y, axis=-1)"),
    M("stacked batch norm backward without the mean term", "numeric/networks/stacked.py",
      "(m * d_zhat - d_zhat.sum(axis=1, keepdims=True)", "(m * d_zhat"),
    M("stacked residual skip left out of the backward pass", "numeric/networks/stacked.py",
      "grad_a = prev + grad_a if self.residual and 0 < l < L - 1 else prev", "grad_a = prev"),
    M("stacked per-example RMS as a mean of norms", "numeric/networks/stacked.py",
      "np.sqrt(np.mean(np.sum(e.astype(float) ** 2, axis=2), axis=1))",
      "np.mean(np.sqrt(np.sum(e.astype(float) ** 2, axis=2)), axis=1)"),
    M("stacked momentum pushes uphill", "numeric/networks/stacked_sgd.py", "velocity[i] -= g", "velocity[i] += g"),
    M("stacked clipping measures the gradient scaled by eta/m", "numeric/networks/stacked_sgd.py",
      "norm = np.divide(norm, etas, out=np.zeros(S), where=etas > 0)",
      "norm = np.divide(norm, step, out=np.zeros(S), where=step > 0)"),
    M("remedies: mean field with sigma_w^2 for sigma_w", "numeric/experiments/remedies.py",
      "sigma_w = float(np.sqrt(width * weight_variance(init, width, width)))",
      "sigma_w = float(width * weight_variance(init, width, width))"),
    M("remedies: diverged seeds filled with the survivors' median", "numeric/experiments/remedies_run.py",
      "return np.where(np.isnan(v), CHANCE, v)", "return np.where(np.isnan(v), np.nanmedian(v), v)"),
    M("remedies: streams by seed arithmetic", "numeric/streams.py",
      "for s in replica_streams(base_seed, count)]",
      "for s in (np.random.SeedSequence(int(base_seed) + k) for k in range(int(count)))]"),
    M("pre-training: encoder backprop with a wrong sigma' (h(1 + h))", "numeric/networks/pretrain.py",
      "d_z = np.matmul(d_s, W.transpose(0, 2, 1)) * h * (1 - h)",
      "d_z = np.matmul(d_s, W.transpose(0, 2, 1)) * h * (1 + h)"),
    M("pre-training: decoder backprop keeps the sigma' that cross-entropy cancels", "numeric/networks/pretrain.py",
      "d_s = sigmoid(np.matmul(h, W) + c[:, None, :]) - a",
      "d_s = sigmoid(np.matmul(h, W) + c[:, None, :]) - a; d_s = d_s * (d_s + a) * (1 - d_s - a)"),
    M("pre-training: tied weights miss the decoder's share of dC/dW", "numeric/networks/pretrain.py",
      "nabla_w = np.matmul(h.transpose(0, 2, 1), d_s) + np.matmul(d_z.transpose(0, 2, 1), a)",
      "nabla_w = np.matmul(d_z.transpose(0, 2, 1), a)"),
    M("pre-training: the next layer trained on the layer below's inputs, not its code", "numeric/networks/pretrain.py",
      "a = encode(W, b, np.broadcast_to(a, (len(nets),) + a.shape[-2:]) if a.ndim == 2 else a)",
      "a = a if a.shape[-1] == W.shape[1] else encode(W, b, np.broadcast_to(a, (len(nets),) + a.shape[-2:]) "
      "if a.ndim == 2 else a)"),
    M("pre-training: a skipped pre-training passes its check", "proofs/pretraining_facts.py",
      'ran, drops[f"H={h}"] = False, "no pre-training record"', 'drops[f"H={h}"] = "no pre-training record"'),
    M("remedies: the width sweep ignores the averaging gap", "proofs/claims/remedies.py",
      "np.log10(av[w] / pe[w] / gap)", "np.log10(av[w] / pe[w])"),
    M("saturation: sigmoid outputs pass as Glorot and Bengio's", "numeric/experiments/saturation.py",
      'theirs = stack.output == "softmax" and stack.cost.name == "log-likelihood" and zero',
      "theirs = zero"),
    # theory/: bounds, sigmoid facts, identity neuron, activations
    M("eq123 with 1/|w|", "theory/bounds.py", "return 2 / Wexpr * sp.log(", "return 1 / Wexpr * sp.log("),
    M("width in r with 1 + r^2", "theory/bounds.py",
      "return (1 - r**2) * sp.atanh(r)", "return (1 + r**2) * sp.atanh(r)"),
    M("threshold |w|/2", "theory/bounds.py",
      "peak = W * sp.nsimplify(sigmoid_prime(sp.Integer(0)))",
      "peak = 2 * W * sp.nsimplify(sigmoid_prime(sp.Integer(0)))"),
    M("max sigma' gap with 1/2", "theory/sigmoid_facts.py",
      "gap = sp.Rational(1, 4) - s * (1 - s)", "gap = sp.Rational(1, 2) - s * (1 - s)"),
    M("sigma'(0) evaluated at 1", "theory/sigmoid_facts.py",
      '"sigma_prime_at_0": sp.nsimplify(sigmoid_prime(sp.Integer(0))),',
      '"sigma_prime_at_0": sp.nsimplify(sigmoid_prime(sp.Integer(1))),'),
    M("identity neuron with w_2 = 2/w_1", "theory/identity_neuron.py", "w2 = 4 / w1", "w2 = 2 / w1"),
    M("identity neuron with bias +w_1/2", "theory/identity_neuron.py", "b = -w1 / 2", "b = w1 / 2"),
    M("identity error bound loosened (symbolic)", "theory/identity_neuron.py",
      '"bound at u": (sp.Rational(1, 2) * (u / 2) ** 3 / 3),', '"bound at u": (sp.Rational(1, 2) * (u / 2) ** 3 / 2),'),
    M("tanh activation as tanh(2z)", "theory/activations.py", '"tanh": sp.tanh(z),', '"tanh": sp.tanh(2 * z),'),
    # numeric/: functions and the network
    M("sigmoid with the tails swapped", "numeric/functions.py",
      "return np.where(z >= 0, 1.0, e) / (1.0 + e)", "return np.where(z >= 0, e, 1.0) / (1.0 + e)"),
    M("float sigma' without the square", "numeric/functions.py", "np.minimum(e / (1.0 + e) ** 2, 0.25)",
      "np.minimum(e / (1.0 + e), 0.25)"),
    M("quadratic cost without 1/2", "numeric/functions.py",
      "return 0.5 * np.sum((a - y) ** 2, axis=-1)", "return np.sum((a - y) ** 2, axis=-1)"),
    M("quadratic delta without sigma'", "numeric/functions.py",
      "return (a - y) * sigmoid_prime(z)", "return (a - y)"),
    M("softplus as ln(1 + e) ~ e", "numeric/functions.py",
      "np.log1p(np.exp(-np.abs(x)))", "np.exp(-np.abs(x))"),
    M("backprop BP2 with sigma'(z^{l+1})", "numeric/networks/kernel.py",
      "delta *= sigmoid_prime(zs[l - 1]) if zs", "delta *= sigmoid_prime(zs[l]) if zs"),
    M("L2 term without 1/2", "numeric/networks/network.py",
      "reg = 0.5 * (lmbda / len(y)) * sum(", "reg = (lmbda / len(y)) * sum("),
    M("default init N(0, 1/n_in^2)", "numeric/networks/network.py",
      "(lambda n_in: 1.0 / np.sqrt(n_in))", "(lambda n_in: 1.0 / n_in)"),
    M("SGD decays by eta lmbda / m", "numeric/networks/kernel.py",
      "np.asarray(lmbdas, dtype=np.float64) / n)", "np.asarray(lmbdas, dtype=np.float64) / m)"),
    M("SGD step without eta/m", "numeric/networks/kernel.py",
      "_step(W, B, buf, eta / idx.shape[1], decay, quadratic)", "_step(W, B, buf, eta, decay, quadratic)"),
    M("SGD quadratic BP1 without sigma'", "numeric/networks/kernel.py",
      "    if quadratic:  # BP1", "    if False:  # BP1"),
    M("replicas' quadratic BP1 without sigma'", "numeric/networks/kernel.py",
      'if cost == "quadratic":\n            delta *=', 'if False:\n            delta *='),
    M("replicas full batch decays by eta lmbda", "numeric/networks/replicas.py",
      "decay = 1.0 - eta * lmbda / len(x)", "decay = 1.0 - eta * lmbda"),
    M("training and replicas' BP2 with a for sigma'", "numeric/networks/kernel.py",
      "np.subtract(1.0, a, out=out)\n    out *= a", "np.copyto(out, a)"),
    M("experiments' 1-norm is Euclidean", "numeric/experiments/experiments.py",
      "return np.abs(grads).sum(axis=-1)", "return np.linalg.norm(grads, axis=-1)"),
    M("book protocol trains with mini-batches of 10", "numeric/experiments/protocols.py",
      "epochs=500, mini_batch_size=None, eta=0.1,", "epochs=500, mini_batch_size=10, eta=0.1,"),
    # independent streams, seed statistics and the experiments' two-sided criteria
    M("replicas shuffle with their initial-draw stream", "numeric/networks/replicas.py",
      'rngs = [generator(s, "shuffle") for s in self.streams]', 'rngs = [generator(s, "init") for s in self.streams]'),
    M("every purpose gets the same child stream", "numeric/streams.py",
      "spawn(len(purposes))[purposes.index(name)]", "spawn(len(purposes))[0]"),
    M("replica streams by seed arithmetic", "numeric/streams.py",
      "return sequence(base_seed).spawn(int(count))",
      "return [np.random.SeedSequence(_sequence(base_seed).entropy + k) for k in range(int(count))]"),
    M("median interval one order statistic short", "numeric/stats.py",
      '"lo": float(v[k - 1]), "hi": float(v[s - k])', '"lo": float(v[k - 1]), "hi": float(v[s - k - 1])'),
    M("sign-flip test two-sided", "numeric/stats.py",
      "return float(np.mean(means >= observed - 1e-12 * max(1.0, abs(observed))))",
      "return float(np.mean(np.abs(means) >= abs(observed) - 1e-12 * max(1.0, abs(observed))))"),
    M("mean field: alternative q* = 1 evaluated at q*", "numeric/experiments/meanfield.py",
      '"q* = 1": mpmath.sqrt(chi_1(activation, 1, sigma_w)),', '"q* = 1": mpmath.sqrt(chi_1(activation, q, sigma_w)),'),
    M("mean field: factor from layers 1-3 (q^1 is not q*)", "proofs/claims/meanfield_width.py",
      'out["factor"].append(np.sqrt(r[1] / r[3]))', 'out["factor"].append(np.sqrt(r[0] / r[2]))'),
    M("accuracy: a significant drop passes", "proofs/claims/accuracy.py",
      'bool(size <= c["book_spread"] or not significant)', 'bool(size <= c["book_spread"] or significant)'),
    M("training: first layer slowest at the last epoch only", "proofs/claims/training.py",
      "    worst = int(np.argmin(med))\n", "    worst = len(med) - 1\n"),
    M("training: 'learns' judged on the deepest network", "proofs/claims/training.py",
      "        if sizes == min(runs, key=len):", "        if sizes == max(runs, key=len):"),
    M("glorot: the band judged at the lowest-top probe only", "proofs/claims/glorot.py",
      "    at = int(np.argmax(np.where(window, score, -np.inf)))", "    at = k"),
    M("replica k's stream is the base seed's own", "numeric/streams.py",
      "    return child(base_seed, int(k))", "    return sequence(base_seed)"),
    # numeric/experiments/width.py: eq. 123 in mpmath
    M("width slope 1 - r artanh r", "numeric/experiments/width.py",
      "return 1 - r * (ctx.log(1 + r) - ctx.log(1 - r))", "return 1 - r * (ctx.log(1 + r) - ctx.log(1 - r)) / 2"),
    M("numeric eq123 with 1/|w|", "numeric/experiments/width.py",
      "return 2 / W * mpmath.log(W * (1 + mpmath.sqrt(1 - 4 / W)) / 2 - 1)",
      "return 1 / W * mpmath.log(W * (1 + mpmath.sqrt(1 - 4 / W)) / 2 - 1)"),
    M("interval ends at half the logit", "numeric/experiments/width.py",
      "x = mpmath.log((1 + r) / (1 - r))", "x = mpmath.log((1 + r) / (1 - r)) / 2"),
    M("identity error bound loosened (numeric)", "numeric/experiments/width.py",
      '"uniform_bound": w1**2 / 96', '"uniform_bound": w1**2 / 48'),
    # proofs/bridge.py: the one lambdify bridge
    M("bridge cross-entropy dC/da with a wrong sign", "proofs/bridge.py",
      "return (a - y) / (a * (1 - a))", "return (y - a) / (a * (1 - a))"),
    M("eq124 matrix-symbol form without transposes", "theory/layered.py", "factors += [Wk.T, Sk]",
      "factors += [Wk, Sk]"),
    M("bridge lambdifies the product for the wrong layer", "proofs/bridge.py",
      "_, expr, (S, W, g) = eq124_matrix_symbols(widths, l)",
      "_, expr, (S, W, g) = eq124_matrix_symbols(widths, max(1, l - 1))"),
    M("bridge float sigma' without the square", "proofs/bridge.py",
      "    e = math.exp(-abs(z))\n    return e / (1 + e) ** 2", "    e = math.exp(-abs(z))\n    return e / (1 + e)"),
    M("bridge mpmath sigma' without the square", "proofs/bridge.py",
      "    e = mpmath.exp(-abs(z))\n    return e / (1 + e) ** 2",
      "    e = mpmath.exp(-abs(z))\n    return e / (1 + e)"),
    # the output folder and the decoders' caps (issue 21)
    M("network parameter count without the biases", "numeric/data/persist.py",
      "count = sum(n_in * n_out + n_out for", "count = sum(n_in * n_out for"),
    M("pickle stand-in admits any codec, without a budget", "numeric/data/pickled_arrays.py",
      '        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):\n            raise',
      '        return __import__("codecs").encode(text, encoding)\n        if False:\n            raise'),
    M("output folder replaces the user's file without a backup", "proofs/export/outdir.py",
      "            backup = keep_backup(self.root / rel, reserved={self.root / r for r in self.allowed or ()})",
      "            backup = self.root / (rel + '.bak')"),
    M("output folder writes the files before the manifest", "proofs/export/outdir.py",
      "            self.manifest.save()\n        for rel in changed:  # (3) each file atomically",
      "            pass\n        for rel in changed:  # (3) each file atomically"),
    # proofs/: the export (digits before "...", the book's numbers, Markdown escaping)
    M("digits before '...' rounded, not truncated", "proofs/latex_text.py",
      "        n = int(mpmath.floor(x * mpmath.mpf(10) ** (digits - 1 - e)))\n        if n < 10",
      "        n = int(mpmath.nint(x * mpmath.mpf(10) ** (digits - 1 - e)))\n        if n < 10"),
    M("cascade numbered one off from the book", "theory/cascade.py", 'tag="114"', 'tag="115"'),
    M("REPORT.md text left unescaped", "proofs/export/markdown.py",
      'return re.sub(r"([\\\\`*_|<\\[\\]])", r"\\\\\\1", str(s))', "return str(s)"),
    # proofs/: the LaTeX layout (a number beside its display in a column; no page left mostly blank)
    M("statements never broken for a column", "proofs/export/latex_fragments.py",
      "LINE_WIDTH = 190  # pt", "LINE_WIDTH = 1000  # pt"),
    M("a wide display broken only once", "proofs/export/latex_fragments.py",
      'return [line[:cut].rstrip()] + _break(r"\\quad " + line[cut:].strip())',
      'return [line[:cut].rstrip(), r"\\quad " + line[cut:].strip()]'),
    M("main.tex clears the page after each claim's figures", "proofs/export/latex_main.py",
      """out.append(rf"\\input{{{r['id']}-figures}}%")""",
      """out.append(rf"\\input{{{r['id']}-figures}}\\clearpage")"""),
]

FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)
KILLERS = Path(__file__).with_name("mutation_killers.json")  # mutant name -> test node ids that killed it last
NOT_RUN = (4, 5)  # pytest's exit codes for a node id that no longer exists / no test collected


def related_tests(root: Path, path: str) -> list[str]:
    """Returns the default test files that name the mutated module (its dotted name, or its stem as a word)."""
    pattern = re.compile(rf"(?:{re.escape(path[:-3].replace('/', '.'))}|\b{re.escape(Path(path).stem)}\b)")
    return [str(f.relative_to(root)) for f in sorted((root / "tests").glob("test_*.py"))
            if pattern.search(f.read_text(encoding="utf-8"))]


def run_steps(steps: list[tuple[str, list[str]]], scratch: Path, timeout: float) -> tuple[str, str, str]:
    """Returns (status, step, by): runs ``pytest -x`` in ``scratch`` on each step's node ids or files (none:
    the whole default suite) until one fails. A subset that fails kills (the tests are independent); one
    that passes or names no existing test (exit 4 or 5) passes the mutant on to the next step."""
    env = os.environ | {"CI": "true", "PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    for step, args in steps:
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args],
                                  cwd=scratch, env=env, capture_output=True, text=True,
                                  timeout=max(1.0, timeout - (time.perf_counter() - start)))
        except subprocess.TimeoutExpired:
            return "killed", step, f"timeout after {timeout:.0f} s"
        if proc.returncode != 0 and (not args or proc.returncode not in NOT_RUN):
            out = proc.stdout + proc.stderr
            match = FAILED.search(out)
            return "killed", step, match.group(1) if match else (out.strip().splitlines() or ["?"])[-1][:70]
    return "SURVIVED", "suite", "-"


def run_mutant(mutant: Mutant, scratch: Path, timeout: float, killers: dict) -> dict:
    """Plants one mutant into ``scratch``, runs its steps (map, related, suite), restores the file."""
    target = scratch / mutant.path
    original = target.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        return {"mutant": mutant, "status": "STALE", "step": "-", "seconds": 0.0,
                "by": f"text found {original.count(mutant.old)} times"}
    target.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
    start = time.perf_counter()
    steps = [("map", killers.get(mutant.name, [])), ("related", related_tests(scratch, mutant.path)), ("suite", [])]
    try:
        status, step, by = run_steps([s for s in steps if s[0] == "suite" or s[1]], scratch, timeout)
    finally:
        target.write_text(original, encoding="utf-8")
    return {"mutant": mutant, "status": status, "step": step, "by": by, "seconds": time.perf_counter() - start}


def updated_killers(killers: dict, results: list[dict]) -> dict[str, list[str]]:
    """Returns the kill map with the mutants just run set to the test that killed them (none on a timeout),
    the others kept, names of no mutant dropped."""
    fresh = dict(killers)
    for r in results:
        fresh.pop(r["mutant"].name, None)
        if r["status"] == "killed" and r["by"].startswith("tests/"):
            fresh[r["mutant"].name] = [r["by"]]
    return {m.name: fresh[m.name] for m in MUTANTS if m.name in fresh}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", help="comma-separated mutant names (or parts of names) to run")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per mutant (default 900)")
    parser.add_argument("--update-map", action="store_true", help=f"rewrite {KILLERS.name} from this run")
    args = parser.parse_args(argv)
    mutants = MUTANTS
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        mutants = [m for m in MUTANTS if any(k in m.name for k in keys)]
        if not mutants:
            parser.error(f"no mutant matches {args.only!r} (see --list)")
    if args.list:
        for m in mutants:
            print(f"{m.path:28s} {m.name}")
        return 0
    jobs = max(1, min(args.jobs, len(mutants)))
    killers = json.loads(KILLERS.read_text(encoding="utf-8")) if KILLERS.exists() else {}
    with tempfile.TemporaryDirectory(prefix="mutation-check-") as tmp:
        free = [shutil.copytree(ROOT, Path(tmp) / f"w{i}", ignore=IGNORE) for i in range(jobs)]
        print(f"{len(mutants)} mutants, {jobs} at a time, in copies of {ROOT}", flush=True)
        start = time.perf_counter()

        def task(m):
            scratch = free.pop()
            try:
                r = run_mutant(m, scratch, args.timeout, killers)
            finally:
                free.append(scratch)
            print(f"  {r['status']:8s} {r['step']:7s} {r['seconds']:6.1f}s  {m.name}", flush=True)
            return r

        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(task, mutants))
    width = max(len(m.name) for m in mutants)
    print(f"\n| {'mutant':{width}s} | file | status | step | killed by | seconds |")
    print(f"|{'-' * (width + 2)}|---|---|---|---|---:|")
    for r in results:
        m = r["mutant"]
        print(f"| {m.name:{width}s} | {m.path} | {r['status']} | {r['step']} | {r['by']} | {r['seconds']:.1f} |")
    killed = [r for r in results if r["status"] == "killed"]
    by_step = ", ".join(f"{s} {sum(r['step'] == s for r in killed)}" for s in ("map", "related", "suite"))
    print(f"\nkill rate: {len(killed)}/{len(results)} = {len(killed) / len(results):.0%}  (killed by {by_step}; "
          f"{time.perf_counter() - start:.0f} s wall, {jobs} at a time)")
    if args.update_map:
        KILLERS.write_text(json.dumps(updated_killers(killers, results), indent=1) + "\n", encoding="utf-8")
        print(f"rewrote {KILLERS.relative_to(ROOT)}")
    elif any(r["step"] != "map" for r in killed):
        print(f"some mutants escaped their kill map: --update-map rewrites {KILLERS.relative_to(ROOT)}")
    return 0 if len(killed) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())

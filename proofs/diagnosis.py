"""The chapter's question asked of one network: will its gradients vanish or explode, and how deep can it go?

``diagnose(...)`` returns a plain-data record (``python -m proofs diagnose`` prints it, ``--json`` writes it): the
network as described (options or a file), mean field's prediction for it layer by layer (numeric.experiments.diagnose:
q^l, chi^l, sqrt(chi^l), the correlation map; q*, chi_1, the phase, xi_c, xi_grad, the nearest edge of chaos, the
depth 6 xi_c up to which Schoenholz et al. (2017) found random networks trainable), the same quantities measured on
random draws of it on the digits (numeric.experiments.diagnose_measure), and a one-line verdict. Mean field's
numbers come from the functions the claims ``meanfield-*`` and ``phase-*`` use (tests/test_diagnose.py compares).
"""

from __future__ import annotations

import math
import time

import numpy as np

from numeric.activations import ACTIVATIONS
from numeric.data.layers_file import MAX_PARAMETERS, read_layers
from numeric.experiments import diagnose as diagnose_theory
from numeric.experiments import diagnose_measure
from numeric.experiments.propagation import pair_inputs

from . import __version__
from .book import SCHOENHOLZ_TRAINABLE_XI_C
from .data import load_data

__all__ = ["diagnose", "verdict", "CHAPTER_SIZES", "SCHEMA", "network_from_options", "network_from_file",
           "sizes_text"]

CHAPTER_SIZES = (784, 30, 30, 30, 30, 10)  # the chapter's deepest network (network2's initialisation)
SCHEMA = "unstable-gradients/diagnose"
SCHEMA_VERSION = 1
INPUTS, CLASSES = 784, 10  # the digits' pixels and classes: the first and last widths
PAIRS = 40  # digit pairs (rows 2i, 2i + 1) whose correlation is followed: the correlation map costs ~10 ms a pair


def network_from_options(sizes=CHAPTER_SIZES, activation: str = "sigmoid", init: str | None = None, *,
                         residual: bool = False, batch_norm: bool = False) -> dict:
    """Returns the network's description {"sizes", "activation", "init", "sigma_w", "sigma_b", ...} from options;
    ValueError naming what is wrong (an unknown activation or init, a width below 1, a first width not 784 ...)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    sizes = _sizes(sizes)
    if residual and len(set(sizes[1:-1])) != 1 or residual and len(sizes) < 4:
        raise ValueError("--residual needs at least two hidden layers of one width (a skip adds equal vectors)")
    spec = diagnose_measure.Init.parse(init or ACTIVATIONS[activation].init)
    sigma_w, sigma_b = spec.sigmas(sizes)
    return {"source": "options", "sizes": sizes, "activation": activation, "init": _init_text(spec),
            "init_words": spec.describe(), "residual": bool(residual), "batch_norm": bool(batch_norm),
            "output": "softmax", "cost": "log-likelihood", "sigma_w": sigma_w, "sigma_b": sigma_b, "_init": spec}


def network_from_file(path, activation: str = "sigmoid") -> dict:
    """Returns the description of the network saved at ``path`` (numeric.data.layers_file), its per-layer sigma_w,
    sigma_b measured from its weights (sigma_w^2 = n_in mean(w^2), sigma_b^2 = mean(b^2))."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    got = read_layers(path)
    sizes = _sizes([got["weights"][0].shape[1]] + [w.shape[0] for w in got["weights"]], where=f"{path}: ")
    sigma_w, sigma_b = diagnose_measure.layer_sigmas(got["weights"], got["biases"])
    return {"source": "file", "file": str(path), "format": got["format"], "sizes": sizes, "activation": activation,
            "init": "as saved", "init_words": "the saved weights", "residual": False, "batch_norm": False,
            "output": got["output"], "cost": got["cost"] or "log-likelihood", "sigma_w": sigma_w, "sigma_b": sigma_b,
            "_arrays": (got["weights"], got["biases"])}


def _sizes(sizes, where: str = "") -> list[int]:
    sizes = [int(s) for s in sizes]
    if len(sizes) < 3:
        raise ValueError(f"{where}a network needs at least one hidden layer, got sizes {sizes}")
    if min(sizes) < 1:
        raise ValueError(f"{where}every width must be at least 1, got sizes {sizes}")
    if sizes[0] != INPUTS or sizes[-1] != CLASSES:
        raise ValueError(f"{where}the first width must be {INPUTS} (the digits' pixels) and the last {CLASSES} (their "
                         f"classes), got sizes {sizes}")
    count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    if count > MAX_PARAMETERS:
        raise ValueError(f"{where}sizes {sizes_text(sizes)} mean {count:,} parameters, more than the "
                         f"{MAX_PARAMETERS:,} measured")
    return sizes


def sizes_text(sizes) -> str:
    """Returns sizes with runs of one width written "n x k": [784, 30 x 4, 10]."""
    parts, i = [], 0
    while i < len(sizes):
        j = i
        while j + 1 < len(sizes) and sizes[j + 1] == sizes[i]:
            j += 1
        parts.append(f"{sizes[i]} x {j - i + 1}" if j - i >= 2 else ", ".join([str(sizes[i])] * (j - i + 1)))
        i = j + 1
    return "[" + ", ".join(parts) + "]"


def _init_text(spec) -> str:
    return spec.name if spec.name != "normal" else f"normal:{spec.sigma_w:g},{spec.sigma_b:g}"


def _spread(values, geometric: bool) -> dict:
    """Returns {"centre", "min", "max"} over the draws (axis 0) per layer: the geometric or arithmetic mean."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.exp(np.mean(np.log(v), axis=0)) if geometric else np.mean(v, axis=0)
    return {"centre": centre.tolist(), "min": v.min(axis=0).tolist(), "max": v.max(axis=0).tolist()}


def _prediction(net: dict, x, xa, xb) -> dict:
    """Mean field for the described network (see the module docstring); ``applies`` False with a reason for
    residual blocks and batch normalisation, which the variance and correlation maps here do not model."""
    if net["residual"] or net["batch_norm"]:
        what = "residual blocks" if net["residual"] else "batch normalisation"
        return {"applies": False, "why_not": f"mean field's maps (Poole et al. 2016; Schoenholz et al. 2017) describe "
                f"plain fully connected layers; with {what} they do not apply, and only the measurement is shown"}
    act, sw, sb = net["activation"], net["sigma_w"], net["sigma_b"]
    layers = diagnose_theory.layer_prediction(act, sw, sb, diagnose_theory.first_q(x, sw[0], sb[0]))
    H = len(sw) - 1
    rms_over_last = [float(np.prod(layers["factor"][l:])) for l in range(H)]  # prod_{k=l}^{H-1} sqrt(chi^k)
    sw_bulk, sb_bulk = diagnose_theory.bulk(sw), diagnose_theory.bulk(sb)
    fp = diagnose_theory.fixed_point(act, sw_bulk, sb_bulk)
    xi_c = fp["xi_c"]
    trainable = SCHOENHOLZ_TRAINABLE_XI_C * xi_c if math.isfinite(xi_c) and xi_c > 0 else None
    return {"applies": True, "sigma_w": sw_bulk, "sigma_b": sb_bulk,
            "uniform": len({round(v, 12) for v in sw[1:-1]}) <= 1 and len({round(v, 12) for v in sb[1:-1]}) <= 1,
            **{k: fp[k] for k in ("q_star", "chi_1", "c_star", "chi_c", "xi_c", "xi_grad", "bounded")},
            "sqrt_chi_1": math.sqrt(fp["chi_1"]), "phase": diagnose_theory.phase(fp["chi_1"]),
            "edge_tolerance": diagnose_theory.EDGE_TOLERANCE,
            "trainable_depth": trainable, "trainable_factor": SCHOENHOLZ_TRAINABLE_XI_C,
            "edge": {"sigma_w_at_sigma_b": diagnose_theory.edge_sigma_w(act, sb_bulk, sw_bulk),
                     "sigma_b_at_sigma_w": diagnose_theory.edge_sigma_b(act, sw_bulk, sb_bulk)},
            "q1": layers["q"][0], "layers": {"q": layers["q"], "chi": layers["chi"], "factor": layers["factor"],
                                             "rms_over_last": rms_over_last,
                                             "c": diagnose_theory.correlation_prediction(act, sw, sb, xa, xb)},
            "first_over_last": layers["first_over_last"], "last_over_first": layers["last_over_first"]}


def _measurement(net: dict, x, y, pairs: int, draws: int | None, seed: int, progress) -> dict:
    """Measures random draws of the network (options) or the saved network itself (file); summaries per layer."""
    if net["source"] == "file":
        weights, biases = net["_arrays"]
        arrays = [([w.astype(np.float32) for w in weights], [b.astype(np.float32) for b in biases])]
        stack = diagnose_measure.stack_of(arrays, net["activation"], output=net["output"], cost=net["cost"])
        raw, what = diagnose_measure.measure(stack, x, y, pairs), "the saved network itself"
    else:
        raw = diagnose_measure.measure_draws(net["sizes"], net["activation"], net["_init"], draws, seed, x, y, pairs,
                              residual=net["residual"], batch_norm=net["batch_norm"],
                              progress=lambda done, total: progress(f"measured {done} of {total} random draws"))
        what = f"{draws} random draws"
    rms = raw["rms"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        over_last, factor, first = rms / rms[:, -1:], rms[:, :-1] / rms[:, 1:], rms[:, 0] / rms[:, -1]
    return {"what": what, "networks": len(rms), "examples": len(x), "pairs": pairs,
            "finite": bool(np.all(np.isfinite(rms)) and np.all(rms > 0)),
            "layers": {"rms_over_last": _spread(over_last, True), "factor": _spread(factor, True),
                       "q": _spread(raw["q"], False), "c": _spread(raw["c"], False)},
            "first_over_last": _spread(first[:, None], True),
            "per_network": {k: np.asarray(v, dtype=float).tolist() for k, v in raw.items()}}


def diagnose(*, sizes=CHAPTER_SIZES, activation: str | None = None, init: str | None = None, residual: bool = False,
             batch_norm: bool = False, network=None, draws: int | None = None, examples: int = 200, seed: int = 0,
             mnist=None, progress=None) -> dict:
    """Returns the diagnosis record of one network (see the module docstring): from options (``sizes``,
    ``activation`` default sigmoid, ``init`` default the activation's own, ``residual``, ``batch_norm``) measured on
    ``draws`` random draws (default 8; streams from ``seed``), or from the file ``network`` measured as it is; on the
    first ``examples`` training digits (the first PAIRS pairs of rows 2i, 2i + 1 for correlations).
    ``progress(text)`` hears of long work. ValueError for bad input, naming it."""
    start, say = time.perf_counter(), progress or (lambda text: None)
    activation = activation or "sigmoid"
    if network is not None:
        if init is not None or residual or batch_norm or draws is not None:
            raise ValueError("a saved network is measured as it is: --init, --draws, --residual and --batch-norm "
                             "describe networks drawn from options")
        net = network_from_file(network, activation)
    else:
        net = network_from_options(sizes, activation, init, residual=residual, batch_norm=batch_norm)
        draws = 8 if draws is None else draws
        if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= 1000:
            raise ValueError(f"draws must be an integer from 1 to 1000, got {draws!r}")
    digits = load_data(mnist).training
    if isinstance(examples, bool) or not isinstance(examples, int) or not 4 <= examples <= len(digits):
        raise ValueError(f"examples must be an integer from 4 to {len(digits)}, got {examples!r}")
    x, y, pairs = digits.x[:examples], digits.y[:examples], min(PAIRS, examples // 2)
    xa, xb = pair_inputs(x, pairs)
    say("mean field: the variance and correlation maps, the fixed point, the edges of chaos")
    prediction = _prediction(net, x, xa, xb)
    measured = _measurement(net, x, y, pairs, draws, seed, say)
    public = {k: v for k, v in net.items() if not k.startswith("_")}
    record = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "tool": "unstable-gradients", "version": __version__,
              "settings": {"seed": seed, "draws": draws, "examples": examples, "data": load_data(mnist).source,
                           "training_digits": len(digits)},
              "network": public, "meanfield": prediction, "measured": measured}
    record["verdict"] = verdict(record)
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


def _power(ratio: float) -> str:
    """Returns "10^k", k the nearest integer to log10(ratio) (a ratio outside (0, inf): "a ratio beyond float64")."""
    return f"10^{round(math.log10(ratio))}" if 0 < ratio < math.inf else "a ratio beyond float64's range"


def verdict(record: dict) -> str:
    """Returns the one-line verdict: how the gradient changes from the last hidden layer to the first (measured;
    mean field's prediction beside it), the phase, and the depth up to which mean field predicts trainability."""
    mf, ms, H = record["meanfield"], record["measured"], len(record["network"]["sizes"]) - 2
    ratio = ms["first_over_last"]["centre"][0]
    where = f"over {ms['networks']} draws" if ms["networks"] > 1 else "on the network"
    predicted = f"; mean field predicts {_ratio(mf['first_over_last'])}" if mf["applies"] else ""
    if not (math.isfinite(ratio) and ratio > 0):
        change = "the measured gradients left float32's range (they explode or vanish beyond 10^+-38)"
    elif ratio < 10 ** -0.5:
        change = f"gradients vanish by about {_power(ratio)} from the last hidden layer to the first"
    elif ratio > 10 ** 0.5:
        change = f"gradients explode by about {_power(ratio)} from the last hidden layer to the first"
    else:
        change = f"gradients keep their size within a factor {max(ratio, 1 / ratio):.3g} from the last hidden layer " \
                 "to the first"
    parts = [f"{change} (measured {_ratio(ratio)} {where}{predicted})"]
    if mf["applies"]:
        named = {"ordered": "ordered phase", "chaotic": "chaotic phase", "edge": "at the edge of chaos"}[mf["phase"]]
        parts.append(named + ("" if mf["bounded"] else " (no fixed point: the variance grows without bound)"))
        depth = mf["trainable_depth"]
        if depth is None:
            parts.append("no depth limit from mean field (xi_c diverges at the edge)" if mf["phase"] == "edge"
                         else "mean field gives no depth scale here (no fixed point)")
        else:
            within = "within it" if H < depth else "beyond it"
            layers = f"{H} hidden layer{'s' if H != 1 else ''}"
            parts.append(f"mean field predicts trainability up to depth {_depth(depth)} ({layers}: {within})")
    else:
        parts.append("mean field does not apply (" + ("residual blocks" if record["network"]["residual"]
                                                      else "batch normalisation") + ")")
    return "; ".join(parts)


def _depth(value: float) -> str:
    return f"{value:.2g}" if value < 10 else f"{value:.0f}" if value < 1e4 else f"{value:.1e}"


def _ratio(value: float) -> str:
    return f"{value:.2g}" if 1e-3 <= value < 1e3 else f"{value:.1e}"

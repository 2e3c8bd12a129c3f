"""Glorot and Bengio's (2010) saturation experiment as they ran it, on this suite's digits.

Their set-up: sigmoid hidden layers, a softmax output layer with the log-likelihood cost, the "standard"
initialisation W ~ U(-1/sqrt(n_in), 1/sqrt(n_in)) with zero biases, mini-batches of 10, the rate chosen on
validation. Their observation (section 3.1, Figure 2): very quickly the top hidden layer's sigmoid outputs are
pushed to 0, while the other layers' mean activations stay above 0.5 and decrease from the output layer toward the
input; much later the top layer slowly leaves saturation and learning proceeds.

``run`` makes two independent sets of networks from the run's seed (``STAGES``): a few seeds per rate of the grid
train for ``choice_updates`` to choose eta on validation digits (Glorot and Bengio's rule, at the length this run
affords), then ``seeds`` networks train side by side at the chosen eta and at the control rate (where the network
does not learn) for ``judged_updates``, each hidden layer's mean activation measured on a fixed probe of digits
never trained on, every ``probe_every`` updates from 0 (the untrained networks). ``seed_passes`` is the criterion,
seed by seed, at the one probe the protocol fixes (``SATURATION``'s ``at_updates``); ``work`` counts the run's
matrix products.
"""

from __future__ import annotations

import numpy as np

from .. import streams
from ..networks.deep import DeepNetwork
from ..networks.stacked import Stack
from ..networks.stacked_sgd import Trainer, sgd
from .protocol import Change, Protocol, register
from .protocol import criterion as C  # noqa: N812 - the criteria read as a table

__all__ = ["SATURATION", "SATURATION_LONG", "PURPOSES", "STAGES", "run", "seed_passes", "choose", "work",
           "setup_is_theirs", "caption", "updates_per_chunk", "describe_streams"]

PURPOSES = ("init", "data", "shuffle")  # a seed's children: initial draws, each chunk's digits, shuffling
STAGES = ("choose", "judge")  # the run seed's children: the networks that choose eta, the networks judged


def updates_per_chunk(p: Protocol) -> int:
    """Returns the SGD updates of one chunk of training digits (the last mini-batch may be short)."""
    return -(-p.chunk_images // p.mini_batch_size)


def caption(p: Protocol) -> str:
    """Returns the protocol in one line: network, set-up, the rate's choice, training, probes, seeds."""
    return (f"{p.label}: [784, {p.width} x {p.hidden}, 10], {p.activation} hidden layers, {p.output} output, "
            f"{p.init} init, mini-batches of {p.mini_batch_size} from a fresh draw of {p.chunk_images} training "
            f"digits every {updates_per_chunk(p)} updates; eta chosen from {list(p.etas)} by mean accuracy on "
            f"{p.validation_images} validation digits after {p.choice_updates:,} updates ({p.choice_seeds} seeds "
            f"per rate); {p.seeds} seeds at the chosen eta and at the control eta {p.control_eta:g} for "
            f"{p.judged_updates:,} updates, layer means on {p.probe_images} probe digits every {p.probe_every} "
            f"updates; judged at {p.at_updates} updates only; {p.dtype}")


def _check(p: Protocol) -> None:
    u = updates_per_chunk(p)
    if list(p.etas) != sorted(set(p.etas)) or p.control_eta not in p.etas:
        raise ValueError(f"etas must be increasing and distinct and hold control_eta, got {p.etas}, {p.control_eta}")
    for name in ("probe_every", "judged_updates", "choice_updates", "choice_every"):
        if getattr(p, name) < u or getattr(p, name) % u:
            raise ValueError(f"{name} must be a positive multiple of {u} updates (a chunk), got {getattr(p, name)}")
    if p.judged_updates % p.probe_every or p.choice_updates % p.choice_every:
        raise ValueError("judged_updates and choice_updates must be multiples of probe_every and choice_every")
    if p.at_updates % p.probe_every or not 0 < p.at_updates <= p.judged_updates or p.hidden < 3:
        raise ValueError(f"at_updates must be a probe within the judged run ({p.probe_every}, ..., "
                         f"{p.judged_updates}) and hidden >= 3, got {p.at_updates}, {p.hidden}")


KIND = register("saturation", check=_check, describe=caption)

_FIRST = ("judged at the first probe within 5,000 updates at which the seeds' median top layer is below 0.1: there "
          "every lower layer's median must lie within [0.4, 0.6] (5 seeds; its text already said 'at some probe')")
_SOME = ("at SOME probe (of 101, every 50 updates) within 5,000 updates the seeds' median top layer is below 0.1 "
         "while every lower layer's median lies within [0.4, 0.6]")
_ISSUE = ("issue 31's proposal: per seed, at a probe fixed in advance (its referee measured 250 updates: 15 of 16 "
          "seeds), top < 0.1 and layer 3 >= layer 2 >= layer 1 >= 0.45, in at least 12 of 16 seeds")
HISTORY = (
    Change(_FIRST, "not reproduced at root seed 0: the median top layer fell to 0.01 by 650 updates with the lower "
                   "layers at 0.49, 0.54, 0.75 (layer 3 above the band, as Glorot and Bengio describe it)",
           _SOME, "the code was made to follow its text (the referee had found it judged one probe only); but the "
                  "best of 101 looks is multiple testing: its best probe at root seed 0 was 1,050 updates, margin "
                  "0.003 against a seed spread of 0.40 (fragile), the lower layers falling from their peak"),
    Change(_SOME, "issue 31's referee, 16 seeds: the median held at 1 of 101 probes (650 updates, margin 0.018) and "
                  "failed at every fixed probe (500 to 5,000 updates); 55 % of 5-seed subsets passed; the dead "
                  "eta-10 networks at chance passed at 100 of 101 probes; meanwhile the top layer was below 0.1 in "
                  "16/16 seeds by 50 updates and the layer means at 250-500 updates were [0.51, 0.56, 0.75, 0.006]",
           _ISSUE, "Glorot and Bengio's own words are 'above 0.5 and decreasing toward the input', not a band around "
                   "0.5 (the band excluded their observation); one look fixed in advance, judged seed by seed, with "
                   "controls that must fail"),
    Change(_ISSUE, "development runs at root seeds 100-103 (never judged; 16 seeds, etas 1, 3 and 10, 600 updates): "
                   "at 150 updates the dead eta-10 networks passed it in 6, 4, 9 and 3 of 16 seeds (their lower "
                   "layers stay where their first steps left them, near 0.5, in a nearly random order) and eta 3 in "
                   "16, 15, 16 and 14; eta 3's layer 1 fell below 0.45 in some seeds from 250-450 updates on, as the "
                   "networks begin to learn; the untrained networks' layer 3 - layer 1 spreads by 0.010-0.014 over "
                   "seeds",
           "per seed, at the probe of 150 updates: top < 0.1, layer 3 >= layer 2 >= layer 1 >= 0.45 and layer 3 - "
           "layer 1 >= 0.1, in at least 75% of the seeds",
           "an order is evidence only when it is larger than chance: a gap of 0.1 is about eight of the untrained "
           "networks' spreads (the dead networks then passed in 2, 3, 3 and 2 of 16 seeds, eta 3 as before); 150 "
           "updates lies inside the phase at eta 1 and 3, before layer 1 leaves 0.45; Glorot and Bengio's 'above "
           "0.5' read as 'near or above' (>= 0.45) because layer 1 barely moves from its initial 0.50; all fixed "
           "before the runs at root seeds 0-3"),
)
LEARNED_HISTORY = (
    Change("the network learned: median probe accuracy of the judged seeds at least 0.5 at the end, after 5,000 "
           "updates", "it held at root seed 0 (eta 3, 78 % over 5 seeds); the judged runs now stop at 600 updates "
           "(issue 31: the phenomenon lies at 50-600 updates, where every rate is still at chance) and eta is chosen "
           "on networks of their own; a development run (root seed 100, 16 seeds) put eta 3 at 0.27-0.57 after "
           "2,000 updates and every other rate at chance",
           "the chosen eta learns: mean validation accuracy of its choice seeds at least 0.2 (twice chance) after "
           "2,000 updates",
           "the judged networks at 150 updates have not learned yet (that is Glorot and Bengio's plateau); what "
           "must be shown is that the chosen rate is one at which these networks learn, unlike the control's, "
           "within what the run affords; 0.5 after 2,000 updates would test the plateau's length, not the rate; "
           "first drafted with the median of the 4 seeds, but at root seed 100 (development) one of 4 was still at "
           "chance, which leaves a median of 4 near the threshold: the mean (rule and check alike), its standard "
           "error the spread, fixed before the runs at root seeds 0-3"),
)

SATURATION = Protocol(
    "glorot-saturation", "this suite's version of Glorot and Bengio's set-up", seeds=16, quick_seeds=4, kind=KIND,
    quantity="each hidden layer's mean activation over a probe of digits never trained on, per seed, every "
             "probe_every updates from 0, at the eta chosen on validation digits and at the control eta",
    criteria=(
        C("saturates", "seed by seed at the probe of {at_updates:.0f} updates (fixed in the protocol, the only one "
                       "judged): the top hidden layer's mean activation below {top_below:g}, the lower ones above it, "
                       "ordered toward the input (layer H-1 >= ... >= layer 1 >= {lower_floor:g}) with layer H-1 at "
                       "least {order_gap:g} above layer 1; it holds in at least {min_share:.0%} of the seeds",
          "reproduction", history=HISTORY, at_updates=150, top_below=0.1, lower_floor=0.45, order_gap=0.1,
          min_share=0.75),
        C("controls-fail", "the untrained networks (0 updates) and the same networks at the control eta, where large "
                           "steps scramble the lower layers, pass the criterion in fewer than {min_share:.0%} of the "
                           "seeds (the criterion reads the activations' early course, not learning: 'learned' does)",
          min_share=0.75),
        C("learned", "the chosen eta learns: mean validation accuracy of its choice seeds at least {learned:g} "
                     "(twice chance) after the choice run", history=LEARNED_HISTORY, learned=0.2),
        C("control-dead", "the control eta does not learn: mean validation accuracy of its choice seeds at most "
                          "{chance_below:g} (chance 0.1) after the choice run", chance_below=0.15),
    ),
    grid={"etas": (0.1, 0.3, 1.0, 3.0, 10.0)},
    settings={"hidden": 4, "width": 30, "activation": "sigmoid", "output": "softmax", "init": "glorot-2010",
              "mini_batch_size": 10,
              "chunk_images": 500,  # drawn afresh from the training digits for every chunk (their data were a stream)
              "probe_images": 500,  # the held-out digits (Dataset.held_out): never trained or chosen on
              "validation_images": 500,  # Dataset.choosing: choose eta (mean over the choice seeds; ties: smaller)
              "digits_moved": "the probe was validation digits 4,000-4,499 and eta was chosen on 4,500-4,999 (root "
                              "seeds 0-3 passed in 15, 16, 16, 16 of 16 there); both moved, thresholds unchanged, "
                              "so that no claim chooses on the project's held-out digits; re-run after the move: "
                              "15, 16, 16, 16 of 16",
              "choice_seeds": 4, "choice_updates": 2000, "choice_every": 200, "control_eta": 10.0,
              "judged_updates": 600, "probe_every": 50, "dtype": "float32"})
SATURATION_LONG = SATURATION.replace(  # the same criterion, longer runs (a slow test; their 5 million are out of reach)
    name="glorot-saturation-long", label="the same, longer: eta chosen after 5,000 updates on 8 seeds, judged runs "
    "followed for 5,000 updates", choice_seeds=8, choice_updates=5000, choice_every=500, judged_updates=5000,
    probe_every=50)


def setup_is_theirs(stack: Stack) -> dict:
    """Returns what the stack actually is, against Glorot and Bengio's set-up: {"output", "cost", "biases_zero",
    "weights_within": max |w| sqrt(n_in) over every layer (<= 1 for U(+-1/sqrt(n_in))), "theirs": bool}."""
    within = max(float(np.max(np.abs(w)) * np.sqrt(w.shape[2])) for w in stack.weights)
    zero = all(not np.any(b) for b in stack.biases)
    theirs = stack.output == "softmax" and stack.cost.name == "log-likelihood" and zero and within <= 1
    return {"output": stack.output, "cost": stack.cost.name, "biases_zero": zero, "weights_within": within,
            "theirs": bool(theirs)}


def seed_passes(layers, p: Protocol) -> np.ndarray:
    """Returns, per seed, whether the criterion holds for its hidden layers' mean activations ``layers`` (..., H),
    layer 1 first: top (layer H) < top_below, layer H-1 >= ... >= layer 1 >= lower_floor, and layer H-1 - layer 1
    >= order_gap."""
    a, c = np.asarray(layers, dtype=float), p.thresholds()
    lower = a[..., :-1]
    ordered = np.all(np.diff(lower, axis=-1) >= 0, axis=-1) & (lower[..., 0] >= c.lower_floor)
    return (a[..., -1] < c.top_below) & ordered & (lower[..., -1] - lower[..., 0] >= c.order_gap)


def choose(validation) -> int:
    """Returns the index of the rate with the highest mean validation accuracy over its seeds (``validation``
    [eta][seed], NaN for a diverged seed: counted as chance, 0.1); ties go to the smaller rate."""
    means = np.mean(np.where(np.isnan(np.asarray(validation, dtype=float)), 0.1, validation), axis=1)
    return int(np.flatnonzero(means == means.max())[0])


def _train(p: Protocol, data, stream, seeds: int, etas, updates: int, every: int, curves: bool) -> dict:
    """Trains ``seeds`` networks drawn from ``stream``, each at every rate of ``etas`` (one stack, replica g E + e:
    seed g at rate e; a seed's rates share its initial draw and mini-batches), for ``updates``; returns {"layers":
    (probes, seeds, E, H) mean activations on the probe digits every ``every`` updates from 0, "updates", "accuracy":
    (probes, seeds, E) on the validation digits (NaN where diverged; without ``curves`` at the end only), "setup",
    "diverged": (seeds, E)}."""
    rngs = [[g[name] for name in PURPOSES] for g in streams.replica_generators(stream, seeds, PURPOSES)]
    sizes = [784] + [p.width] * p.hidden + [10]
    nets = [DeepNetwork(sizes, activation=p.activation, init=p.init, output=p.output, rng=r[0]) for r in rngs]
    E = len(etas)
    stack = Stack([n for n in nets for _ in range(E)], dtype=p.dtype)
    setup = setup_is_theirs(stack)
    probe = data.held_out.x[:p.probe_images]  # measured on, never chosen on
    vx, vy = data.choosing.x[:p.validation_images], data.choosing.y[:p.validation_images]
    tx, ty = data.training.x.astype(p.dtype), data.training.y  # once: the kernel converts every chunk to it anyway

    def measure(last=False):
        with np.errstate(all="ignore"):
            acts = stack.forward(probe)[1][1:-1]
        score = np.full(len(stack), np.nan)
        if curves or last:
            score = np.where(stack.diverged, np.nan, stack.accuracy(vx, vy) / len(vy))
        return np.stack([a.mean(axis=(1, 2)) for a in acts], axis=1), score

    rows = [measure()]
    per, done = updates_per_chunk(p), 0
    while done < updates:  # one draw of digits per seed, shared by its rates
        idx = np.stack([r[1].choice(len(tx), p.chunk_images, replace=False) for r in rngs])
        sgd(stack, tx[idx], ty[idx], 1, p.mini_batch_size, np.tile(etas, seeds),
            shuffles=[r[2] for r in rngs])
        done += per
        if done % every == 0:
            rows.append(measure(done >= updates))
    shape = (len(rows), seeds, E)
    return {"layers": np.stack([r[0] for r in rows]).reshape(shape + (p.hidden,)),
            "accuracy": np.stack([r[1] for r in rows]).reshape(shape), "updates": [k * every for k in range(len(rows))],
            "setup": setup, "diverged": stack.diverged.reshape(seeds, E)}


def run(p: Protocol, data, seed: int) -> dict:
    """Returns the experiment's numbers as plain data: {"eta", "validation": [eta][choice seed] accuracy after the
    choice run (NaN: diverged), "choice": {"updates", "layers": (probes, E, choice seeds, H), "accuracy": (probes, E,
    choice seeds)}, "updates": the judged probes, "layers": (probes, seeds, H) at the chosen eta, "control": the same
    at the control eta, "accuracy" and "control_accuracy": per seed at the end, "setup", "diverged": per rate}.

    Streams: the seed's ``STAGES`` children, each spawning one stream per network (``describe_streams``).
    """
    stage = {name: streams.purpose(seed, name, STAGES) for name in STAGES}
    c = _train(p, data, stage["choose"], p.choice_seeds, p.etas, p.choice_updates, p.choice_every, True)
    validation = c["accuracy"][-1].T  # [eta][seed]
    e = choose(validation)
    pair = (p.etas[e], p.control_eta)
    j = _train(p, data, stage["judge"], p.seeds, pair, p.judged_updates, p.probe_every, False)
    plain = lambda a: np.asarray(a, dtype=float).tolist()  # noqa: E731
    return {"eta": p.etas[e], "validation": plain(validation),
            "choice": {"updates": c["updates"], "layers": plain(c["layers"].transpose(0, 2, 1, 3)),
                       "accuracy": plain(c["accuracy"].transpose(0, 2, 1))},
            "updates": j["updates"], "layers": plain(j["layers"][:, :, 0]), "control": plain(j["layers"][:, :, 1]),
            "accuracy": plain(j["accuracy"][-1, :, 0]), "control_accuracy": plain(j["accuracy"][-1, :, 1]),
            "setup": j["setup"], "diverged": c["diverged"].sum(axis=0).tolist()}


def _products(sizes, rows: int, batch: int, columns: int, *, backward: bool, groups: int = 0) -> list[tuple]:
    """Returns the (m, k, n, batch) of one pass of the stacked kernel on ``rows`` inputs: the forward products
    [1, a^l] P^l (row 0 of P the bias), and with ``backward`` each layer's weight gradient [1, a^l]^T delta and,
    above the first layer, delta P^T (the first layer's input gradient is never formed). ``groups``: the first
    layer in the groups' layout (one product per group of batch/groups replicas: SGD's mini-batches from
    ``Trainer.GROUPED_FROM`` inputs)."""
    ins = [columns] + list(sizes[1:-1])
    first = (groups, sizes[1] * batch // groups) if groups else (batch, sizes[1])
    out = [(rows, 1 + columns, first[1], first[0])]
    out += [(rows, 1 + n_in, n_out, batch) for n_in, n_out in zip(ins[1:], sizes[2:])]
    if backward:
        for l in range(len(ins) - 1, 0, -1):
            out += [(1 + ins[l], rows, sizes[l + 1], batch), (rows, sizes[l + 1], ins[l], batch)]
        out.append((1 + columns, rows, first[1], first[0]))
    return out


def work(p: Protocol, columns: int = 784) -> list[dict]:
    """Returns the run's matrix products, [{"m", "k", "n", "batch", "dtype", "count"}] ((m x k) times (k x n),
    ``batch`` stacked replicas at once, ``count`` times): SGD's forward and backward passes of both stacks, their
    probes (the layer means, on ``probe_images``) and validation (in chunks of 500). ``columns``: the input columns
    the first layer multiplies (the kernel leaves out those that are 0 in every input at hand; 784 bounds them).
    The flops are the sum of 2 m k n batch count."""
    sizes = [784] + [p.width] * p.hidden + [10]
    counts: dict = {}

    def add(products, times=1):
        for shape in products:
            counts[shape] = counts.get(shape, 0) + times

    per = updates_per_chunk(p)
    full, short = divmod(p.chunk_images, p.mini_batch_size)
    for seeds, rates, updates, every, curves in ((p.choice_seeds, len(p.etas), p.choice_updates, p.choice_every, True),
                                                 (p.seeds, 2, p.judged_updates, p.probe_every, False)):
        batch, chunks = seeds * rates, updates // per
        grouped = seeds if p.mini_batch_size >= Trainer.GROUPED_FROM and seeds < batch else 0  # SGD's layout
        for rows, times in ((p.mini_batch_size, chunks * full), (short, chunks if short else 0)):
            add(_products(sizes, rows, batch, columns, backward=True, groups=grouped), times)
        probes = updates // every + 1
        add(_products(sizes, p.probe_images, batch, columns, backward=False), probes)
        for s in range(0, p.validation_images, 500):
            add(_products(sizes, min(500, p.validation_images - s), batch, columns, backward=False),
                probes if curves else 1)
    return [{"m": m, "k": k, "n": n, "batch": b, "dtype": p.dtype, "count": c}
            for (m, k, n, b), c in counts.items() if c]


def describe_streams(seed: int, p: Protocol) -> str:
    """Returns one line saying how the run's networks draw their randomness."""
    return (f"numpy.random.SeedSequence({int(seed)}).spawn({len(STAGES)}) ({', '.join(STAGES)}); the first spawns "
            f"{p.choice_seeds} streams, the second {p.seeds}, one per network, each spawning {len(PURPOSES)} "
            f"({', '.join(PURPOSES)})")

"""Random networks of one shape trained side by side: a stack of (sigma_w, seed) replicas.

Returns nothing by itself; ``Stack`` holds S fully connected networks of the same depth and width,
``weights[l]`` of shape (S, n_{l+1}, n_l) as in ``numeric.networks.replicas.Replicas``, and trains them with
one NumPy call per layer for all of them: the forward pass and backprop are those of
``numeric.networks.stacked.Stack`` (one kernel for every stacked network of the suite), this module adds the
ensemble's draws and the SGD steps. Replica r has its own sigma_w (a cell of the phase diagram) and seed:

    W^l_ij ~ N(0, sigma_w^2 / n_{l-1}),   b^l_i ~ N(0, sigma_b^2),   z^l = W^l a^{l-1} + b^l,  a^l = phi(z^l),

the random-network ensemble of Poole et al. (2016) and Schoenholz et al. (2017); the read-out layer is
drawn the same way and followed by a softmax with the cross-entropy cost (the papers' classifier).
Hidden activations: any of ``numeric.activations.ACTIVATIONS`` (tanh is the papers', the sigmoid the chapter's).

Randomness: a seed s (an int, or a replica's SeedSequence from ``numeric.streams.replica``) gives
``SeedSequence(s).spawn(2)`` = (initial draws, shuffling); the draws child is
spawned once more per sigma_w, so every replica draws its own weights, and all replicas of one seed see
the same mini-batches (the sigma_w of one seed differ in nothing else). A replica whose cost or weights
become NaN or inf is marked diverged and frozen (its learning rate is 0 from the next step on); its accuracy is
then chance's. Replicas share no arithmetic (a seed's group shares only its inputs), so one replica's NaN reaches
no other.
"""

from __future__ import annotations

import numpy as np

from ..streams import sequence
from ..validate import check_positive
from .stacked import Stack as Kernel
from .stacked_sgd import Trainer

__all__ = ["Stack", "DTYPE"]

DTYPE = np.float32  # the stack trains in single precision: tanh and the products run twice as fast


class Stack:
    """S = len(sigma_ws) x len(seeds) networks [n_in, width x depth, n_out], replica r = (sigma_w, seed).

    ``replicas`` lists (sigma_w, seed) in stack order: seeds outer, sigma_w inner; ``kernel`` is the
    ``numeric.networks.stacked.Stack`` that holds and trains the parameters, in groups of one seed each.
    """

    def __init__(self, depth: int, width: int, sigma_ws, seeds, *, sigma_b: float, activation: str = "tanh",
                 n_in: int = 784, n_out: int = 10):
        depth = int(check_positive("depth", depth, integer=True))
        width = int(check_positive("width", width, integer=True))
        sigma_ws = [float(check_positive("sigma_w", s)) for s in sigma_ws]
        seeds = [s if isinstance(s, np.random.SeedSequence) else int(check_positive("seed", s, allow_zero=True,
                                                                                       integer=True)) for s in seeds]
        if not sigma_ws or not seeds:
            raise ValueError("Stack needs at least one sigma_w and one seed")
        self.sigma_b = float(check_positive("sigma_b", sigma_b, allow_zero=True))
        self.depth, self.width = depth, width
        sizes = [int(n_in)] + [width] * depth + [int(n_out)]
        self.replicas = [(sw, s) for s in seeds for sw in sigma_ws]
        self.seeds = seeds
        streams = [sequence(s).spawn(2) for s in seeds]
        self._order_streams = [order for _, order in streams]
        draws = [np.random.default_rng(child) for init, _ in streams for child in init.spawn(len(sigma_ws))]
        sw = np.array([r[0] for r in self.replicas])
        weights, biases = [], []
        for n_prev, n_next in zip(sizes[:-1], sizes[1:]):
            w = np.stack([g.standard_normal((n_next, n_prev)) for g in draws])
            b = np.stack([g.standard_normal(n_next) for g in draws])
            weights.append((w * (sw / np.sqrt(n_prev))[:, None, None]).astype(DTYPE))
            biases.append((b * self.sigma_b).astype(DTYPE))
        self.kernel = Kernel.from_arrays(weights, biases, activation=activation, output="softmax", dtype=DTYPE)
        self.activation, self.sizes = activation, sizes
        self.weights, self.biases, self.diverged = self.kernel.weights, self.kernel.biases, self.kernel.diverged

    def __len__(self) -> int:
        return len(self.replicas)

    def forward(self, x) -> tuple[list, np.ndarray]:
        """Returns ([z^1..z^L] hidden pre-activations (S, n, width) each, logits (S, n, n_out)) for inputs
        x of shape (n, n_in), shared by all replicas; computed in the stack's float32."""
        zs = self.kernel.forward(np.asarray(x, dtype=DTYPE))[0]
        return zs[:-1], zs[-1]

    def accuracy(self, x, labels, *, chunk: int = 250) -> np.ndarray:
        """Returns each replica's fraction of inputs x (n, n_in) classified as ``labels`` (n,); a diverged
        replica scores chance, 1/n_out (its output means nothing). Evaluated ``chunk`` inputs at a time by the
        kernel's inference pass (``numeric.networks.stacked.Stack.accuracy``: no copies of the layers' z and a), so
        memory stays bounded for any n."""
        hits = self.kernel.accuracy(np.asarray(x, dtype=DTYPE), np.asarray(labels), chunk=chunk)
        return np.where(self.diverged, 1.0 / self.sizes[-1], hits / len(x))

    def sgd(self, x, labels, steps: int, batch: int, eta: float, *, checkpoints=(), on_checkpoint=None) -> None:
        """Trains every replica for ``steps`` mini-batch SGD steps (softmax cross-entropy, plain SGD, no decay).

        Seed k draws a fresh permutation of the n examples from its shuffling stream whenever the previous
        one is used up; all replicas of seed k take the same mini-batches (the kernel's group k). A replica whose
        parameters stop being finite is marked diverged (its NaN reaches no other replica: they share no product)
        and frozen from the next checkpoint on (learning rate 0).

        ``checkpoints``: step counts in 1..steps after which ``on_checkpoint(step)`` runs with the stack's
        parameters and ``diverged`` current (it may evaluate them); training then goes on from there. One run read
        at several lengths, never a restart (a restart would replay the first mini-batches).
        """
        steps = int(check_positive("steps", steps, allow_zero=True, integer=True))
        batch = int(check_positive("batch", batch, integer=True))
        eta = float(check_positive("eta", eta))
        marks = sorted({int(check_positive("checkpoint", c, integer=True)) for c in checkpoints})
        if marks and marks[-1] > steps:
            raise ValueError(f"checkpoints must lie in 1..steps = {steps}, got {marks}")
        x, labels = np.asarray(x, dtype=DTYPE), np.asarray(labels)
        n, S = len(x), len(self)
        rngs = [np.random.default_rng(s) for s in self._order_streams]
        orders = [np.empty(0, dtype=np.int64)] * len(self.seeds)
        trainer = Trainer(self.kernel, x[None], np.eye(self.sizes[-1], dtype=DTYPE)[labels][None],
                          lmbda=np.zeros(S), penalty="l2", momentum=np.zeros(S), clip=None)
        etas = np.where(self.diverged, 0.0, eta)
        with np.errstate(all="ignore"):
            for step in range(1, steps + 1):
                orders = [o if len(o) >= batch else np.concatenate([o, r.permutation(n)]) for o, r in zip(orders, rngs)]
                trainer.step(np.stack([o[:batch] for o in orders]), etas)  # (seeds, batch): group k's mini-batch
                orders = [o[batch:] for o in orders]
                if step in marks:
                    self._settle(trainer, etas)
                    if on_checkpoint is not None:
                        on_checkpoint(step)
        self._settle(trainer, etas)

    def _settle(self, trainer, etas) -> None:
        """Writes the trainer's working copy back into the stack and marks (and freezes) the replicas that diverged."""
        trainer.sync()
        self.diverged |= self.kernel.nonfinite()
        etas[self.diverged] = 0.0

"""S networks of one shape trained side by side: the experiments' seeds as one stacked array.

The chapter's experiments repeat one training run over many seeds. ``Replicas`` stacks S network2 networks
(``weights[l]`` of shape (S, n_{l+1}, n_l)) in the suite's one kernel (``numeric.networks.stacked``), so every
NumPy call serves all seeds. Each replica has its own random stream (a ``numpy.random.SeedSequence``, normally
``SeedSequence(base_seed).spawn(S)[k]``), and within it one child per purpose (``numeric.streams``): replica k is
``Network(sizes, rng=purpose(streams[k], "init"))`` trained by ``Network.SGD`` with
``rng=purpose(streams[k], "shuffle")`` (the same initial draws, the same per-epoch permutations, the same network2
arithmetic, to rounding; the tests check it), and ``network(k)`` hands it back as a ``Network``. No two replicas or
purposes share a stream (no seed arithmetic such as s + 1).

Two ways to train:
* ``full_batch_descent``: the book's protocol for watching the gradients: each epoch is one
  gradient-descent step on all n images; the averaged bias gradients that the step uses are
  returned for every epoch, recorded before the step (computed once, not twice). All replicas
  see the same images, so the first layer of all seeds is one matrix product.
* ``sgd``: network2's mini-batch SGD, each replica with its own permutation per epoch and its
  own lmbda (two protocols can share one loop).
"""

from __future__ import annotations

import numpy as np

from ..streams import generator
from ..validate import as_inputs, as_targets, check_positive
from .network import Network
from .stacked import Stack
from .stacked_sgd import Trainer, sgd

__all__ = ["Replicas"]


class Replicas:
    """The networks ``Network(sizes, rng=purpose(s, "init"), init=init)`` for each stream s, stacked.

    ``streams``: one ``numpy.random.SeedSequence`` per replica (an int s stands for ``SeedSequence(s)``);
    the same stream twice gives two identical replicas (two protocols paired by seed).
    ``cost``: "cross-entropy" (the chapter's) or "quadratic", as ``Network``'s; ``dtype`` the arithmetic's
    (network2's float64 by default; float32 runs the products at about twice the rate, to float32 rounding).
    """

    def __init__(self, sizes, streams, *, init: str = "default", cost: str = "cross-entropy", dtype="float64"):
        streams = list(streams)
        if not streams:
            raise ValueError("Replicas needs at least one stream")
        nets = [Network(sizes, rng=generator(s, "init"), init=init, cost=cost) for s in streams]
        self.sizes, self.streams, self.init, self.cost = nets[0].sizes, streams, init, cost
        self.stack = Stack.from_arrays([np.stack([n.weights[l] for n in nets]) for l in range(len(self.sizes) - 1)],
                                       [np.stack([n.biases[l] for n in nets]) for l in range(len(self.sizes) - 1)],
                                       activation="sigmoid", output="sigmoid", cost=cost, dtype=np.dtype(dtype))

    def __len__(self) -> int:
        return len(self.streams)

    @property
    def weights(self) -> list:
        return self.stack.weights

    @property
    def biases(self) -> list:
        return self.stack.biases

    def network(self, k: int) -> Network:
        """Returns replica k as a ``Network`` (copies of its weights and biases)."""
        return Network.from_parameters([w[k] for w in self.weights], [b[k] for b in self.biases], cost=self.cost)

    def accuracy(self, x, labels) -> np.ndarray:
        """Returns, per replica, how many inputs x (n, n_0) it classifies as ``labels`` (n,)."""
        x = as_inputs(x, self.sizes[0])
        labels = np.asarray(labels)
        if labels.shape != (len(x),):
            raise ValueError(f"labels must have shape ({len(x)},), got {labels.shape}")
        return self.stack.accuracy(x, labels)

    def mean_bias_gradients(self, x, y) -> list:
        """Returns dC/db per layer, (S, n_l) each, averaged over the examples of (x, y) (no step; network2's
        arithmetic: sigma' = a(1 - a))."""
        x = as_inputs(x, self.sizes[0])
        y = as_targets(y, len(x), self.sizes[-1])
        with np.errstate(over="ignore"):
            return self.stack.backprop(x, y, exact=False, scale=np.full(len(self), 1 / len(x))).nabla_b

    def full_batch_descent(self, x, y, epochs: int, eta: float, lmbda: float, *, progress=None) -> list:
        """Trains by gradient descent on all of (x, y), one step per epoch; returns the recorded gradients.

        Returns ``grads`` with ``grads[l]`` of shape (epochs, S, n_{l+1}): dC/db^{l+2} (book's
        numbering) averaged over the n examples, at each epoch **before** that epoch's step, the
        very gradient the step then uses: b -> b - eta grad, w -> (1 - eta lmbda/n) w - eta grad_w
        (network2's update with one mini-batch of all n). ``progress(epoch)`` is called every 100 epochs.
        """
        x = as_inputs(x, self.sizes[0])[None].astype(self.stack.dtype)
        y = as_targets(y, x.shape[1], self.sizes[-1])[None].astype(self.stack.dtype)
        epochs = int(check_positive("epochs", epochs, allow_zero=True, integer=True))
        eta, lmbda = check_positive("eta", eta), check_positive("lmbda", lmbda, allow_zero=True)
        S, n = len(self), x.shape[1]
        etas = np.full(S, float(eta))
        trainer = Trainer(self.stack, x, y, lmbda=np.full(S, float(lmbda)), penalty="l2", momentum=np.zeros(S),
                          clip=None, batch=n)
        trainer.everything = True
        grads = [np.empty((epochs, S, w.shape[1])) for w in self.weights]
        everything = np.arange(n)[None]

        def record(epoch):  # the step's own gradient, eta (1/n) sum delta: divided by eta
            def save(work, step_grads):
                for l, g in enumerate(step_grads[:len(grads)]):
                    grads[l][epoch] = g[:, 0, :].reshape(S, -1) / eta
            return save

        with np.errstate(over="ignore"):
            for epoch in range(epochs):
                trainer.step(everything, etas, before_update=record(epoch))
                if (epoch + 1) % 100 == 0 or epoch == epochs - 1:
                    self._check_finite(trainer, epoch, eta)
                    if progress is not None and (epoch + 1) % 100 == 0:
                        progress(epoch + 1)
        trainer.sync()
        return grads

    def _check_finite(self, trainer, epoch: int, eta: float) -> None:
        trainer.sync()
        if self.stack.nonfinite().any():
            raise FloatingPointError(f"weights became NaN or inf by epoch {epoch} (eta {eta:g}); lower eta")

    def sgd(self, x, y, epochs: int, mini_batch_size: int, eta: float, lmbdas, *, on_epoch=None) -> None:
        """Trains every replica by network2's mini-batch SGD, in place.

        Replica k shuffles each epoch with its own stream's "shuffle" child (as
        ``Network.SGD(..., rng=purpose(streams[k], "shuffle"))`` does; a new generator at each call, so
        a second call repeats the first's permutations) and uses ``lmbdas[k]`` (a number: all the
        same). ``on_epoch(epoch)`` runs after each epoch.
        """
        x = as_inputs(x, self.sizes[0])
        m = min(int(check_positive("mini_batch_size", mini_batch_size, integer=True)), len(x))
        eta = check_positive("eta", eta)
        lmbdas = np.broadcast_to(np.asarray(lmbdas, dtype=np.float64), (len(self),))
        for v in lmbdas:
            check_positive("lmbda", float(v), allow_zero=True)

        def after(epoch):
            if self.stack.diverged.any():
                raise FloatingPointError(f"weights became NaN or inf at epoch {epoch} (eta {eta:g}); lower eta")
            if on_epoch is not None:
                on_epoch(epoch)

        sgd(self.stack, x, y, int(check_positive("epochs", epochs, allow_zero=True, integer=True)), m, eta,
            shuffles=[generator(s, "shuffle") for s in self.streams], lmbda=lmbdas, on_epoch=after)


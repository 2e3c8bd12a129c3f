"""S networks of one shape trained side by side: the experiments' seeds as one stacked array.

The chapter's experiments repeat one training run over many seeds. ``Replicas`` stacks the
weights of S networks, ``weights[l]`` of shape (S, n_{l+1}, n_l), and trains them together,
so every NumPy call serves all seeds (one Python loop instead of S). Each replica has its own
random stream (a ``numpy.random.SeedSequence``, normally ``SeedSequence(base_seed).spawn(S)[k]``),
and within it one child per purpose (``numeric.streams``): replica k is exactly
``Network(sizes, rng=purpose(streams[k], "init"))`` trained by ``Network.SGD`` with
``rng=purpose(streams[k], "shuffle")`` (the same initial draws, the same per-epoch permutations, the
same network2 arithmetic: both run on ``numeric.networks.kernel``; the tests check it bit for bit), and
``network(k)`` hands it back as a ``Network``. No two replicas or purposes share a stream (no seed
arithmetic such as s + 1).

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
from . import kernel
from .network import Network

__all__ = ["Replicas"]


class Replicas:
    """The networks ``Network(sizes, rng=purpose(s, "init"), init=init)`` for each stream s, stacked.

    ``streams``: one ``numpy.random.SeedSequence`` per replica (an int s stands for ``SeedSequence(s)``);
    the same stream twice gives two identical replicas (two protocols paired by seed).
    ``cost``: "cross-entropy" (the chapter's) or "quadratic", as ``Network``'s.
    """

    def __init__(self, sizes, streams, *, init: str = "default", cost: str = "cross-entropy"):
        streams = list(streams)
        if not streams:
            raise ValueError("Replicas needs at least one stream")
        nets = [Network(sizes, rng=generator(s, "init"), init=init, cost=cost) for s in streams]
        self.sizes, self.streams, self.init, self.cost = nets[0].sizes, streams, init, cost
        self.weights = [np.stack([n.weights[l] for n in nets]) for l in range(len(self.sizes) - 1)]
        self.biases = [np.stack([n.biases[l] for n in nets]) for l in range(len(self.sizes) - 1)]

    def __len__(self) -> int:
        return len(self.streams)

    def network(self, k: int) -> Network:
        """Returns replica k as a ``Network`` (copies of its weights and biases)."""
        return Network.from_parameters([w[k] for w in self.weights], [b[k] for b in self.biases], cost=self.cost)

    # -- forward ---------------------------------------------------------------------------
    def _forward(self, x, w0=None):
        """Returns the activations [a^2 (S, n, n_2), ...] of every replica for the shared inputs x (n, n_0)
        (``networks.kernel.forward``, network2's arithmetic); ``w0`` replaces the first layer's weights (the columns of
        the inputs x holds)."""
        return kernel.forward(self.weights, self.biases, x, w0=w0)[1][1:]

    def accuracy(self, x, labels) -> np.ndarray:
        """Returns, per replica, how many inputs x (n, n_0) it classifies as ``labels`` (n,)."""
        x = as_inputs(x, self.sizes[0])
        labels = np.asarray(labels)
        if labels.shape != (len(x),):
            raise ValueError(f"labels must have shape ({len(x)},), got {labels.shape}")
        with np.errstate(over="ignore"):
            out = self._forward(x)[-1]
        return (out.argmax(axis=2) == labels).sum(axis=1)

    # -- training --------------------------------------------------------------------------
    def _mean_gradients(self, x, y, cols):
        """Returns (nabla_b, nabla_w) per layer, averaged over the n rows of (x, y), for every replica.

        ``x`` holds only the input columns ``cols``; nabla_w[0] is for those columns. BP1-BP4 as
        ``numeric.networks.kernel`` (sigma' = a(1 - a) as network2), summed over the rows, then divided by n.
        """
        _, acts = kernel.forward(self.weights, self.biases, x, w0=self.weights[0][:, :, cols])
        nbs, nws = kernel.gradients(kernel.backward(self.weights, [], acts, y, cost=self.cost), acts)
        return [v / len(x) for v in nbs], [v / len(x) for v in nws]

    def _shared_inputs(self, x, y):
        """Returns (x restricted to its non-zero columns, y one-hot, those columns).

        Inputs that are 0 in every image (MNIST's border: 149 of 784 pixels in the first 1,000)
        add nothing to z and get a zero weight gradient; leaving them out of the two large
        products is exact and saves a fifth of the time.
        """
        x = as_inputs(x, self.sizes[0])
        y = as_targets(y, len(x), self.sizes[-1])
        cols = np.flatnonzero((x != 0).any(axis=0))
        return np.ascontiguousarray(x[:, cols]), y, cols

    def mean_bias_gradients(self, x, y) -> list:
        """Returns dC/db per layer, (S, n_l) each, averaged over the examples of (x, y) (no step)."""
        x, y, cols = self._shared_inputs(x, y)
        with np.errstate(over="ignore"):
            return self._mean_gradients(x, y, cols)[0]

    def full_batch_descent(self, x, y, epochs: int, eta: float, lmbda: float, *, progress=None) -> list:
        """Trains by gradient descent on all of (x, y), one step per epoch; returns the recorded gradients.

        Returns ``grads`` with ``grads[l]`` of shape (epochs, S, n_{l+1}): dC/db^{l+2} (book's
        numbering) averaged over the n examples, at each epoch **before** that epoch's step, the
        very gradient the step then uses: b -> b - eta grad, w -> (1 - eta lmbda/n) w - eta grad_w
        (network2's update with one mini-batch of all n). ``progress(epoch)`` is called every 100 epochs.
        """
        x, y, cols = self._shared_inputs(x, y)
        epochs = int(check_positive("epochs", epochs, allow_zero=True, integer=True))
        eta, lmbda = check_positive("eta", eta), check_positive("lmbda", lmbda, allow_zero=True)
        decay = 1.0 - eta * lmbda / len(x)
        grads = [np.empty((epochs, len(self), w.shape[1])) for w in self.weights]
        with np.errstate(over="ignore"):
            for epoch in range(epochs):
                nbs, nws = self._mean_gradients(x, y, cols)
                for l, (nb, nw) in enumerate(zip(nbs, nws)):
                    grads[l][epoch] = nb
                    self.weights[l] *= decay  # the weights of all-zero inputs only decay
                    if l > 0:
                        self.weights[l] -= eta * nw
                    else:
                        self.weights[0][:, :, cols] -= eta * nw
                    self.biases[l] -= eta * nb
                self._check_finite(epoch, eta)
                if progress is not None and (epoch + 1) % 100 == 0:
                    progress(epoch + 1)
        return grads

    def _check_finite(self, epoch: int, eta: float) -> None:
        if not all(np.isfinite(w).all() for w in self.weights):
            raise FloatingPointError(f"weights became NaN or inf at epoch {epoch} (eta {eta:g}); lower eta")

    def sgd(self, x, y, epochs: int, mini_batch_size: int, eta: float, lmbdas, *, on_epoch=None) -> None:
        """Trains every replica by network2's mini-batch SGD, in place.

        Replica k shuffles each epoch with its own stream's "shuffle" child (as
        ``Network.SGD(..., rng=purpose(streams[k], "shuffle"))`` does; a new generator at each call, so
        a second call repeats the first's permutations) and uses ``lmbdas[k]`` (a number: all the
        same). ``on_epoch(epoch)`` runs after each epoch.
        """
        x = as_inputs(x, self.sizes[0]).astype(self.weights[0].dtype, copy=False)
        y = as_targets(y, len(x), self.sizes[-1]).astype(self.weights[0].dtype, copy=False)
        n, S = len(x), len(self)
        m = min(int(check_positive("mini_batch_size", mini_batch_size, integer=True)), n)
        eta = check_positive("eta", eta)
        lmbdas = np.broadcast_to(np.asarray(lmbdas, dtype=np.float64), (S,))
        for v in lmbdas:
            check_positive("lmbda", float(v), allow_zero=True)
        rngs = [generator(s, "shuffle") for s in self.streams]
        for epoch in range(int(check_positive("epochs", epochs, allow_zero=True, integer=True))):
            orders = np.stack([r.permutation(n) for r in rngs])
            kernel.sgd_epoch(self.weights, self.biases, x, y, orders, m, eta, lmbdas,
                             quadratic=self.cost == "quadratic")
            self._check_finite(epoch, eta)
            if on_epoch is not None:
                on_epoch(epoch)

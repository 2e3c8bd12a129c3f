"""network2 with the remedies for unstable gradients: other activations, initialisations, batch
normalisation, residual blocks, a softmax output, and training with momentum, gradient clipping and L1 or L2.

``DeepNetwork`` keeps ``numeric.networks.network.Network``'s semantics wherever an option is left at its
default (sigmoid neurons, network2's initialisation, plain SGD with L2 as w -> (1 - eta lmbda/n) w):
with defaults it computes the same numbers (a test checks it), but through a general, slower loop.
``Network`` itself is untouched, so the chapter's experiments keep their fast path; ``numeric.networks.stacked``
trains many ``DeepNetwork``s of one architecture side by side.

Layer l (0-based over weight matrices) computes z = a W^T + b; hidden layers then, in order,
* batch normalisation (``batch_norm=True``): u = gamma (z - mean) / sqrt(var + eps) + beta over the
  mini-batch while training, over running averages (momentum 0.9) at inference; b is then unused
  (beta takes its role) and "the bias gradient" of the layer is dC/dbeta;
* the activation phi (``activation``: sigmoid, tanh, relu, leaky-relu, elu; ``numeric.activations``);
* a residual (identity-skip) connection (``residual=True``) a = a_prev + phi(.) on every hidden
  layer after the first whose width equals its input's.
The output layer (``output``) is network2's sigmoid with its costs (BP1 is network2's), or softmax with
the log-likelihood cost (Glorot and Bengio's), delta^L = a^L - y. Initialisations: ``numeric.activations``.
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS, BN_EPS, BN_MOMENTUM, INITS, draw_weights, output_layer, weight_variance
from ..validate import as_inputs, as_targets, check_positive, check_sizes, make_rng

__all__ = ["ACTIVATIONS", "INITS", "DeepNetwork", "DeepGradients", "weight_variance"]


class DeepGradients:
    """Backprop's output for a batch: sums over the batch, like ``numeric.networks.network.Gradients``.

    ``nabla_b[l]`` is dC/db^l, or dC/dbeta^l on a batch-normalised layer (b is unused there);
    ``nabla_w[l]``, ``nabla_gamma[l]`` (None without batch normalisation); ``deltas[l]`` (n, n_l) is
    dC/dz^l of each example.
    """

    def __init__(self, nabla_b, nabla_w, nabla_gamma, deltas):
        self.nabla_b, self.nabla_w, self.nabla_gamma, self.deltas = nabla_b, nabla_w, nabla_gamma, deltas


class DeepNetwork:
    """network2 plus the remedies; see the module docstring."""

    def __init__(self, sizes, *, activation: str = "sigmoid", init: str = "default", cost: str | None = None,
                 output: str = "sigmoid", batch_norm: bool = False, residual: bool = False, rng=None):
        self.sizes = check_sizes(sizes)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} (each has a derivative rule), "
                             f"got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {list(INITS)}, got {init!r}")
        self.output_fn, self.cost = output_layer(output, cost)
        self.activation, self.init, self.output = activation, init, output
        self.batch_norm, self.residual = bool(batch_norm), bool(residual)
        hidden = self.sizes[1:-1]
        if self.residual:
            if len(hidden) < 2:
                raise ValueError("residual blocks need at least two hidden layers (the first has no skip)")
            if len(set(hidden)) != 1:
                raise ValueError(f"residual (identity-skip) blocks need hidden layers of one width, got {hidden}: "
                                 "a skip cannot add vectors of different lengths")
        rng = make_rng(rng)
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        if init in ("default", "large"):  # network2: every bias vector first, then every weight matrix
            self.biases = [rng.standard_normal(n_out) for _, n_out in pairs]
            scale = (lambda n_in: 1 / np.sqrt(n_in)) if init == "default" else (lambda n_in: 1.0)  # network2's
            self.weights = [rng.standard_normal((n_out, n_in)) * scale(n_in) for n_in, n_out in pairs]  # arithmetic
        else:
            self.weights = [draw_weights(init, rng, n_in, n_out) for n_in, n_out in pairs]
            self.biases = [np.zeros(n_out) for _, n_out in pairs]
        L = len(self.weights)
        self.gamma = [np.ones(n) if self.batch_norm and l < L - 1 else None for l, n in enumerate(self.sizes[1:])]
        self.beta = [np.zeros(n) if self.batch_norm and l < L - 1 else None for l, n in enumerate(self.sizes[1:])]
        self.running = [(np.zeros(n), np.ones(n)) if self.batch_norm and l < L - 1 else None
                        for l, n in enumerate(self.sizes[1:])]

    # -- forward and backward -------------------------------------------------------------
    def _skip(self, l: int) -> bool:
        return self.residual and 0 < l < len(self.weights) - 1

    def forward(self, x, *, training: bool = False, update_running: bool = True):
        """Returns (zs, activations, caches): caches hold what the backward pass of batch norm needs.

        ``training`` uses the batch's statistics (and, with ``update_running``, updates the running ones);
        otherwise the running ones.
        """
        a = as_inputs(x, self.sizes[0])
        phi = ACTIVATIONS[self.activation].phi
        zs, acts, caches = [], [a], []
        L = len(self.weights)
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w.T + (b if self.gamma[l] is None else 0.0)
            zs.append(z)
            if l == L - 1:
                a = self.output_fn(z)
                caches.append(None)
            else:
                u, cache = self._normalise(l, z, training, update_running)
                caches.append((u, cache))
                a = (a if self._skip(l) else 0.0) + phi(u)
            acts.append(a)
        return zs, acts, caches

    def _normalise(self, l, z, training, update_running=True):
        if self.gamma[l] is None:
            return z, None
        if training:
            if len(z) < 2:
                raise ValueError("batch normalisation needs mini-batches of at least 2 examples (the variance of "
                                 "one example is 0); use mini_batch_size >= 2")
            mean, var = z.mean(axis=0), z.var(axis=0)
            rm, rv = self.running[l]
            if update_running:
                self.running[l] = (BN_MOMENTUM * rm + (1 - BN_MOMENTUM) * mean,
                                   BN_MOMENTUM * rv + (1 - BN_MOMENTUM) * var)
        else:
            mean, var = self.running[l]
        inv = 1 / np.sqrt(var + BN_EPS)
        zhat = (z - mean) * inv
        return self.gamma[l] * zhat + self.beta[l], (zhat, inv, training)

    def feedforward(self, x):
        """Returns the output activations for inputs x (inference: running statistics in batch norm)."""
        return self.forward(x)[1][-1]

    def backprop(self, x, y, *, training: bool = True, update_running: bool = True) -> DeepGradients:
        """Returns the gradient of the cost summed over the batch (x, y), no regularisation.

        With batch normalisation and ``training`` the batch's own statistics are differentiated through
        (each example's cost depends on the whole batch), as in training; ``training=False`` uses the running
        statistics (constants), as at inference.
        """
        zs, acts, caches = self.forward(x, training=training, update_running=update_running)
        y = as_targets(y, len(acts[0]), self.sizes[-1])
        dphi = ACTIVATIONS[self.activation].prime
        L = len(self.weights)
        delta = self.cost.delta(zs[-1], acts[-1], y)
        nabla_w, nabla_b, nabla_g, deltas = [None] * L, [None] * L, [None] * L, [None] * L
        deltas[-1], nabla_b[-1], nabla_w[-1] = delta, delta.sum(axis=0), delta.T @ acts[-2]
        grad_a = delta @ self.weights[-1]  # dC/da of the last hidden layer
        for l in range(L - 2, -1, -1):
            u, cache = caches[l]
            d_u = grad_a * dphi(u)
            if cache is None:
                d_z = d_u
                nabla_b[l] = d_z.sum(axis=0)
            else:
                zhat, inv, batch_stats = cache
                nabla_g[l] = (d_u * zhat).sum(axis=0)
                nabla_b[l] = d_u.sum(axis=0)  # dC/dbeta
                d_zhat = d_u * self.gamma[l]
                if batch_stats:  # through the batch mean and variance
                    m = len(d_zhat)
                    d_z = inv / m * (m * d_zhat - d_zhat.sum(axis=0) - zhat * (d_zhat * zhat).sum(axis=0))
                else:
                    d_z = d_zhat * inv
            deltas[l] = d_z
            nabla_w[l] = d_z.T @ acts[l]
            prev = d_z @ self.weights[l]
            grad_a = prev + grad_a if self._skip(l) else prev
        return DeepGradients(nabla_b, nabla_w, nabla_g, deltas)

    def bias_gradient_norms(self, x, y) -> list[float]:
        """Returns ||dC/db^l|| (dC/dbeta^l with batch norm) per layer, the gradient averaged over (x, y).

        Batch normalisation normalises with the statistics of (x, y) itself, as training does (the running
        averages are left as they are): at initialisation they are still 0 and 1 and would describe no data.
        """
        g = self.backprop(x, y, training=True, update_running=False)
        return [float(np.linalg.norm(v / len(x))) for v in g.nabla_b]

    def total_cost(self, x, y) -> float:
        zs, acts, _ = self.forward(x)
        return float(np.mean(self.cost.fn(zs[-1], acts[-1], as_targets(y, len(acts[0]), self.sizes[-1]))))

    def accuracy(self, x, labels) -> int:
        out = self.feedforward(x)
        labels = np.asarray(labels)
        return int(np.sum(out.argmax(axis=1) == labels))

    # -- training -------------------------------------------------------------------------
    def SGD(self, x, y, epochs: int, mini_batch_size: int, eta: float, lmbda: float = 0.0, *, penalty: str = "l2",
            momentum: float = 0.0, clip: float | None = None, rng=None, callback=None):
        """Mini-batch SGD as network2 (a permutation per epoch, slices of m), with the remedies:

        ``penalty`` "l2" (w -> (1 - eta lmbda/n) w, network2) or "l1" (w -> w - (eta lmbda/n) sign(w));
        ``momentum`` mu: v -> mu v - eta g, w -> w + v (0 is plain SGD); ``clip`` c: the mini-batch's gradient
        (all weights, biases, gammas) is rescaled to norm c when its norm exceeds c. ``callback(epoch, net)``
        runs after each epoch.
        """
        x = as_inputs(x, self.sizes[0])
        y = as_targets(y, len(x), self.sizes[-1])
        epochs = int(check_positive("epochs", epochs, allow_zero=True, integer=True))
        m = int(check_positive("mini_batch_size", mini_batch_size, integer=True))
        if self.batch_norm and m < 2:
            raise ValueError("batch normalisation needs mini_batch_size >= 2 (the variance of one example is 0)")
        eta = check_positive("eta", eta)
        lmbda = check_positive("lmbda", lmbda, allow_zero=True)
        if penalty not in ("l1", "l2"):
            raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if clip is not None and not (np.isfinite(clip) and clip > 0):
            raise ValueError(f"clip (a gradient-norm threshold) must be a positive number, got {clip!r}")
        rng = make_rng(rng)
        params = self._params()
        velocity = [np.zeros_like(p) for p in params]
        n = len(x)
        for epoch in range(epochs):
            order = rng.permutation(n)
            for k in range(0, n, m):
                idx = order[k:k + m]
                g = self.backprop(x[idx], y[idx], training=True)
                grads = [v / len(idx) for v in self._grads(g)]
                if clip is not None:
                    norm = np.sqrt(sum(float(np.sum(v * v)) for v in grads))
                    if norm > clip:
                        grads = [v * (clip / norm) for v in grads]
                for w in self.weights:  # the penalty, on weights only, as network2
                    if lmbda:
                        if penalty == "l2":
                            w *= 1 - eta * lmbda / n
                        else:
                            w -= eta * lmbda / n * np.sign(w)
                for p, v, gr in zip(params, velocity, grads):
                    if momentum:
                        v *= momentum
                        v -= eta * gr
                        p += v
                    else:
                        p -= eta * gr
            if not all(np.isfinite(p).all() for p in params):
                raise FloatingPointError(f"training diverged: parameters became NaN or inf in epoch {epoch}; "
                                         "lower eta or clip the gradient")
            if callback is not None:
                callback(epoch, self)

    def _params(self):
        out = list(self.weights)
        for l, b in enumerate(self.biases):
            out.append(self.beta[l] if self.beta[l] is not None else b)
        out += [g for g in self.gamma if g is not None]
        return out

    def _grads(self, g: DeepGradients):
        return list(g.nabla_w) + list(g.nabla_b) + [v for v in g.nabla_gamma if v is not None]

"""An independent reference: network2's equations, one example at a time, column vectors.

Written from the book's BP1-BP4 and network2's update rule, with no code shared with
``numeric``; it draws from the same Generator in the same order (biases, then weights; one
permutation per epoch), so that a run from the same seed is comparable number for number.
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class ReferenceNetwork:
    def __init__(self, sizes, rng, cost="cross-entropy"):
        self.sizes = sizes
        self.cost = cost
        self.biases = [rng.standard_normal(y).reshape(y, 1) for y in sizes[1:]]
        self.weights = [rng.standard_normal((y, x)) / np.sqrt(x) for x, y in zip(sizes[:-1], sizes[1:])]

    def backprop(self, x, y):
        """x (n0, 1), y (nL, 1) -> (nabla_b, nabla_w) of one example."""
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = activations[-1] - y
        if self.cost == "quadratic":
            delta = delta * sigmoid_prime(zs[-1])
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
        for l in range(2, len(self.sizes)):
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            nabla_b[-l], nabla_w[-l] = delta, delta @ activations[-l - 1].T
        return nabla_b, nabla_w

    def update_mini_batch(self, batch, eta, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in batch:
            db, dw = self.backprop(x, y)
            nabla_b = [nb + d for nb, d in zip(nabla_b, db)]
            nabla_w = [nw + d for nw, d in zip(nabla_w, dw)]
        self.weights = [(1 - eta * (lmbda / n)) * w - (eta / len(batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def epoch(self, data, mini_batch_size, eta, lmbda, rng):
        order = rng.permutation(len(data))
        data = [data[i] for i in order]
        for k in range(0, len(data), mini_batch_size):
            self.update_mini_batch(data[k:k + mini_batch_size], eta, lmbda, len(data))

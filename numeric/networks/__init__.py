"""The networks: network2's (``network``, on the stacked ``kernel``), its stacked replicas, the general
``DeepNetwork`` and its stacks, the recurrent ones (``rnn``, ``lstm``) and greedy pre-training."""

"""Dropout, as keras/src/layers/regularization/dropout.py."""
from kerasish import random as krandom
from kerasish.layers.layer import Layer


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: `rate` must be in [0, 1], got {rate}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        # a layer given `seed=` draws from a stream of its own (in the engine, so a traced step's
        # replay moves it on too); without one, from the global generator
        self._seeds = krandom.SeedGenerator(seed) if seed is not None else None

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return krandom.dropout(inputs, self.rate, self.noise_shape, self._seeds)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}

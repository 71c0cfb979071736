"""The batches of each epoch, as keras/src/trainers/epoch_iterator.py: one iterator for the eager
loop and the compiled plans alike. Over arrays it draws each epoch's row order (through the
engine's ``permutation``), cuts full batches and then the last partial one, and with
``steps_per_epoch`` carries its pass over the data on into the next epoch; the compiled path takes
the same order and batch sizes and hands whole runs of batches to the engine."""
import math
import warnings

from kerasish import _core
from kerasish.trainers.data_adapters.array_data_adapter import ArrayDataAdapter


class EpochIterator:
    def __init__(self, adapter, batch_size=None, shuffle=False, steps=None):
        self.adapter = adapter
        self.steps_given = steps is not None
        self.batch_size = batch_size
        self.shuffle = shuffle
        if isinstance(adapter, ArrayDataAdapter):
            n = adapter.num_samples
            self.num_batches = math.ceil(n / batch_size) if n else 0
            self.steps = steps if steps is not None else self.num_batches
        else:
            self.steps = adapter.steps
        self._iterator = None  # with `steps` over arrays: the pass that carries on between epochs
        self._seen = 0

    @property
    def shuffles(self):
        """Whether each epoch takes the rows in a new random order ("batch" shuffling is not done)."""
        return bool(self.shuffle) and self.shuffle != "batch"

    def epoch_order(self):
        """This epoch's row order: a permutation drawn by the engine, or None for the rows as they are."""
        return _core.permutation(self.adapter.num_samples) if self.shuffles else None

    def segments(self):
        """``[(batch size, number of batches)]``: the full batches, then the last partial one."""
        full, rem = divmod(self.adapter.num_samples, self.batch_size)
        return [(size, count) for size, count in ((self.batch_size, full), (rem, 1 if rem else 0)) if count]

    def batch(self, order, pos, size):
        """(x, y, sample_weight) of the `size` rows from position `pos` of `order`."""
        return self.adapter.take(slice(pos, pos + size) if order is None else order[pos:pos + size])

    def _one_pass(self):
        order = self.epoch_order()
        pos = 0
        for size, count in self.segments():
            for _ in range(count):
                yield self.batch(order, pos, size)
                pos += size

    def enumerate_epoch(self):
        """``(step, (x, y, sample_weight))`` for each batch of one epoch, as NumPy arrays."""
        if not isinstance(self.adapter, ArrayDataAdapter):
            yield from enumerate(self.adapter.get_epoch())
            return
        if not self.steps_given:
            yield from enumerate(self._one_pass())
            return
        # Keras 3's EpochIterator: with `steps` the pass over the data carries on into the next
        # epoch, and an epoch ends early (with a warning) when the data runs out
        if self._iterator is None:
            self._iterator, self._seen = self._one_pass(), 0
        for step in range(self.steps):
            if self._seen >= self.num_batches:
                warnings.warn(
                    "Your input ran out of data; interrupting training. Make sure that your dataset or "
                    "generator can generate at least `steps_per_epoch * epochs` batches.", stacklevel=4)
                break
            self._seen += 1
            yield step, next(self._iterator)
        if self._seen >= self.num_batches:
            self._iterator, self._seen = None, 0

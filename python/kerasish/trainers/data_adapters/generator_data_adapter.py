"""Python generators and PyDataset-like objects as training data, as
keras/src/trainers/data_adapters/generator_data_adapter.py (and py_dataset_adapter.py)."""
import itertools

from kerasish.trainers.data_adapters.data_adapter_utils import as_array, unpack_x_y_sample_weight


class GeneratorDataAdapter:
    """Batches from a Python generator or a PyDataset-like object (__getitem__ + __len__)."""

    def __init__(self, source, steps=None):
        self.source = source
        self.steps = steps
        if steps is None and hasattr(source, "__len__"):
            self.steps = len(source)

    def get_epoch(self):
        """The (x, y, sample_weight) batches of one epoch, as NumPy arrays."""
        src = self.source
        if hasattr(src, "__getitem__") and hasattr(src, "__len__") and not isinstance(src, (list, tuple)):
            it = (src[i] for i in range(len(src)))
        else:
            it = iter(src)
        if self.steps is not None:
            # islice stops before drawing a batch past `steps`: a generator shared between epochs
            # must not lose one at each epoch's end
            it = itertools.islice(it, self.steps)
        for batch in it:
            x, y, sw = unpack_x_y_sample_weight(batch)
            yield as_array(x), as_array(y), as_array(sw)
        if hasattr(src, "on_epoch_end"):
            src.on_epoch_end()

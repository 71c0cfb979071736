"""In-memory arrays as training data, as keras/src/trainers/data_adapters/array_data_adapter.py."""
from kerasish.trainers.data_adapters.data_adapter_utils import flat_arrays, take
from kerasish.tree import flatten


class ArrayDataAdapter:
    """x, y and sample weights as NumPy arrays (or structures of them), all with the same number of rows."""

    def __init__(self, x, y=None, sample_weight=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        sizes = {len(a) for a in flat_arrays([v for v in (x, y, sample_weight) if v is not None])}
        if len(sizes) > 1:
            parts = []
            for name, v in (("x", x), ("y", y), ("sample_weight", sample_weight)):
                if v is not None:
                    parts.append(f"'{name}' sizes: "
                                 + ", ".join(str(len(a)) for a in (flatten(v) if not isinstance(v, dict) else v.values())))
            raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same number of "
                             "samples. " + " ".join(parts))
        self.num_samples = sizes.pop() if sizes else 0

    @property
    def arrays(self):
        """Every array, x's then y's then the sample weights' (the order the engine's batch loop takes them in)."""
        return [a for v in (self.x, self.y, self.sample_weight) if v is not None for a in flatten(v)]

    def take(self, idx):
        """(x, y, sample_weight) of rows `idx` (a slice or an index array)."""
        return (take(self.x, idx), None if self.y is None else take(self.y, idx),
                None if self.sample_weight is None else take(self.sample_weight, idx))

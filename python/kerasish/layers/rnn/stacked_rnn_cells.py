"""StackedRNNCells, as keras/src/layers/rnn/stacked_rnn_cells.py: several cells as one, each
step's output the next cell's input (what `RNN([cell1, cell2])` builds)."""
from kerasish import ops
from kerasish.layers.layer import Layer
from kerasish.tree import flatten, is_nested


class StackedRNNCells(Layer):
    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: {cell}")
            if "state_size" not in dir(cell):
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell without a `state_size`: "
                                 f"{cell}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return _output_dim(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        out = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                out.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                out.append(ops.zeros((batch_size, cell.state_size), dtype=self.compute_dtype))
            else:
                out.append([ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in cell.state_size])
        return out

    def call(self, inputs, states, training=False, **kwargs):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            if isinstance(cell, Layer) and cell.call_has_training:
                kwargs["training"] = training
            else:
                kwargs.pop("training", None)
            inputs, cell_states = (cell if callable(cell) else cell.call)(inputs, cell_states, **kwargs)
            if len(cell_states) == 1 and not was_list:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_shapes = input_shape
                cell.build(input_shape)
                cell.built = True
            input_shape = (flatten(input_shape)[0], _output_dim(cell))
        self.built = True

    def get_config(self):
        from kerasish.saving import serialization_lib

        return {**super().get_config(), "cells": [serialization_lib.serialize_keras_object(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasish.saving import serialization_lib

        config = dict(config)
        cells = [serialization_lib.deserialize_keras_object(c, custom_objects=custom_objects)
                 for c in config.pop("cells")]
        return cls(cells, **config)


def _output_dim(cell):
    if getattr(cell, "output_size", None) is not None:
        return cell.output_size
    return cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size

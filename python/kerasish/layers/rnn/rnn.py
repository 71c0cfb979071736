"""RNN, as keras/src/layers/rnn/rnn.py: runs a cell (or a list of cells, stacked) over the time
axis of (batch, time, features) sequences, with Keras's masks, states, go_backwards, stateful
batches and return_sequences / return_state.

The time loop composes engine ops step by step (recorded once in a traced training step and
replayed from there); for the built-in cells the input projection of every step is one GEMM
before the loop, so a step costs one GEMM against the recurrent kernel and the gates."""
from kerasish import ops
from kerasish.layers.layer import Layer
from kerasish.layers.rnn.dropout_rnn_cell import DropoutRNNCell, RecurrentCell
from kerasish.layers.rnn.stacked_rnn_cells import StackedRNNCells
from kerasish.ops.operation import PROBING
from kerasish.tree import flatten, is_nested, map_structure, pack_sequence_as
from kerasish.variables import Variable


class RNN(Layer):
    _cell_class = None  # the built-in recurrent layers' cell class (their arguments read through)

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if "state_size" not in dir(cell):
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer or list of integers, "
                             f"one integer per RNN state). Received: cell={cell}")
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True  # (Keras 3.15: outputs keep the mask with return_sequences)
        self.states = None
        self._expected_batch_size = None
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers (one for each state tensor).")
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    def __getattr__(self, name):
        # LSTM(...).units, .activation, .dropout...: the arguments live on the cell, as in Keras
        cell = self.__dict__.get("cell")
        if type(self)._cell_class is not None and cell is not None and not name.startswith("_") and name in _CELL_ARGS:
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def compute_mask(self, _, mask):
        mask = flatten(mask)[0] if is_nested(mask) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def build(self, sequences_shape, initial_state_shape=None):
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_shapes = step_shape
            self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                if sequences_shape[0] is None:
                    raise ValueError("When using `stateful=True` in a RNN, the batch size must be static. Found "
                                     f"dynamic batch size: sequence.shape={tuple(sequences_shape)}")
                self._create_state_variables(sequences_shape[0])
        self.built = True

    def _create_state_variables(self, batch_size):
        # object.__setattr__: the states are not weights of the layer (Keras does not track them)
        states = map_structure(lambda v: Variable(v, trainable=False, name="rnn_state"),
                               self.get_initial_state(batch_size))
        object.__setattr__(self, "states", states)
        self._expected_batch_size = batch_size

    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            return [ops.zeros((batch_size, d), dtype=self.cell.compute_dtype) for d in self.state_size]
        state = fn(batch_size=batch_size)
        return list(state) if is_nested(state) else [state]

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        """Zeros a stateful layer's carried states (between independent batches of sequences)."""
        if self.states is not None:
            for v in flatten(self.states):
                v.assign(ops.zeros_like(v))

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """(last output, outputs (batch, time, units) in the order processed, final states), with
        the semantics of Keras's backend.rnn on JAX."""
        cell = self.cell
        steps = sequences.shape[1]
        if isinstance(cell, RecurrentCell):
            projected = cell._input_projection(sequences, training)  # every step's x W + b in one GEMM

            def step(t, states):
                return cell._step(projected[:, t], states, training)
        else:
            kwargs = {"training": training} if isinstance(cell, Layer) and cell.call_has_training else {}

            def step(t, states):
                return cell(sequences[:, t], states, **kwargs)

        if mask is not None:
            mask = ops.cast(flatten(mask)[0] if is_nested(mask) else mask, "bool")
            if mask.ndim == 3:
                mask = ops.any(mask, axis=-1)
        states = initial_state
        outputs, prev_output = [], None
        for k, t in enumerate(range(steps - 1, -1, -1) if self.go_backwards else range(steps)):
            output, new_states = step(t, tuple(states) if isinstance(states, list) else states)
            new_states = list(new_states) if is_nested(new_states) else [new_states]
            if mask is not None:
                keep = ops.expand_dims(mask[:, t], -1)
                if self.unroll:  # JAX's unrolled loop: a masked step repeats the last output (zeros first)
                    prev = ops.zeros_like(output) if k == 0 else prev_output
                elif self.zero_output_for_mask:
                    prev = ops.zeros_like(output)
                else:  # JAX's scan: a masked step outputs the previous first state
                    prev = states[0] if not is_nested(states[0]) else states[-1][0]
                output = ops.where(keep, output, prev)
                flat = [ops.where(_keep_for(keep, s), n, s) for n, s in zip(flatten(new_states), flatten(states))]
                new_states = pack_sequence_as(new_states, flat)
            states, prev_output = new_states, output
            if self.return_sequences:
                outputs.append(output)
        return prev_output, (ops.stack(outputs, axis=1) if self.return_sequences else None), states

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if self.unroll and sequences.shape[1] is None:
            raise ValueError("Cannot unroll a RNN if the time dimension is undefined.")
        if initial_state is None:
            initial_state = (list(self.states) if self.stateful and self.states is not None
                             else self.get_initial_state(batch_size=sequences.shape[0]))
        if self.stateful and self._expected_batch_size is not None and sequences.shape[0] != self._expected_batch_size:
            raise ValueError("If an RNN is stateful, the batch size of the input sequences must be the same as the "
                             f"batch size of the initial state. \n- Expected batch size: {self._expected_batch_size}\n"
                             f"- Received batch size: {sequences.shape[0]}")
        initial_state = list(initial_state) if is_nested(initial_state) else [initial_state]
        initial_state = map_structure(lambda s: ops.convert_to_tensor(s, dtype=self.cell.compute_dtype), initial_state)
        last_output, outputs, states = self.inner_loop(sequences, initial_state, mask, training=training)
        _reset_dropout_masks(self.cell)
        if self.stateful and not PROBING[0]:  # (a shape-inference run on zeros carries no state)
            for variable, value in zip(flatten(self.states), flatten(states)):
                variable.assign(value)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def get_config(self):
        from kerasish.saving import serialization_lib

        config = {"return_sequences": self.return_sequences, "return_state": self.return_state,
                  "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                  "zero_output_for_mask": self.zero_output_for_mask,
                  "cell": serialization_lib.serialize_keras_object(self.cell)}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasish.saving import serialization_lib

        config = dict(config)
        if cls._cell_class is not None:  # LSTM, GRU, SimpleRNN: the cell's arguments are in the config
            return cls(**config)
        cell = serialization_lib.deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


_CELL_ARGS = {"units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
              "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
              "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
              "recurrent_dropout", "reset_after", "implementation"}


def _keep_for(keep, state):
    return keep if state.ndim == 2 else ops.reshape(keep, tuple(keep.shape) + (1,) * (state.ndim - 2))


def _reset_dropout_masks(cell):
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    for c in getattr(cell, "cells", ()):
        _reset_dropout_masks(c)


def check_use_cudnn(use_cudnn):
    """LSTM's and GRU's `use_cudnn`: "auto" or False run the engine's ops; True, which asks for
    cuDNN, is refused as Keras refuses it where cuDNN is not available."""
    if use_cudnn not in ("auto", True, False):
        raise ValueError("Invalid valid received for argument `use_cudnn`. Expected one of {'auto', True, False}. "
                         f"Received: use_cudnn={use_cudnn}")
    if use_cudnn is True:
        raise ValueError("use_cudnn=True was specified, but cuDNN is not available to kerasish; pass "
                         "use_cudnn='auto' (the engine's own kernels run the layer)")


def cell_layer_config(layer):
    """A built-in recurrent layer's config as Keras writes it: the RNN's own keys without `cell`,
    then the cell's arguments."""
    config = RNN.get_config(layer)
    del config["cell"]
    cell = layer.cell.get_config()
    for key in ("name", "trainable", "dtype"):
        cell.pop(key, None)
    config.update(cell)
    config["activity_regularizer"] = config.get("activity_regularizer")
    return config


__all__ = ["RNN"]

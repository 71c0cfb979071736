"""SimpleRNNCell and SimpleRNN, as keras/src/layers/rnn/simple_rnn.py: h = activation(x W + b + h' U)."""
from kerasish import ops
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.rnn.dropout_rnn_cell import RecurrentCell
from kerasish.layers.rnn.rnn import RNN, cell_layer_config


class SimpleRNNCell(RecurrentCell):
    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)

    def _step(self, xp, states, training):
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        rdp = self._recurrent_mask(h_tm1, training)
        if rdp is not None:
            h_tm1 = h_tm1 * rdp
        out = xp + ops.matmul(h_tm1, self.recurrent_kernel)
        if self.activation is not None:
            out = self.activation(out)
        return out, ([out] if nested else out)

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class SimpleRNN(RNN):
    """A fully connected RNN whose output is fed back as its next input state."""

    _cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                             dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                             name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = cell_layer_config(self)
        del config["seed"]  # Keras's SimpleRNN config leaves the seed out (its cell's keeps it)
        return config

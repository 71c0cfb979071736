"""LSTMCell and LSTM, as keras/src/layers/rnn/lstm.py. Gates in Keras's order i, f, c, o in the
columns of `kernel` (input_dim, 4 units) and `recurrent_kernel` (units, 4 units):
c = f c' + i act(z_c), h = o act(c), with i, f, o = recurrent_activation(z)."""
from kerasish import initializers, ops
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.rnn.dropout_rnn_cell import RecurrentCell
from kerasish.layers.rnn.rnn import RNN, cell_layer_config, check_use_cudnn


class LSTMCell(RecurrentCell):
    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        u, init, ones = self.units, self.bias_initializer, initializers.get("ones")

        def forget_ones(shape, dtype=None):  # the forget gate's bias starts at 1 (Jozefowicz et al.)
            return ops.concatenate([init((u,), dtype=dtype), ones((u,), dtype=dtype), init((2 * u,), dtype=dtype)])

        return forget_ones

    def _step(self, xp, states, training):
        h_tm1, c_tm1 = states[0], states[1]
        z = xp + self._project(h_tm1, self.recurrent_kernel, self._recurrent_mask(h_tm1, training), 4)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        act, ract = self.activation, self.recurrent_activation
        c = ract(z_f) * c_tm1 + ract(z_i) * act(z_c)
        h = ract(z_o) * act(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class LSTM(RNN):
    """Long Short-Term Memory layer (Hochreiter 1997)."""

    _cell_class = LSTMCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        check_use_cudnn(use_cudnn)
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, unit_forget_bias=unit_forget_bias,
                        recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype"),
                        trainable=kwargs.get("trainable", True), name="lstm_cell", seed=seed,
                        implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return cell_layer_config(self)

"""DropoutRNNCell, as keras/src/layers/rnn/dropout_rnn_cell.py: the dropout masks of a recurrent
cell, drawn once per sequence and used at every step (a list of one mask per gate when the cell
projects its gates apart, `dropout_mask_count`)."""
from kerasish import activations, initializers, ops, regularizers
from kerasish import random as krandom
from kerasish.layers.layer import Layer


class DropoutRNNCell:
    def _create_dropout_mask(self, step_input, rate):
        ones = ops.ones_like(step_input)
        count = getattr(self, "dropout_mask_count", None)
        if count is None:
            return krandom.dropout(ones, rate=rate, seed=self.seed_generator)
        return [krandom.dropout(ones, rate=rate, seed=self.seed_generator) for _ in range(count)]

    def get_dropout_mask(self, step_input):
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def _project(self, x, kernel, mask, gates):
        """x @ kernel with the dropout mask applied: one product, or (with a mask per gate) one
        product per gate's columns, concatenated. x may hold one step (batch, in) or a whole
        sequence (batch, time, in): a mask of one step applies to every step."""
        if mask is None:
            return ops.matmul(x, kernel)
        if not isinstance(mask, list):
            return ops.matmul(x * _over_time(mask, x), kernel)
        parts = ops.split(kernel, gates, axis=1)
        return ops.concatenate([ops.matmul(x * _over_time(m, x), k) for m, k in zip(mask, parts)], axis=-1)


def _over_time(mask, x):
    return ops.expand_dims(mask, 1) if x.ndim == mask.ndim + 1 else mask


class RecurrentCell(Layer, DropoutRNNCell):
    """What SimpleRNNCell, LSTMCell and GRUCell share: Keras's arguments, the weights `kernel`
    (input_dim, gates * units), `recurrent_kernel` (units, gates * units) and `bias`, and the
    split of a step into the input projection (for a whole sequence at once when the RNN layer
    runs the cell: one GEMM for every step) and the recurrent part."""

    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError("Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units}.")
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.implementation = implementation
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        if self.recurrent_dropout != 0.0:
            self.implementation = 1  # as Keras: one dropout mask per gate
        if self.implementation == 1 and self.gates > 1:
            self.dropout_mask_count = self.gates
        self.seed = seed
        self.seed_generator = krandom.SeedGenerator(seed) if seed is not None else None
        self.state_size = units
        self.output_size = units

    def _bias_initializer(self):
        return self.bias_initializer

    def _bias_shape(self):
        return (self.gates * self.units,)

    def build(self, input_shape):
        n = self.gates * self.units
        self.kernel = self.add_weight((input_shape[-1], n), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight((self.units, n), self.recurrent_initializer, name="recurrent_kernel",
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(), name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _input_bias(self):
        return self.bias

    def _input_projection(self, x, training):
        """x @ kernel + the input bias, for one step (batch, in) or all steps (batch, time, in)."""
        dp = self.get_dropout_mask(x if x.ndim == 2 else x[:, 0]) if training and 0.0 < self.dropout < 1.0 else None
        xp = self._project(x, self.kernel, dp, self.gates)
        b = self._input_bias()
        return xp if b is None else xp + b

    def _recurrent_mask(self, h_tm1, training):
        if training and 0.0 < self.recurrent_dropout < 1.0:
            return self.get_recurrent_dropout_mask(h_tm1)
        return None

    def call(self, inputs, states, training=False):
        return self._step(self._input_projection(inputs, training), states, training)

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    def get_config(self):
        names = ["units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                 "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
                 "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                 "recurrent_dropout", "seed"]
        out = {}
        for n in names:
            v = getattr(self, n)
            if n.endswith("activation"):
                v = activations.serialize(v)
            elif n.endswith("initializer"):
                v = initializers.serialize(v)
            elif n.endswith("regularizer"):
                v = regularizers.serialize(v)
            out[n] = v
        return {**super().get_config(), **out}

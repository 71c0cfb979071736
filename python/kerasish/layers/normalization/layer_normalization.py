"""LayerNormalization, as keras/src/layers/normalization/layer_normalization.py."""
from kerasish import initializers, ops, regularizers
from kerasish.layers.layer import Layer


class LayerNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        self._axes = tuple(a % len(input_shape) for a in axes)
        shape = tuple(input_shape[a] for a in self._axes)
        # as Keras: rms_scaling keeps gamma (always) and drops beta
        self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma", regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale or self.rms_scaling else None
        self.beta = self.add_weight(shape, self.beta_initializer, name="beta", regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center and not self.rms_scaling else None
        self._bshape = [input_shape[i] if i in self._axes else 1 for i in range(len(input_shape))]
        self.built = True

    def call(self, inputs):
        var = ops.var(inputs, axis=self._axes, keepdims=True)
        if self.rms_scaling:  # Keras 3: x / sqrt(var + eps) * gamma, without centring
            y = inputs / ops.sqrt(var + self.epsilon)
        else:
            mean = ops.mean(inputs, axis=self._axes, keepdims=True)
            y = (inputs - mean) / ops.sqrt(var + self.epsilon)
        bshape = [1 if d is None else d for d in self._bshape]
        bshape[0] = 1 if 0 not in self._axes else bshape[0]
        if self.gamma is not None:
            y = y * ops.reshape(self.gamma, bshape)
        if self.beta is not None:
            y = y + ops.reshape(self.beta, bshape)
        return y

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}

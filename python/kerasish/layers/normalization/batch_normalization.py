"""BatchNormalization, as keras/src/layers/normalization/batch_normalization.py."""
from kerasish import initializers, ops, regularizers
from kerasish.layers.layer import Layer


class BatchNormalization(Layer):
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, renorm=False, renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if renorm:
            raise ValueError("BatchNormalization: renorm=True (batch renormalization) is not supported by kerasish")
        self.synchronized = bool(synchronized)
        self.renorm, self.renorm_clipping, self.renorm_momentum = False, renorm_clipping, float(renorm_momentum)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        if len(input_shape) == 0:
            raise ValueError(f"BatchNormalization {self.name!r}: inputs must have at least one dimension")
        ax = self.axis % len(input_shape)
        n = input_shape[ax]
        self._shape = [1] * len(input_shape)
        self._shape[ax] = n
        self._reduce = tuple(i for i in range(len(input_shape)) if i != ax)
        self.gamma = self.add_weight((n,), self.gamma_initializer, name="gamma", regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight((n,), self.beta_initializer, name="beta", regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight((n,), self.moving_mean_initializer, name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight((n,), self.moving_variance_initializer, name="moving_variance",
                                               trainable=False)
        self.built = True

    def call(self, inputs, training=False):
        shape = [1] * inputs.ndim
        shape[self.axis % inputs.ndim] = -1
        if training and self.trainable:
            mean = ops.mean(inputs, axis=self._reduce, keepdims=True)
            var = ops.var(inputs, axis=self._reduce, keepdims=True)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + ops.reshape(mean.detach(), (-1,)) * (1 - m))
            self.moving_variance.assign(self.moving_variance * m + ops.reshape(var.detach(), (-1,)) * (1 - m))
        else:
            mean = ops.reshape(self.moving_mean, shape)
            var = ops.reshape(self.moving_variance, shape)
        y = (inputs - mean) / ops.sqrt(var + self.epsilon)
        if self.gamma is not None:
            y = y * ops.reshape(self.gamma, shape)
        if self.beta is not None:
            y = y + ops.reshape(self.beta, shape)
        return y

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "synchronized": self.synchronized, "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum}

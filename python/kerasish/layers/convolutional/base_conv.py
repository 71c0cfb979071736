"""The base of the convolution layers (channels_last), as keras/src/layers/convolutional/base_conv.py."""
from kerasish import activations, initializers, ops, regularizers
from kerasish.layers.layer import Layer
from kerasish.ops import nn


def _tuple(name, v, rank):
    if isinstance(v, int):
        return (v,) * rank
    t = tuple(int(i) for i in v)
    if len(t) != rank:
        raise ValueError(f"`{name}` must be an int or a tuple of {rank} ints, got {v!r}")
    return t


class BaseConv(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported, got {data_format!r}")
        if groups != 1:
            raise ValueError(f"{type(self).__name__}: groups other than 1 are not supported yet, got {groups}")
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{type(self).__name__}: `filters` must be a positive int, got {filters!r}")
        self.filters = filters
        self.kernel_size = _tuple("kernel_size", kernel_size, self.rank)
        self.strides = _tuple("strides", strides, self.rank)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: `padding` must be 'valid' or 'same', got {padding!r}")
        self.dilation_rate = _tuple("dilation_rate", dilation_rate, self.rank)
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"Input 0 of layer {self.name!r} is incompatible with the layer: expected ndim={self.rank + 2}, "
                f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}"
            )
        in_ch = input_shape[-1]
        self.kernel = self.add_weight(self.kernel_size + (in_ch, self.filters), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True

    def call(self, inputs):
        if inputs.ndim != self.rank + 2 or inputs.shape[-1] != self.kernel.shape[-2]:
            raise ValueError(
                f"Input 0 of layer {self.name!r} is incompatible with the layer: expected shape "
                f"(batch, {', '.join(['...'] * self.rank)}, {self.kernel.shape[-2]}), got {tuple(inputs.shape)}"
            )
        # bias and activation applied by the conv kernels (the raw convolution is never stored)
        fused = activations.fused_name(self.activation, inputs, self.bias) if inputs.dtype == self.kernel.dtype else None
        if fused is not None:
            return nn.conv_bias_activation(inputs, self.kernel, self.bias, fused, self.strides, self.padding, self.dilation_rate)
        y = ops.conv(inputs, self.kernel, self.strides, self.padding, dilation_rate=self.dilation_rate)
        return activations.bias_activation(y, self.bias, self.activation)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": "channels_last",
                "dilation_rate": self.dilation_rate, "groups": self.groups,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}

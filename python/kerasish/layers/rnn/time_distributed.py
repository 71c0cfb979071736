"""TimeDistributed, as keras/src/layers/rnn/time_distributed.py: one layer applied to every step
of (batch, time, ...) inputs, step by step as Keras 3 does (so a BatchNormalization inside sees
each step's batch, and the mask of each step reaches a layer that takes one)."""
from kerasish import ops
from kerasish.layers.layer import Layer
from kerasish.saving import serialization_lib


class TimeDistributed(Layer):
    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    @staticmethod
    def _child_shape(input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                             f"received: {input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child = self._child_shape(input_shape)
        if not self.layer.built:
            self.layer._build_shapes = child
            self.layer.build(child)
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=None, mask=None):
        self._child_shape(tuple(inputs.shape))
        if mask is not None:
            if mask.ndim < 2:
                raise ValueError("The `mask` passed to the `TimeDistributed` layer must be at least 2D (e.g., "
                                 f"`(batch_size, timesteps)`), but it has {mask.ndim} dimension(s) with shape "
                                 f"{tuple(mask.shape)}.")
            if tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
                raise ValueError(f"`TimeDistributed` Layer should be passed a `mask` of shape ({inputs.shape[0]}, "
                                 f"{inputs.shape[1]}, ...), received: mask.shape={tuple(mask.shape)}")
        kwargs = {}
        if self.layer.call_has_training:
            kwargs["training"] = training
        outputs = []
        for t in range(inputs.shape[1]):
            if mask is not None and "mask" in self.layer._call_mask_args:
                kwargs["mask"] = mask[:, t]
            outputs.append(self.layer.call(inputs[:, t], **kwargs))
        return ops.stack(outputs, axis=1)

    def get_config(self):
        return {**super().get_config(), "layer": serialization_lib.serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization_lib.deserialize_keras_object(config["layer"], custom_objects=custom_objects)
        return cls(**config)

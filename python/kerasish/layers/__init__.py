"""Layers, as keras.layers."""
from kerasish.layers.activations.activation import Activation
from kerasish.layers.convolutional.conv1d import Conv1D
from kerasish.layers.convolutional.conv2d import Conv2D
from kerasish.layers.core.dense import Dense
from kerasish.layers.core.embedding import Embedding
from kerasish.layers.core.input_layer import Input, InputLayer
from kerasish.layers.core.lambda_layer import Lambda
from kerasish.layers.core.masking import Masking
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.layer import Layer
from kerasish.layers.merging.add import Add, add
from kerasish.layers.merging.average import Average, average
from kerasish.layers.merging.concatenate import Concatenate, concatenate
from kerasish.layers.merging.maximum import Maximum, maximum
from kerasish.layers.merging.minimum import Minimum, minimum
from kerasish.layers.merging.multiply import Multiply, multiply
from kerasish.layers.merging.subtract import Subtract, subtract
from kerasish.layers.normalization.batch_normalization import BatchNormalization
from kerasish.layers.normalization.layer_normalization import LayerNormalization
from kerasish.layers.pooling.average_pooling1d import AveragePooling1D
from kerasish.layers.pooling.average_pooling2d import AveragePooling2D
from kerasish.layers.pooling.global_average_pooling1d import GlobalAveragePooling1D
from kerasish.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D
from kerasish.layers.pooling.global_max_pooling1d import GlobalMaxPooling1D
from kerasish.layers.pooling.global_max_pooling2d import GlobalMaxPooling2D
from kerasish.layers.pooling.max_pooling1d import MaxPooling1D
from kerasish.layers.pooling.max_pooling2d import MaxPooling2D
from kerasish.layers.preprocessing.rescaling import Rescaling
from kerasish.layers.regularization.dropout import Dropout
from kerasish.layers.reshaping.flatten import Flatten
from kerasish.layers.reshaping.permute import Permute
from kerasish.layers.reshaping.repeat_vector import RepeatVector
from kerasish.layers.reshaping.reshape import Reshape
from kerasish.layers.rnn.bidirectional import Bidirectional
from kerasish.layers.rnn.gru import GRU, GRUCell
from kerasish.layers.rnn.lstm import LSTM, LSTMCell
from kerasish.layers.rnn.rnn import RNN
from kerasish.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from kerasish.layers.rnn.stacked_rnn_cells import StackedRNNCells
from kerasish.layers.rnn.time_distributed import TimeDistributed
from kerasish.ops.operation import KerasTensor

MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D


def serialize(layer):
    """A layer's config in Keras's format ({module, class_name, config, registered_name, ...})."""
    from kerasish.saving.serialization_lib import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer a config from ``serialize`` (or Keras's) describes; custom classes come from
    ``custom_objects`` or the registry, never from code in the config."""
    from kerasish.saving.serialization_lib import deserialize_keras_object

    if not isinstance(config, dict):
        raise ValueError(f"`config` must be a dict (a layer's serialized config), got {type(config).__name__}: {config!r}")
    return deserialize_keras_object(config, custom_objects=custom_objects)

__all__ = [n for n in dir() if not n.startswith("_")]

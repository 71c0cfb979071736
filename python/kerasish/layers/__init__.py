"""Layers, as keras.layers."""
from kerasish.layers.conv import Conv1D, Conv2D
from kerasish.layers.core import Activation, Dense, Dropout, Embedding, Flatten, Input, InputLayer, Permute, Rescaling, Reshape
from kerasish.layers.layer import Layer
from kerasish.layers.merging import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from kerasish.layers.normalization import BatchNormalization, LayerNormalization
from kerasish.layers.pooling import (
                                  AveragePooling1D,
                                  AveragePooling2D,
                                  GlobalAveragePooling1D,
                                  GlobalAveragePooling2D,
                                  GlobalMaxPooling1D,
                                  GlobalMaxPooling2D,
                                  MaxPooling1D,
                                  MaxPooling2D,
)
from kerasish.ops.operation import KerasTensor

MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D

__all__ = [n for n in dir() if not n.startswith("_")]

"""GlobalMaxPooling2D, as keras/src/layers/pooling/global_max_pooling2d.py."""
from kerasish.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling2D(BaseGlobalPooling):
    mode = "max"

"""GlobalMaxPooling1D, as keras/src/layers/pooling/global_max_pooling1d.py."""
from kerasish.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    mode = "max"

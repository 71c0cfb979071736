"""GlobalAveragePooling1D, as keras/src/layers/pooling/global_average_pooling1d.py."""
from kerasish.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    mode = "average"

"""GlobalAveragePooling2D, as keras/src/layers/pooling/global_average_pooling2d.py."""
from kerasish.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling2D(BaseGlobalPooling):
    mode = "average"

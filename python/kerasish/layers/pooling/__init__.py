"""Pooling layers, one file per layer as keras/src/layers/pooling has."""

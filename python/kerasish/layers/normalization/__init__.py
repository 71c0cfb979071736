"""Normalization layers, one file per layer as keras/src/layers/normalization has."""

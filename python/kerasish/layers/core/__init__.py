"""Core layers, one file per layer as keras/src/layers/core has."""

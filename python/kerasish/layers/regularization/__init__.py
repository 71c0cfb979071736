"""Regularization layers, one file per layer as keras/src/layers/regularization has."""

"""Activations layers, one file per layer as keras/src/layers/activations has."""

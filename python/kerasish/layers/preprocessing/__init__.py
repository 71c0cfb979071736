"""Preprocessing layers, one file per layer as keras/src/layers/preprocessing has."""

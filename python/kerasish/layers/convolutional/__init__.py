"""Convolutional layers, one file per layer as keras/src/layers/convolutional has."""

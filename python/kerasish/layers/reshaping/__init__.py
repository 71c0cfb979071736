"""Reshaping layers, one file per layer as keras/src/layers/reshaping has."""

"""Merging layers, one file per layer as keras/src/layers/merging has."""

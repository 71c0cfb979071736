"""Recurrent layers, one file per layer as keras/src/layers/rnn has them."""

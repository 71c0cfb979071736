"""Training: the Trainer behind compile / fit / evaluate / predict, as keras/src/trainers."""

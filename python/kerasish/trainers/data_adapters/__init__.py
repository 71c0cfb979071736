"""The kinds of input data fit / evaluate / predict take, as keras/src/trainers/data_adapters."""

"""CSVLogger, as keras/src/callbacks/csv_logger.py."""
from __future__ import annotations

import collections
import csv
import os

from kerasish.callbacks.callback import Callback


class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file: columns ``epoch`` then the sorted keys (``val_``
    columns are added up front when the first epoch has none), rows written as Keras writes them."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(k):
            if isinstance(k, str):
                return k
            if hasattr(k, "ndim") and k.ndim == 0:
                return k.item() if hasattr(k, "item") else k
            if isinstance(k, collections.abc.Iterable) or hasattr(k, "tolist"):
                items = k.tolist() if hasattr(k, "tolist") else list(k)
                items = items if isinstance(items, list) else [items]
                return f'"[{", ".join(map(str, items))}]"'
            return k

        if self.csv_file is None or self.csv_file.closed:  # used outside fit's on_train_begin
            self.on_train_begin()

        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(["val_" + k for k in self.keys])

        if not self.writer:
            sep = self.sep

            class CustomDialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + (self.keys or []), dialect=CustomDialect)
            if self.append_header:
                self.writer.writeheader()

        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None

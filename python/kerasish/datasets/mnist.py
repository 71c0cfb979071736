"""MNIST handwritten digits: 60000 training and 10000 test images, 28x28 uint8, labels 0-9."""
from kerasish.datasets._idx import load_four

FILES = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}
MIRRORS = [
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
]


def load_data(path=None):
    """Returns ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,), as ``keras.datasets.mnist.load_data``.

    ``path`` may name a directory holding the four published files or a Keras ``mnist.npz``.
    Otherwise the files are looked for under $KERASISH_DATASETS/mnist/ and in the cache
    ~/.kerasish/datasets/mnist/, and downloaded (sha256 checked) when missing.
    """
    return load_four("mnist", FILES, MIRRORS, path, "sha256")

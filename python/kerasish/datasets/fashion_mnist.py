"""Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, in MNIST's file format."""
from kerasish.datasets._idx import load_four

# The dataset's authors publish MD5 digests for these files, so those are what is checked.
FILES = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
MIRRORS = [
    "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]


def load_data(path=None):
    """Returns ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, as
    ``keras.datasets.fashion_mnist.load_data``; looked up like :func:`kerasish.datasets.mnist.load_data`
    under the name ``fashion-mnist``."""
    return load_four("fashion-mnist", FILES, MIRRORS, path, "md5")

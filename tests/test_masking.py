"""Masks as Keras 3 carries them (a tensor's `_keras_mask`): made by Embedding(mask_zero=True) and
Masking, handed to the `mask` argument of the layers that take one, passed on by the layers that
support masking (dropped, with Keras's warning, by the others), honoured by the losses and
metrics; and Keras's value semantics for `x -= y` inside a layer's call."""
import warnings

import numpy as np
import pytest

import kerasish as keras
from conftest import check_grad, to_np
from kerasish import layers, ops
from oracle import oracle, real_keras

IDS = np.array([[3, 1, 4, 0, 0], [2, 0, 0, 0, 0], [1, 5, 9, 2, 6]])
VALID = IDS != 0


def _embedding_model(lib, head):
    inp = lib.Input((5,), dtype="int32")
    h = lib.layers.Embedding(10, 4, mask_zero=True)(inp)
    return lib.Model(inp, head(lib)(h))


def test_embedding_mask_rides_on_the_output():
    emb = layers.Embedding(10, 4, mask_zero=True)
    out = emb(IDS)
    np.testing.assert_array_equal(to_np(out._keras_mask), VALID)
    assert layers.Embedding(10, 4)(IDS).__dict__.get("_keras_mask") is None
    assert emb.supports_masking  # compute_mask is overridden, as Keras decides it
    # the symbolic output carries a symbolic mask
    kt = layers.Embedding(10, 4, mask_zero=True)(keras.Input((5,), dtype="int32"))
    assert kt._keras_mask.shape == (None, 5) and kt._keras_mask.dtype == "bool"


def test_masked_global_average_pooling_averages_valid_steps():
    m = _embedding_model(keras, lambda lib: lib.layers.GlobalAveragePooling1D())
    table = to_np(m.layers[1].embeddings)
    e = table[IDS]
    want = (e * VALID[..., None]).sum(1) / VALID.sum(1, keepdims=True)
    np.testing.assert_allclose(to_np(m(IDS)), want, rtol=1e-6)
    np.testing.assert_allclose(m.predict(IDS, verbose=0), want, rtol=1e-6)
    # channels_first: steps on axis 2
    x = np.random.default_rng(0).normal(size=(3, 4, 5)).astype("float32")
    pool = layers.GlobalAveragePooling1D(data_format="channels_first")
    np.testing.assert_allclose(to_np(pool(x, mask=ops.convert_to_tensor(VALID))),
                               (x * VALID[:, None]).sum(2) / VALID.sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(to_np(layers.GlobalMaxPooling1D(data_format="channels_first")(x)), x.max(2))


def test_masked_average_gradient_float64():
    mask = ops.convert_to_tensor(VALID)
    pool = layers.GlobalAveragePooling1D(dtype="float64")
    x = np.random.default_rng(1).normal(size=(3, 5, 2))
    check_grad(lambda t: pool(t, mask=mask), [x])


def test_mask_passes_through_supporting_layers_and_dies_with_a_warning():
    x = ops.convert_to_tensor(IDS)
    h = layers.Embedding(10, 4, mask_zero=True)(x)
    for layer in (layers.Dense(3), layers.Dropout(0.5), layers.LayerNormalization(), layers.Activation("relu")):
        h = layer(h)
        np.testing.assert_array_equal(to_np(h._keras_mask), VALID)
    with pytest.warns(UserWarning, match="does not support masking"):
        flat = layers.Flatten()(h)
    assert flat.__dict__.get("_keras_mask") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Flatten()(layers.Dense(3)(ops.ones((2, 3))))  # no mask, no warning


def test_masking_layer():
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    x[0, 1] = 0.0
    x[1, 3] = -1.0
    x[1, 2, 0] = -1.0  # one feature equal to the mask value does not mask the step
    out = layers.Masking(mask_value=-1.0)(x)
    keep = np.any(x != -1.0, axis=-1)
    np.testing.assert_allclose(to_np(out), x * keep[..., None])
    np.testing.assert_array_equal(to_np(out._keras_mask), keep)
    assert layers.Masking(0.5).get_config()["mask_value"] == 0.5
    np.testing.assert_array_equal(to_np(layers.Masking()(x)._keras_mask), np.any(x != 0, axis=-1))


def test_call_receives_the_mask_and_custom_compute_mask():
    seen = {}

    class Probe(layers.Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs * 2.0

    class Shift(layers.Layer):  # overrides compute_mask, so supports masking
        def call(self, inputs):
            return inputs * 1.0  # (an output that is the input keeps the input's mask, as in Keras)

        def compute_mask(self, inputs, mask=None):
            return ops.logical_not(mask)

    h = layers.Embedding(10, 4, mask_zero=True)(IDS)
    assert not Probe().supports_masking
    with pytest.warns(UserWarning):
        Probe()(h)  # Probe does not support masking: Keras warns that the mask dies here
    np.testing.assert_array_equal(to_np(seen["mask"]), VALID)
    np.testing.assert_array_equal(to_np(Shift()(h)._keras_mask), ~VALID)
    p = Probe()
    p.supports_masking = True
    np.testing.assert_array_equal(to_np(p(h)._keras_mask), VALID)
    # an explicit mask wins over the carried one
    with pytest.warns(UserWarning):
        Probe()(ops.ones((3, 5, 4)), mask=ops.convert_to_tensor(~VALID))
    np.testing.assert_array_equal(to_np(seen["mask"]), ~VALID)


def test_query_and_value_masks_for_several_tensor_arguments():
    seen = {}

    class Attend(layers.Layer):
        def call(self, query, value, query_mask=None, value_mask=None):
            seen.update(q=query_mask, v=value_mask)
            return query

    q = layers.Embedding(10, 2, mask_zero=True)(IDS)
    v = layers.Embedding(10, 2, mask_zero=True)(IDS[::-1])
    with pytest.warns(UserWarning):  # as Keras: the layer does not support masking
        Attend()(q, v)
    np.testing.assert_array_equal(to_np(seen["q"]), VALID)
    np.testing.assert_array_equal(to_np(seen["v"]), VALID[::-1])


def test_merging_masks():
    a = layers.Embedding(10, 3, mask_zero=True)(IDS)
    b = layers.Embedding(10, 3, mask_zero=True)(IDS[::-1])
    np.testing.assert_array_equal(to_np(layers.Add()([a, b])._keras_mask), VALID | VALID[::-1])
    assert layers.Add()([a, layers.Dense(3)(ops.ones((3, 5, 3)))]).__dict__.get("_keras_mask") is None
    c = layers.Concatenate()([a, ops.ones((3, 5, 2))])
    np.testing.assert_array_equal(to_np(c._keras_mask), np.ones((3, 5), bool))  # any() over features
    c = layers.Concatenate(axis=1)([a, b])
    np.testing.assert_array_equal(to_np(c._keras_mask), np.concatenate([VALID, VALID[::-1]], 1))
    with pytest.raises(ValueError, match="`mask` should be a list"):
        layers.Add().compute_mask([a, b], VALID)


def test_model_mask_argument_and_nested_models():
    inner = keras.Sequential([layers.Dense(3), layers.GlobalAveragePooling1D()])
    x = np.random.default_rng(3).normal(size=(3, 5, 4)).astype("float32")
    with pytest.warns(UserWarning):  # a Sequential does not pass masks on (Keras warns alike)
        got = to_np(inner(x, mask=ops.convert_to_tensor(VALID)))
    d = to_np(inner.layers[0](x))
    np.testing.assert_allclose(got, (d * VALID[..., None]).sum(1) / VALID.sum(1, keepdims=True), rtol=1e-6)
    with pytest.warns(UserWarning):
        outer = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(10, 4, mask_zero=True), inner])
    e = to_np(outer.layers[0](IDS))
    d = e @ to_np(inner.layers[0].kernel) + to_np(inner.layers[0].bias)
    with pytest.warns(UserWarning):
        got = to_np(outer(IDS))
    np.testing.assert_allclose(got, (d * VALID[..., None]).sum(1) / VALID.sum(1, keepdims=True),
                               rtol=1e-5)


def _per_step_model(lib):
    return _embedding_model(lib, lambda lib: lib.layers.Dense(3, activation="softmax"))


def test_loss_and_metrics_skip_masked_steps():
    keras.utils.set_random_seed(0)
    m = _per_step_model(keras)
    m.compile(loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"], optimizer="sgd")
    y = np.random.default_rng(4).integers(0, 3, size=IDS.shape)
    p = m.predict(IDS, verbose=0)
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    want = (nll * VALID).sum() / VALID.sum()
    loss, acc = m.evaluate(IDS, y, verbose=0)
    np.testing.assert_allclose(loss, want, rtol=1e-5)
    np.testing.assert_allclose(acc, ((p.argmax(-1) == y) * VALID).sum() / VALID.sum(), rtol=1e-6)
    # what the padded steps are labelled with changes nothing, in evaluate or in a training step
    y2 = np.where(VALID, y, (y + 1) % 3)
    np.testing.assert_allclose(m.evaluate(IDS, y2, verbose=0)[0], loss, rtol=1e-6)
    w = m.get_weights()
    m.train_on_batch(IDS, y)
    after = m.get_weights()
    m.set_weights(w)
    m.train_on_batch(IDS, y2)
    for a, b in zip(after, m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@oracle
def test_masked_models_match_keras():
    k = real_keras()
    import keras as real

    y = np.random.default_rng(5).integers(0, 3, size=IDS.shape)
    for head in (lambda lib: lib.layers.GlobalAveragePooling1D(),
                 lambda lib: lib.layers.Dense(3, activation="softmax")):
        mine, theirs = _embedding_model(keras, head), _embedding_model(real, head)
        theirs.set_weights(mine.get_weights())
        np.testing.assert_allclose(mine.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0), rtol=1e-5, atol=1e-6)
        got, want = getattr(mine(IDS), "_keras_mask", None), getattr(theirs(IDS), "_keras_mask", None)
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_array_equal(to_np(got), np.asarray(want))
    for lib, model in ((keras, mine), (real, theirs)):
        model.compile(loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    np.testing.assert_allclose(mine.evaluate(IDS, y, verbose=0), theirs.evaluate(IDS, y, verbose=0), rtol=1e-5)
    x = np.random.default_rng(6).normal(size=(2, 4, 3)).astype("float32")
    x[:, 1] = 0
    np.testing.assert_allclose(to_np(layers.Masking()(x)), np.asarray(real.layers.Masking()(x)))
    del k


def test_augmented_assignment_rebinds_inside_call():
    """The issue's custom layer: `inputs -= mean` inside call() makes a new tensor (Keras's tensors
    are values); the caller's tensor is untouched and gradients flow through the subtraction."""

    class Center(layers.Layer):
        def call(self, inputs):
            inputs -= ops.mean(inputs, axis=-1, keepdims=True)
            inputs *= 2.0
            return inputs

    x = ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(2, 3))
    out = Center()(x)
    np.testing.assert_allclose(to_np(x), np.arange(6).reshape(2, 3))
    np.testing.assert_allclose(to_np(out), 2 * (np.arange(6).reshape(2, 3) - [[1], [4]]))
    check_grad(lambda t: Center(dtype="float64")(t), [np.random.default_rng(7).normal(size=(2, 3))])
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), Center(), layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    hist = model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=2, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    # outside a layer's call the operators still update in place, views included
    w = ops.zeros((2, 2))
    row = w[0]
    w += 1.0
    row -= 0.5
    np.testing.assert_allclose(to_np(w), [[0.5, 0.5], [1.0, 1.0]])
    t = keras.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be changed in place"):
        t -= 1.0
    with keras.no_grad():
        t -= 1.0
    np.testing.assert_allclose(to_np(t), [0.0, 1.0])

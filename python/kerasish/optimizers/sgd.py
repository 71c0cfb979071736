"""SGD with optional (Nesterov) momentum, as ``keras.optimizers.SGD``."""
from __future__ import annotations

from kerasish import _core
from kerasish.optimizers.base_optimizer import Optimizer, is_number


class SGD(Optimizer):
    """``w -= lr * g``; with momentum ``m = momentum * m - lr * g; w += m``
    (Nesterov: ``w += momentum * m - lr * g``)."""

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name="SGD",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            **kwargs,
        )
        if not is_number(momentum) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        # one engine pass per variable: m = momentum*m - lr*g; w += m (nesterov: momentum*m - lr*g)
        m = self.momentums[self._get_variable_index(variable)] if self.momentum != 0 else None
        _core.sgd_update(variable, gradient, m, learning_rate, float(self.momentum), bool(self.nesterov))

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config

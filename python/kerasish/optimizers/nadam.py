"""Nadam (Adam with Nesterov momentum), as ``keras.optimizers.Nadam``."""
from __future__ import annotations

from kerasish import _core, config, ops
from kerasish.optimizers.base_optimizer import Optimizer, hyper_value


class Nadam(Optimizer):
    """Dozat's Nadam with the momentum schedule ``u_t = b1 * (1 - 0.5 * 0.96^t)``, exactly as Keras."""

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name="nadam",
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else config.floatx()
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._u_product = self._make_variable(_core.full((), 1.0, dtype), "u_product", dtype)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        beta_1 = float(hyper_value(self.beta_1))
        t = self._step_count() + 1
        self.assign(self._u_product, self._u_product * (beta_1 * (1.0 - 0.5 * 0.96**t)))
        self._u_product_value = float(self._u_product.item())
        try:
            super()._backend_update_step(grads, trainable_variables, learning_rate)
        finally:
            self._u_product_value = None

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        beta_1, beta_2 = float(hyper_value(self.beta_1)), float(hyper_value(self.beta_2))
        local_step = self._step_count() + 1
        u_t = beta_1 * (1.0 - 0.5 * 0.96**local_step)
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (local_step + 1))
        u_product_t = getattr(self, "_u_product_value", None)
        if u_product_t is None:
            u_product_t = float(self._u_product.item())
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = beta_2**local_step

        idx = self._get_variable_index(variable)
        m = self._momentums[idx]
        v = self._velocities[idx]
        self.assign_add(m, (gradient - m) * (1 - beta_1))
        self.assign_add(v, (ops.square(gradient) - v) * (1 - beta_2))
        m_hat = m * (u_t_1 / (1 - u_product_t_1)) + gradient * ((1 - u_t) / (1 - u_product_t))
        v_hat = v / (1 - beta_2_power)
        self.assign_sub(variable, m_hat * lr / (ops.sqrt(v_hat) + float(hyper_value(self.epsilon))))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config

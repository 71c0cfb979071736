"""RMSprop, as ``keras.optimizers.RMSprop``."""
from __future__ import annotations

from kerasish import ops
from kerasish.optimizers.base_optimizer import Optimizer


class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) * g^2; w -= lr * g / sqrt(v + epsilon)``; ``centered`` subtracts the
    squared moving average of ``g`` under the root; ``momentum`` accumulates the increments."""

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name="rmsprop",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        idx = self._get_variable_index(variable)
        velocity = self._velocities[idx]
        rho = float(self.rho)

        self.assign(velocity, velocity * rho + ops.square(gradient) * (1 - rho))
        if self.centered:
            average_grad = self._average_gradients[idx]
            self.assign(average_grad, average_grad * rho + gradient * (1 - rho))
            denominator = velocity - ops.square(average_grad) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = gradient * lr / ops.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[idx]
            self.assign(momentum, momentum * float(self.momentum) + increment)
            self.assign_sub(variable, momentum)
        else:
            self.assign_sub(variable, increment)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return config

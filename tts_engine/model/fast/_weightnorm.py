"""Fold weight normalisation into plain weights, once, at load time."""

from __future__ import annotations

import logging

import torch
from torch.nn.utils import parametrize
from torch.nn.utils.weight_norm import WeightNorm, remove_weight_norm

log = logging.getLogger(__name__)


def fold_weight_norm(model: torch.nn.Module) -> int:
    """Replace every weight-normed layer's `g * v / |v|` by the weight it computes.

    Stock Kokoro recomputes each normalised weight on every forward pass (89 layers); the result
    never changes at inference, so it is computed once. Handles both the legacy hook
    (`torch.nn.utils.weight_norm`, what kokoro 0.9.4 uses) and the parametrization API. Returns
    the number of layers folded.
    """
    folded = 0
    for module in model.modules():
        hooks = [h for h in module._forward_pre_hooks.values() if isinstance(h, WeightNorm)]
        for hook in hooks:
            remove_weight_norm(module, hook.name)
            folded += 1
        if parametrize.is_parametrized(module):
            names = list(getattr(module, "parametrizations", {}))
            for name in names:
                parametrize.remove_parametrizations(module, name, leave_parametrized=True)
                folded += 1
    log.debug("folded weight norm in %d layers", folded)
    return folded

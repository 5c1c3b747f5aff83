"""The argument checks every module shares (checks.py)."""

import numpy as np
import pytest

from checks import checkChain
from layers import Dense
from nn import MLP


def test_check_chain_names_the_owner_both_parts_and_both_values():
    def mlp(*widths, dtype=np.float32):
        model = MLP(dtype=dtype)
        for inputDim, outputDim in zip(widths, widths[1:]):
            model.addLayer(Dense(inputDim, outputDim, dtype=dtype))
        return model

    encoder, decoder = mlp(8, 3), mlp(3, 8)
    chain = [("encoder", encoder), ("decoder", decoder)]
    assert checkChain("Owner", chain, reconstructs=True) is chain
    checkChain("Owner", [("a", mlp(8, 3)), ("b", mlp(3, 5)), ("c", mlp(5, 2))])   # need not reconstruct
    for parts, reconstructs, error, message in [
        ([("encoder", encoder), ("decoder", mlp(4, 8))], False, ValueError,
         "Owner: the encoder's outputDim=3 must equal the decoder's inputDim=4"),
        ([("encoder", encoder), ("decoder", mlp(3, 7))], True, ValueError,
         "Owner: the decoder's outputDim=7 must equal the encoder's inputDim=8, since it reconstructs the input"),
        ([("encoder", encoder), ("decoder", mlp(3, 8, dtype=np.float64))], True, ValueError,
         "Owner: the encoder's dtype=float32 must equal the decoder's dtype=float64; "
         "build every part with the same dtype"),
        ([("encoder", encoder), ("middle", mlp(3, 3)), ("decoder", encoder)], False, ValueError,
         "Owner: the encoder and the decoder are the same MLP object; give two separate ones"),
        ([("encoder", encoder), ("decoder", MLP())], True, ValueError,
         "Owner: the decoder has no layers yet; add some with addLayer(Dense(...))"),
        ([("encoder", "784-400"), ("decoder", decoder)], True, TypeError,
         "Owner: the encoder must be a network with inputDim, outputDim and dtype, got str '784-400'"),
    ]:
        with pytest.raises(error) as raised:
            checkChain("Owner", parts, reconstructs=reconstructs)
        assert str(raised.value) == message

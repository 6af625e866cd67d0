"""Prints get_graph_node_names of modules that hold a feature extractor, as JSON.

usage: retrace_nodes.py              the seed's Resnet50WithFPN (an extractor `body` of resnet50's
                                     layer1..layer4, then a FeaturePyramidNetwork leaf `fpn`)
       retrace_nodes.py MODEL ...    per model: a wrapper whose `body` is an extractor of the model's
                                     last eval node
Output: {"seed" or MODEL: {"train": [...], "eval": [...]}}.
"""
import json
import sys
import warnings

import torch
import torch_fx_py311  # noqa: F401  (before tracing: torch.fx on Python 3.11)
import torchvision.models as models
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

warnings.filterwarnings("ignore")


class Resnet50WithFPN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = create_feature_extractor(
            models.resnet50(), return_nodes={f"layer{k}": str(v) for v, k in enumerate([1, 2, 3, 4])})
        self.fpn = FeaturePyramidNetwork([256, 512, 1024, 2048], 256, extra_blocks=LastLevelMaxPool())

    def forward(self, x):
        return self.fpn(self.body(x))


class Wrapper(torch.nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return self.body(x)


out = {}
if len(sys.argv) == 1:
    train, eval_ = get_graph_node_names(Resnet50WithFPN())
    out["seed"] = {"train": train, "eval": eval_}
for name in sys.argv[1:]:
    model = getattr(models, name)().eval()
    last = get_graph_node_names(model)[1][-1]
    wrapper = Wrapper(create_feature_extractor(model, [last])).eval()
    train, eval_ = get_graph_node_names(wrapper)
    out[name] = {"train": train, "eval": eval_}
print(json.dumps(out))

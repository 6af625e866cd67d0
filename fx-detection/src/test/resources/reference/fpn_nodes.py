"""Prints get_graph_node_names of modules built around a FeaturePyramidNetwork, as JSON.

"seed": the seed's Resnet50WithFPN (an extractor `body` of resnet50's layer1..layer4, then `fpn`);
"seed_pool": the same, returning only the FPN's "pool" level (one getitem node).
Output: {name: {"train": [...], "eval": [...]}}.
"""
import json
import warnings

import torch
import torch_fx_py311  # noqa: F401  (before tracing: torch.fx on Python 3.11)
import torchvision.models as models
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

warnings.filterwarnings("ignore")


class Resnet50WithFPN(torch.nn.Module):
    def __init__(self, only_pool=False):
        super().__init__()
        self.body = create_feature_extractor(
            models.resnet50(), return_nodes={f"layer{k}": str(v) for v, k in enumerate([1, 2, 3, 4])})
        self.fpn = FeaturePyramidNetwork([256, 512, 1024, 2048], 256, extra_blocks=LastLevelMaxPool())
        self.only_pool = only_pool

    def forward(self, x):
        y = self.fpn(self.body(x))
        return y["pool"] if self.only_pool else y


out = {}
for name, only_pool in [("seed", False), ("seed_pool", True)]:
    train, eval_ = get_graph_node_names(Resnet50WithFPN(only_pool))
    out[name] = {"train": train, "eval": eval_}
print(json.dumps(out))

"""Prints get_graph_node_names of the seed's Resnet50WithFPN (an extractor `body` of resnet50's
layer1..layer4, then a FeaturePyramidNetwork leaf `fpn`) as JSON {"train": [...], "eval": [...]}."""
import json
import warnings

import torch
from torchvision.models import resnet50
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

warnings.filterwarnings("ignore")


class Resnet50WithFPN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = create_feature_extractor(
            resnet50(), return_nodes={f"layer{k}": str(v) for v, k in enumerate([1, 2, 3, 4])})
        self.fpn = FeaturePyramidNetwork([256, 512, 1024, 2048], 256, extra_blocks=LastLevelMaxPool())

    def forward(self, x):
        return self.fpn(self.body(x))


train, eval_ = get_graph_node_names(Resnet50WithFPN())
print(json.dumps({"train": train, "eval": eval_}))

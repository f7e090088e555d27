"""Official DAB-DETR checkpoint -> our keys: strict loading, class remap, safe unpickling."""

from __future__ import annotations

import argparse
import json
import pickle
from collections import Counter

import pytest
import torch
import torchvision
from conftest import ROOT, SHARED_DATA, build_model

from dab_detr.convert import (
    COCO_CATEGORY_IDS,
    convert_checkpoint,
    convert_state_dict,
    load_official_checkpoint,
)

R50 = ROOT / "configs" / "dab-detr_r50_8xb2-50e_coco.py"
R50_3PAT_FIXXY = ROOT / "configs" / "ablations" / "dab-detr-3pat-fixxy_r50_8xb2-50e_coco.py"


def official_state_dict(num_patterns=0, d=256, ffn=2048, layers=6, queries=300, classes=91):
    """Key names and shapes of IDEA-Research/DAB-DETR's model (DABDETR.py, transformer.py,
    backbone.py at 723ddb8): torchvision ResNet-50 with FrozenBatchNorm2d (no batch counter),
    PReLU activations, conditional-attention projections, ca_qpos_proj only in layer 0, and
    the shared box MLP stored twice (bbox_embed and transformer.decoder.bbox_embed)."""
    g = torch.Generator().manual_seed(0)
    shapes = {f"backbone.0.body.{k}": v.shape
              for k, v in torchvision.models.resnet50().state_dict().items()
              if not k.startswith("fc.") and not k.endswith("num_batches_tracked")}
    shapes["input_proj.weight"], shapes["input_proj.bias"] = (d, 2048, 1, 1), (d,)

    def linear(prefix, n_in, n_out):
        shapes[f"{prefix}.weight"], shapes[f"{prefix}.bias"] = (n_out, n_in), (n_out,)

    def mlp(prefix, n_in, hidden, n_out, n_layers):
        dims = [n_in] + [hidden] * (n_layers - 1) + [n_out]
        for i in range(n_layers):
            linear(f"{prefix}.layers.{i}", dims[i], dims[i + 1])

    for i in range(layers):
        enc = f"transformer.encoder.layers.{i}"
        shapes[f"{enc}.self_attn.in_proj_weight"] = (3 * d, d)
        shapes[f"{enc}.self_attn.in_proj_bias"] = (3 * d,)
        linear(f"{enc}.self_attn.out_proj", d, d)
        dec = f"transformer.decoder.layers.{i}"
        projections = ["sa_qcontent", "sa_qpos", "sa_kcontent", "sa_kpos", "sa_v", "ca_qcontent",
                       "ca_kcontent", "ca_kpos", "ca_v", "ca_qpos_sine"] + (["ca_qpos"] if i == 0
                                                                            else [])
        for name in projections:
            linear(f"{dec}.{name}_proj", d, d)
        linear(f"{dec}.self_attn.out_proj", d, d)
        linear(f"{dec}.cross_attn.out_proj", d, d)
        for prefix, norms in ((enc, 2), (dec, 3)):
            linear(f"{prefix}.linear1", d, ffn)
            linear(f"{prefix}.linear2", ffn, d)
            shapes[f"{prefix}.activation.weight"] = (1,)
            for n in range(1, norms + 1):
                shapes[f"{prefix}.norm{n}.weight"] = shapes[f"{prefix}.norm{n}.bias"] = (d,)
    mlp("transformer.encoder.query_scale", d, d, d, 2)
    mlp("transformer.decoder.query_scale", d, d, d, 2)
    mlp("transformer.decoder.ref_point_head", 2 * d, d, d, 2)
    mlp("transformer.decoder.ref_anchor_head", d, d, 2, 2)
    shapes["transformer.decoder.norm.weight"] = shapes["transformer.decoder.norm.bias"] = (d,)
    mlp("bbox_embed", d, d, 4, 3)
    mlp("transformer.decoder.bbox_embed", d, d, 4, 3)
    linear("class_embed", d, classes)
    shapes["refpoint_embed.weight"] = (queries, 4)
    if num_patterns:
        shapes["transformer.patterns.weight"] = (num_patterns, d)
    state = {k: torch.randn(*s, generator=g) for k, s in shapes.items()}
    for k in [k for k in state if k.startswith("transformer.decoder.bbox_embed.")]:
        state[k] = state[k.replace("transformer.decoder.", "")]  # one shared module
    return state


def test_converted_state_dict_loads_strictly_with_the_right_values():
    official = official_state_dict()
    model = build_model(R50, {"backbone.init_cfg": None})
    converted = convert_state_dict(official)
    model.load_state_dict(converted, strict=True)
    state = model.state_dict()
    ids = list(COCO_CATEGORY_IDS)
    assert len(ids) == 80 and state["bbox_head.fc_cls.weight"].shape == (80, 256)
    assert torch.equal(state["bbox_head.fc_cls.weight"], official["class_embed.weight"][ids])
    assert torch.equal(state["bbox_head.fc_cls.bias"][1], official["class_embed.bias"][2])
    assert torch.equal(state["query_embedding.weight"], official["refpoint_embed.weight"])
    pairs = {
        "encoder.layers.3.self_attn.attn.in_proj_weight":
            "transformer.encoder.layers.3.self_attn.in_proj_weight",
        "encoder.layers.0.ffn.layers.0.1.weight": "transformer.encoder.layers.0.activation.weight",
        "decoder.layers.0.cross_attn.qpos_proj.weight":
            "transformer.decoder.layers.0.ca_qpos_proj.weight",
        "decoder.layers.5.cross_attn.qpos_sine_proj.bias":
            "transformer.decoder.layers.5.ca_qpos_sine_proj.bias",
        "decoder.layers.2.norms.2.weight": "transformer.decoder.layers.2.norm3.weight",
        "decoder.post_norm.bias": "transformer.decoder.norm.bias",
        "bbox_head.fc_reg.layers.2.weight": "bbox_embed.layers.2.weight",
        "neck.convs.0.conv.weight": "input_proj.weight",
        "backbone.layer4.2.bn3.running_var": "backbone.0.body.layer4.2.bn3.running_var",
    }
    for ours, theirs in pairs.items():
        assert torch.equal(state[ours], official[theirs]), ours


def test_fixxy_three_pattern_checkpoint_round_trips_through_a_file(tmp_path):
    official = official_state_dict(num_patterns=3)
    src, dst = tmp_path / "checkpoint.pth", tmp_path / "converted.pth"
    args = argparse.Namespace(num_patterns=3, random_refpoints_xy=True, lr=1e-4)
    torch.save(dict(model=official, optimizer={}, lr_scheduler={}, epoch=49, args=args), src)
    with pytest.raises(pickle.UnpicklingError):  # the plain safe load refuses the Namespace
        torch.load(src, weights_only=True)
    meta = convert_checkpoint(str(src), str(dst))
    assert meta["num_patterns"] == 3 and meta["random_refpoints_xy"] and meta["epoch"] == 49

    model = build_model(R50_3PAT_FIXXY, {"backbone.init_cfg": None})
    converted = torch.load(dst, weights_only=True)["state_dict"]
    model.load_state_dict(converted, strict=True)
    anchors = official["refpoint_embed.weight"]
    assert torch.equal(model.query_xy, anchors[:, :2])
    assert torch.equal(model.anchor_logits.detach(), anchors)
    assert torch.equal(model.patterns.weight, official["transformer.patterns.weight"])


class NotAllowed:
    def __reduce__(self):
        return (print, ("arbitrary code",))


def test_official_loader_refuses_other_globals(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save(dict(model={}, args=NotAllowed()), path)
    with pytest.raises(pickle.UnpicklingError):
        load_official_checkpoint(str(path))


@pytest.mark.skipif(not (SHARED_DATA / "detection").exists(),
                    reason="shared real COCO sample (../shared/data/detection) not present")
def test_class_remap_agrees_with_mmdet_labels_on_real_coco_annotations():
    from mmdet.datasets import CocoDataset

    sample = SHARED_DATA / "detection" / "coco_panopticapi_sample"
    dataset = CocoDataset(data_root=str(sample), ann_file="instances_things_only.json",
                          data_prefix=dict(img="images/"), pipeline=[], test_mode=True)
    label_to_id = {label: cat_id for cat_id, label in dataset.cat2label.items()}
    assert tuple(label_to_id[i] for i in range(80)) == COCO_CATEGORY_IDS
    annotations = json.loads((sample / "instances_things_only.json").read_text())["annotations"]
    labels = [inst["bbox_label"] for i in range(len(dataset))
              for inst in dataset.get_data_info(i)["instances"]]
    assert Counter(COCO_CATEGORY_IDS[label] for label in labels) == \
        Counter(ann["category_id"] for ann in annotations)

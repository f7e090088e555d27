# Run card -- DETR (mmdet's), the tiny CPU baseline for tools/reproduce.py's convergence table.
#   make train-dabdetr CONFIG=configs/quick/detr_r18-tiny_1xb4-12e_shapes.py
# Hardware: 2 CPU cores, a few minutes. Same backbone, width, depth, queries, data and
# schedule as the DAB-DETR quick config; DETR's own head and losses (softmax CE with no-object
# weight 0.1, L1 5, GIoU 2; dropout 0.1).
_base_ = './_base_/shapes-cpu.py'

model = dict(
    type='DETR',
    num_queries=30,
    data_preprocessor={{_base_.tiny_data_preprocessor}},
    backbone={{_base_.tiny_backbone}},
    neck={{_base_.tiny_neck}},
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                dropout=0.1,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                feedforward_channels={{_base_.ffn_channels}},
                num_fcs=2,
                ffn_drop=0.1,
                act_cfg=dict(type='ReLU', inplace=True)))),
    decoder=dict(
        num_layers=3,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                dropout=0.1,
                batch_first=True),
            cross_attn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                dropout=0.1,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                feedforward_channels={{_base_.ffn_channels}},
                num_fcs=2,
                ffn_drop=0.1,
                act_cfg=dict(type='ReLU', inplace=True))),
        return_intermediate=True),
    positional_encoding=dict(num_feats=64, normalize=True),
    bbox_head=dict(
        type='DETRHead',
        num_classes=3,
        embed_dims={{_base_.embed_dims}},
        loss_cls=dict(
            type='CrossEntropyLoss',
            bg_cls_weight=0.1,
            use_sigmoid=False,
            loss_weight=1.0,
            class_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='ClassificationCost', weight=1.),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ])),
    test_cfg=dict(max_per_img=30))  # softmax head: one detection per query

# Run card -- DAB-DETR, tiny CPU model on the embedded shapes set (the `make train-dabdetr`
# default). Command: make train-dabdetr   (= python tools/train.py)
# Hardware: 2 CPU cores, a few minutes. Expected: box AP well above an untrained model's
# (README "Results" gives the measured number).
# Same decoder as the paper (4-D anchors, anchor update, w/h modulation, key PE T = 20) at
# D = 128, 2 encoder / 3 decoder layers, 30 queries, ResNet-18 at half width from scratch.
_base_ = './_base_/shapes-cpu.py'

model = dict(
    type='SwitchableDABDETR',
    num_queries=30,
    iter_update=True,  # anchor update A^{l+1} = sigma(sigma^-1(A^l) + delta), Sec. 4.2
    random_refpoints_xy=False,  # Table 8 "fixed x,y" when True (really frozen)
    num_patterns=0,  # 3 for the starred rows of Table 2
    data_preprocessor={{_base_.tiny_data_preprocessor}},
    backbone={{_base_.tiny_backbone}},
    neck={{_base_.tiny_neck}},
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                dropout=0.,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                feedforward_channels={{_base_.ffn_channels}},
                num_fcs=2,
                ffn_drop=0.,
                act_cfg=dict(type='PReLU')))),
    decoder=dict(
        num_layers=3,
        query_dim=4,  # 4-D anchor boxes (x, y, w, h); 2 = the "2D points" ablation
        query_scale_type='cond_elewise',
        with_modulated_hw_attn=True,  # Eq. 6, w_ref/w_q and h_ref/h_q
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                attn_drop=0.,
                proj_drop=0.,
                cross_attn=False),
            cross_attn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                attn_drop=0.,
                proj_drop=0.,
                cross_attn=True),
            ffn_cfg=dict(
                embed_dims={{_base_.embed_dims}},
                feedforward_channels={{_base_.ffn_channels}},
                num_fcs=2,
                ffn_drop=0.,
                act_cfg=dict(type='PReLU'))),
        return_intermediate=True),
    # temperature T of Eq. 8 on the key (image) PE; the paper tunes 10000 -> 20
    positional_encoding=dict(num_feats=64, temperature=20, normalize=True),
    bbox_head=dict(
        type='DABDETRHead',
        num_classes=3,
        embed_dims={{_base_.embed_dims}},
        loss_cls=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='FocalLossCost', weight=2., eps=1e-8),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ])),
    test_cfg=dict(max_per_img=90))  # top-k over queries x classes, all 30 x 3

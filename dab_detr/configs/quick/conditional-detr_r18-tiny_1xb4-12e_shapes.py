# Run card -- Conditional DETR (mmdet's, with our D != 256 decoder fix), tiny CPU baseline for
# tools/reproduce.py.
#   make train-dabdetr CONFIG=configs/quick/conditional-detr_r18-tiny_1xb4-12e_shapes.py
# Hardware: 2 CPU cores, a few minutes. Same backbone, width, depth, queries, data and
# schedule as the DAB-DETR quick config; Conditional DETR's own losses (focal 2, L1 5, GIoU 2).
_base_ = './detr_r18-tiny_1xb4-12e_shapes.py'

model = dict(
    type='AnyWidthConditionalDETR',  # mmdet's, with the D != 256 fix
    decoder=dict(
        layer_cfg=dict(
            self_attn_cfg=dict(
                _delete_=True,
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                attn_drop=0.1,
                cross_attn=False),
            cross_attn_cfg=dict(
                _delete_=True,
                embed_dims={{_base_.embed_dims}},
                num_heads={{_base_.num_heads}},
                attn_drop=0.1,
                cross_attn=True))),
    bbox_head=dict(
        type='ConditionalDETRHead',
        loss_cls=dict(
            _delete_=True,
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=2.0)),
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='FocalLossCost', weight=2.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ])),
    test_cfg=dict(max_per_img=90))  # sigmoid head: top-k over queries x classes

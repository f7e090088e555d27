# Shared CPU recipe for the quick configs: the embedded shapes set (COCO format, generated on
# first use under data/shapes/), a ResNet-18-style backbone at half width trained from scratch,
# and a schedule that fits a few minutes on 2 cores. Everything but `model`.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['dab_detr'], allow_failed_imports=False)

# ---- data: same on-disk layout as COCO (images/<split>/, annotations/instances_<split>.json)
dataset_type = 'CheckedCocoDataset'
data_root = 'data/shapes/'
metainfo = dict(classes=('rectangle', 'ellipse', 'triangle'))
image_size = 128
# read by tools/*.py: generate the set under each data root if it is missing; other fields of
# dab_detr.datasets.ShapesSpec (object sizes, counts, overlap, seed) may be overridden too
embedded_dataset = dict(type='ShapesSpec', image_size=image_size, num_train=1000, num_val=200)
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,  # on CPU more, smaller steps learn faster per second than larger batches
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator

# ---- tiny model parts shared by DETR, Conditional DETR and DAB-DETR quick configs
# D = 128 (the paper: 256); D = 256 trained slower and reached 1.1 AP instead of 2.5 in 12
# epochs here. 2 x num_feats of the sine PE.
embed_dims = 128
num_heads = 4
ffn_channels = 512
tiny_backbone = dict(
    type='ResNet',
    depth=18,
    base_channels=32,  # half of ResNet-18's 64
    num_stages=3,  # stride 16: an 8x8 feature map for 128 px images
    strides=(1, 2, 2),
    dilations=(1, 1, 1),
    out_indices=(2, ),
    frozen_stages=-1,
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=False,
    style='pytorch',
    init_cfg=None)  # random init: nothing is downloaded
tiny_neck = dict(
    type='ChannelMapper',
    in_channels=[128],  # 32 * 2^(3-1)
    kernel_size=1,
    out_channels=embed_dims,
    act_cfg=None,
    norm_cfg=None,
    num_outs=1)
tiny_data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=1)

# ---- schedule: AdamW + clipping as in the paper; lr 2e-4 at batch 4 (the paper: 1e-4 at 16
# with a pretrained backbone) was the best of 1e-3 / 4e-4 / 2e-4 tried on this set
max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[int(max_epochs * 0.8)], gamma=0.1),
]

# ---- runtime: TensorBoard next to the local logs; visualisations of test predictions
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=25),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    visualization=dict(
        type='DetVisualizationHook', draw=True, interval=10, score_thr=0.3, test_out_dir='vis'))
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=25, by_epoch=True)
randomness = dict(seed=0)

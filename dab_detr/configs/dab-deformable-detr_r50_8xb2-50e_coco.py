# Run card -- DAB-Deformable-DETR-R50, multi-scale, 50 epochs (paper Table 5).
#   make train-dabdetr CONFIG=configs/dab-deformable-detr_r50_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s; official recipe 8 GPUs x 2 images (total batch 16).
# Expected COCO val2017 box AP: 46.8 (paper) / 46.9 (DN-DETR Table 3, official README).
# mmdet's Deformable DETR (box refine) with 4-D anchor queries; the transformer settings follow
# the official DAB run (main.py defaults): FFN 2048, dropout 0, lr 1e-4 with backbone and
# sampling-offset lr x0.1, loss weights cls/L1/GIoU = 1/5/2, top-100 detections.
_base_ = 'mmdet::deformable_detr/deformable-detr-refine_r50_16xb2-50e_coco.py'
custom_imports = dict(imports=['dab_detr'], allow_failed_imports=False)

model = dict(
    type='DABDeformableDETR',
    encoder=dict(layer_cfg=dict(ffn_cfg=dict(feedforward_channels=2048, ffn_drop=0.))),
    decoder=dict(
        layer_cfg=dict(
            self_attn_cfg=dict(dropout=0.),
            ffn_cfg=dict(feedforward_channels=2048, ffn_drop=0.))),
    bbox_head=dict(loss_cls=dict(loss_weight=1.0)))

train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader

# lr x0.1 for backbone and sampling offsets is inherited (official lr_linear_proj_mult)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
auto_scale_lr = dict(base_batch_size=16)

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')

# Run card -- DAB-DETR-R101 (paper Table 2).
#   make train-dabdetr CONFIG=configs/dab-detr_r101_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16.
# Expected COCO val2017 box AP: 43.5.
_base_ = './dab-detr_r50_8xb2-50e_coco.py'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))

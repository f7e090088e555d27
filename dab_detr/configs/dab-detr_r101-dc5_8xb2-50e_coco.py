# Run card -- DAB-DETR-DC5-R101 (paper Table 2).
#   make train-dabdetr CONFIG=configs/dab-detr_r101-dc5_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16.
# Expected COCO val2017 box AP: 45.8.
_base_ = './dab-detr_r101_8xb2-50e_coco.py'
model = dict(backbone=dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)))  # DC5

# Run card -- DAB-DETR-DC5-R50 (paper Table 2).
#   make train-dabdetr CONFIG=configs/dab-detr_r50-dc5_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16 (Table 4: 13.7 GB per GPU at 1 image).
# Expected COCO val2017 box AP: 44.5.
_base_ = './dab-detr_r50_8xb2-50e_coco.py'
# DC5: the last stage dilated instead of strided, C5 at stride 16
model = dict(backbone=dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)))

# Run card -- DAB-DETR-DC5-R101*, 3 patterns (paper Table 2).
#   make train-dabdetr CONFIG=configs/dab-detr-3pat_r101-dc5_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16.
# Expected COCO val2017 box AP: 46.6.
_base_ = './dab-detr_r101-dc5_8xb2-50e_coco.py'
model = dict(num_patterns=3)

# Run card -- DAB-DETR-R101*, 3 patterns (paper Table 2).
#   make train-dabdetr CONFIG=configs/dab-detr-3pat_r101_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16.
# Expected COCO val2017 box AP: 44.1.
_base_ = './dab-detr_r101_8xb2-50e_coco.py'
model = dict(num_patterns=3)

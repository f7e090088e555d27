# Run card -- DAB-DETR-DC5-R50*, 3 patterns (paper Table 2; the full model of Table 3).
#   make train-dabdetr CONFIG=configs/dab-detr-3pat_r50-dc5_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16 (Table 4: 15.5 GB per GPU at 1 image).
# Expected COCO val2017 box AP: 45.7.
_base_ = './dab-detr_r50-dc5_8xb2-50e_coco.py'
model = dict(num_patterns=3)

# Run card -- DAB-DETR-R50*, 3 pattern embeddings (paper Table 2, starred row).
#   make train-dabdetr CONFIG=configs/dab-detr-3pat_r50_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16 (8 GPUs x 2 images).
# Expected COCO val2017 box AP: 42.6.
_base_ = './dab-detr_r50_8xb2-50e_coco.py'
model = dict(num_patterns=3)  # 3 x 300 = 900 decoder queries (Anchor DETR patterns)

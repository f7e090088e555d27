# Run card -- Table 3 ablation "without anchor update" on DAB-DETR-DC5-R50* (full: 45.7).
#   make train-dabdetr GPUS=8 \
#     CONFIG=configs/ablations/dab-detr-3pat-noupdate_r50-dc5_8xb2-50e_coco.py
# Paper hardware: A100s, total batch 16. Expected COCO val2017 box AP: 44.0.
_base_ = '../dab-detr-3pat_r50-dc5_8xb2-50e_coco.py'
model = dict(iter_update=False)  # every decoder layer attends from the learned initial anchors

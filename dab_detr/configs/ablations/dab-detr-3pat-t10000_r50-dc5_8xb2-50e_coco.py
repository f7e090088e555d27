# Run card -- Table 3 ablation "without temperature tuning" on DAB-DETR-DC5-R50* (full: 45.7).
#   make train-dabdetr GPUS=8 \
#     CONFIG=configs/ablations/dab-detr-3pat-t10000_r50-dc5_8xb2-50e_coco.py
# Paper hardware: A100s, total batch 16. Expected COCO val2017 box AP: 44.4.
_base_ = '../dab-detr-3pat_r50-dc5_8xb2-50e_coco.py'
model = dict(positional_encoding=dict(temperature=10000))  # T of Eq. 8 back to DETR's value

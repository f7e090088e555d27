# Run card -- Table 3 ablation "2D points (no w/h modulation)" on DAB-DETR-DC5-R50* (full: 45.7).
#   make train-dabdetr GPUS=8 \
#     CONFIG=configs/ablations/dab-detr-3pat-2dpoint_r50-dc5_8xb2-50e_coco.py
# Paper hardware: A100s, total batch 16. Expected COCO val2017 box AP: 44.0.
_base_ = '../dab-detr-3pat_r50-dc5_8xb2-50e_coco.py'
# queries are 2-D reference points (x, y); w, h are regressed directly, without a prior
model = dict(decoder=dict(query_dim=2, with_modulated_hw_attn=False))

# Run card -- Table 3 ablation "without w/h modulation" on DAB-DETR-DC5-R50* (full: 45.7).
#   make train-dabdetr GPUS=8 \
#     CONFIG=configs/ablations/dab-detr-3pat-nowhmod_r50-dc5_8xb2-50e_coco.py
# Paper hardware: A100s, total batch 16. Expected COCO val2017 box AP: 45.0.
_base_ = '../dab-detr-3pat_r50-dc5_8xb2-50e_coco.py'
model = dict(decoder=dict(with_modulated_hw_attn=False))  # plain conditional attention, no Eq. 6

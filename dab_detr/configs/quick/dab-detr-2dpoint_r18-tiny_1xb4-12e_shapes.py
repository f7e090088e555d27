# Run card -- DAB-DETR quick ablation: 2-D points instead of 4-D anchors, no modulation
# (Table 3: 44.0).
#   make train-dabdetr CONFIG=configs/quick/dab-detr-2dpoint_r18-tiny_1xb4-12e_shapes.py
# Hardware: 2 CPU cores, a few minutes; one row of tools/reproduce.py's ablation table.
_base_ = './dab-detr_r18-tiny_1xb4-12e_shapes.py'
model = dict(decoder=dict(query_dim=2, with_modulated_hw_attn=False))

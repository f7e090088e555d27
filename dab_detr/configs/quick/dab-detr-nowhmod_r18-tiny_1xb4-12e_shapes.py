# Run card -- DAB-DETR quick ablation: without w/h modulation (Table 3: 45.0).
#   make train-dabdetr CONFIG=configs/quick/dab-detr-nowhmod_r18-tiny_1xb4-12e_shapes.py
# Hardware: 2 CPU cores, a few minutes; one row of tools/reproduce.py's ablation table.
_base_ = './dab-detr_r18-tiny_1xb4-12e_shapes.py'
model = dict(decoder=dict(with_modulated_hw_attn=False))  # no Eq. 6

# Run card -- DAB-DETR quick ablation: without anchor update (Table 3: 44.0 vs 45.7).
#   make train-dabdetr CONFIG=configs/quick/dab-detr-noupdate_r18-tiny_1xb4-12e_shapes.py
# Hardware: 2 CPU cores, a few minutes; one row of tools/reproduce.py's ablation table.
_base_ = './dab-detr_r18-tiny_1xb4-12e_shapes.py'
model = dict(iter_update=False)  # every decoder layer keeps the initial anchors

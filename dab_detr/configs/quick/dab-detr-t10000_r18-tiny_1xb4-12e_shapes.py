# Run card -- DAB-DETR quick ablation: without temperature tuning (Table 3: 44.4).
#   make train-dabdetr CONFIG=configs/quick/dab-detr-t10000_r18-tiny_1xb4-12e_shapes.py
# Hardware: 2 CPU cores, a few minutes; one row of tools/reproduce.py's ablation table.
_base_ = './dab-detr_r18-tiny_1xb4-12e_shapes.py'
model = dict(positional_encoding=dict(temperature=10000))  # T of Eq. 8

# Run card -- Table 8 "fixed x,y" for DAB-DETR-R50* (learned x,y: 42.6).
#   make train-dabdetr CONFIG=configs/ablations/dab-detr-3pat-fixxy_r50_8xb2-50e_coco.py GPUS=8
# Paper hardware: A100s, total batch 16. Expected COCO val2017 box AP: 42.9.
_base_ = '../dab-detr-3pat_r50_8xb2-50e_coco.py'
# anchor x, y ~ U(0, 1) once, then frozen (a buffer: no gradient, no weight decay)
model = dict(random_refpoints_xy=True)

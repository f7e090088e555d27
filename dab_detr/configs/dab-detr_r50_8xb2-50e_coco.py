# Run card -- DAB-DETR-R50, 300 queries, 50 epochs (paper Table 2).
#   make train-dabdetr CONFIG=configs/dab-detr_r50_8xb2-50e_coco.py GPUS=8
#   (= torchrun --nproc_per_node 8 tools/train.py --launcher pytorch --config <this>)
# Paper hardware: A100s, total batch 16 (official README: 8 GPUs x 2 images).
# Expected COCO val2017 box AP: 42.2 (paper) / 42.3 (mmdet model zoo, same model).
# mmdet's R50 config plus our registered detector (ablation switches, really-frozen x,y) and
# annotation checks. Data: data/coco/ in the standard layout, or --data-root.
_base_ = 'mmdet::dab_detr/dab-detr_r50_8xb2-50e_coco.py'
custom_imports = dict(imports=['dab_detr'], allow_failed_imports=False)

model = dict(
    type='SwitchableDABDETR',
    iter_update=True,  # anchor update, Sec. 4.2 (Table 3 "w/o anchor update" when False)
    random_refpoints_xy=False,  # Table 8 "fixed x,y" when True
    num_patterns=0,  # 3 for the starred (*) rows
    decoder=dict(
        query_dim=4,  # 4-D anchors (x, y, w, h); 2 = Table 3 "2D points"
        with_modulated_hw_attn=True),  # Eq. 6
    positional_encoding=dict(temperature=20))  # T of Eq. 8 on the key PE (10000 in DETR)

train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')

# Hamming OCR, the paper's Chinese setting at full model size: a rendered Chinese set with the
# 20,000-character dictionary, every character eligible in the texts (the paper renders > 20k
# characters with SynthText; our renderer stands in for it).
#   run:      make train-hammingocr \
#               CONFIG=configs/hamming-ocr_resnet31-gca_1xb64-12e_synth-cjk20k.py
#             (renders 200k + 2k images under data/synth_cjk_full on first use)
#   hardware: needs a GPU; not run by us. Paper numbers not available in an accessible form.
_base_ = [
    'mmocr::textrecog/_base_/default_runtime.py',
    'mmocr::textrecog/_base_/schedules/schedule_adam_base.py',
    '_base_/models/hamming-ocr_resnet31-gca.py',
    '_base_/datasets/cjk.py',
]

model = dict(decoder=dict(dictionary=_base_.cjk_dictionary))

full_render = dict(
    fonts=['cjk'], num_train=200000, num_test=2000, seed=0, min_len=2, max_len=10,
    font_size=(24, 40))
full_data_root = '{{ fileDirname }}/../data/synth_cjk_full'

optim_wrapper = dict(optimizer=dict(lr=4e-4))
train_cfg = dict(max_epochs=12)
param_scheduler = [
    dict(type='LinearLR', end=100, by_epoch=False),
    dict(type='MultiStepLR', milestones=[11], end=12),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(_base_.synth_cjk_train, data_root=full_data_root, render=full_render)
        ],
        pipeline=_base_.train_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        datasets=[dict(_base_.synth_cjk_test, data_root=full_data_root, render=full_render)],
        pipeline=_base_.test_pipeline))
val_dataloader = test_dataloader
val_evaluator = dict(dataset_prefixes=['SynthCJK'])
test_evaluator = val_evaluator

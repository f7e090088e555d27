# Hamming OCR, the paper's English setting: train on MJSynth + SynthText, test on the four public
# benchmarks (IIIT5K, SVT, IC13, IC15 assumed; the paper's list is not available to us).
#   run:      make train-hammingocr GPUS=4 \
#               CONFIG=configs/hamming-ocr_resnet31-gca_4xb512-12e_st-mj.py
#             (data prepared with mmocr's dataset preparer under data/; schedule of mmocr MASTER)
#   hardware: paper: GPUs (unknown count); not run by us -- we have neither the data nor GPUs
#   expect:   paper numbers not available in an accessible form; mmocr MASTER (softmax) reports
#             IIIT5K 0.9490, SVT 0.8887, IC13 0.9517, IC15 0.7650 (trained with SynthAdd too)
_base_ = [
    'mmocr::textrecog/_base_/datasets/mjsynth.py',
    'mmocr::textrecog/_base_/datasets/synthtext.py',
    'mmocr::textrecog/_base_/datasets/iiit5k.py',
    'mmocr::textrecog/_base_/datasets/svt.py',
    'mmocr::textrecog/_base_/datasets/icdar2013.py',
    'mmocr::textrecog/_base_/datasets/icdar2015.py',
    'mmocr::textrecog/_base_/default_runtime.py',
    'mmocr::textrecog/_base_/schedules/schedule_adam_base.py',
    '_base_/models/hamming-ocr_resnet31-gca.py',
    '_base_/datasets/latin.py',
]

model = dict(decoder=dict(dictionary=_base_.latin_dictionary))

optim_wrapper = dict(optimizer=dict(lr=4e-4))
train_cfg = dict(max_epochs=12)
param_scheduler = [
    dict(type='LinearLR', end=100, by_epoch=False),
    dict(type='MultiStepLR', milestones=[11], end=12),
]

train_list = [_base_.mjsynth_textrecog_train, _base_.synthtext_textrecog_train]
test_list = [
    _base_.iiit5k_textrecog_test, _base_.svt_textrecog_test, _base_.icdar2013_textrecog_test,
    _base_.icdar2015_textrecog_test
]
train_dataloader = dict(
    batch_size=512,
    num_workers=24,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset', datasets=train_list, pipeline=_base_.train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ConcatDataset', datasets=test_list, pipeline=_base_.test_pipeline))
val_dataloader = test_dataloader
val_evaluator = dict(dataset_prefixes=['IIIT5K', 'SVT', 'IC13', 'IC15'])
test_evaluator = val_evaluator
auto_scale_lr = dict(base_batch_size=512 * 4)

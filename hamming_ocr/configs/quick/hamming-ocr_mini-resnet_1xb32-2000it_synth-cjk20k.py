# Hamming OCR, CPU quick run on the embedded CJK set (20,000-character dictionary).
#   run:      python tools/train.py \
#               --config configs/quick/hamming-ocr_mini-resnet_1xb32-2000it_synth-cjk20k.py
#   hardware: 2 CPU cores; paper: GPUs, SynthText-rendered Chinese with > 20k characters
_base_ = [
    '../_base_/schedules/adam-cosine_2000it.py',
    '../_base_/models/hamming-ocr_mini-resnet.py',
    '../_base_/datasets/cjk.py',
]

model = dict(decoder=dict(dictionary=_base_.cjk_dictionary))

train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ConcatDataset',
        datasets=[_base_.synth_cjk_train],
        pipeline=_base_.train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        datasets=[_base_.synth_cjk_test],
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(dataset_prefixes=['SynthCJK'])
test_evaluator = val_evaluator

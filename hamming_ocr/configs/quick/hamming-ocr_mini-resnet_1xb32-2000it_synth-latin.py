# Hamming OCR, CPU quick run on the embedded Latin set (the `make train-hammingocr` default).
#   run:      python tools/train.py            (= --config <this file>)
#   hardware: 2 CPU cores; paper: GPUs, MJ+ST, not comparable
#   expect:   see the README results table (word/char accuracy on the held-out rendered split,
#             and on the 10 real crops of ../shared/data when present)
_base_ = [
    '../_base_/schedules/adam-cosine_2000it.py',
    '../_base_/models/hamming-ocr_mini-resnet.py',
    '../_base_/datasets/latin.py',
]

model = dict(decoder=dict(dictionary=_base_.latin_dictionary))

train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ConcatDataset',
        datasets=[_base_.synth_latin_train],
        pipeline=_base_.train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        datasets=[_base_.synth_latin_test],
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(dataset_prefixes=['SynthLatin'])
test_evaluator = val_evaluator

# Test sets that tools/train.py and tools/eval.py append to the test split when their data_root
# exists (and report as skipped otherwise).
optional_test_sets = dict(RealCrops=_base_.real_crops_test)

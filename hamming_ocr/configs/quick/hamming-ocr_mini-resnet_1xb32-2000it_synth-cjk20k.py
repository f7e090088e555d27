# Hamming OCR, CPU quick run on the embedded CJK set (20,000-character dictionary): the Latin quick
# run with the CJK dictionary and data.
#   run:      python tools/train.py \
#               --config configs/quick/hamming-ocr_mini-resnet_1xb32-2000it_synth-cjk20k.py
#   hardware: 2 CPU cores; paper: GPUs, SynthText-rendered Chinese with > 20k characters
_base_ = [
    'hamming-ocr_mini-resnet_1xb32-2000it_synth-latin.py',
    '../_base_/datasets/cjk.py',
]

model = dict(decoder=dict(dictionary=_base_.cjk_dictionary))

train_dataloader = dict(dataset=dict(datasets=[_base_.synth_cjk_train]))
val_dataloader = dict(dataset=dict(datasets=[_base_.synth_cjk_test]))
test_dataloader = val_dataloader
val_evaluator = dict(dataset_prefixes=['SynthCJK'])
test_evaluator = val_evaluator
optional_test_sets = None  # the real crops of ../shared/data are Latin words

# Softmax baseline for the Latin quick run: the same backbone, mmocr's MASTER decoder (softmax
# classifier, learned V x d token embedding, FFN, 3 unshared layers), the same schedule.
#   run: python tools/train.py \
#          --config configs/quick/master_mini-resnet_1xb32-2000it_synth-latin.py
_base_ = [
    'hamming-ocr_mini-resnet_1xb32-2000it_synth-latin.py',
    '../_base_/models/softmax-master.py',
]

model = _base_.softmax_master

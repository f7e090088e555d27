# Softmax baseline for the CJK quick run: same backbone, mmocr's MASTER decoder, same schedule;
# its classifier and token embedding each hold 20,003 x d parameters.
#   run: python tools/train.py \
#          --config configs/quick/master_mini-resnet_1xb32-2000it_synth-cjk20k.py
_base_ = [
    'hamming-ocr_mini-resnet_1xb32-2000it_synth-cjk20k.py',
    '../_base_/models/softmax-master.py',
]

model = _base_.softmax_master

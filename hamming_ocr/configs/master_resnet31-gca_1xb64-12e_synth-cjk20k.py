# Softmax baseline of the Chinese setting: mmocr's MASTER decoder on the same backbone and data;
# classifier + token embedding hold 2 x 20,003 x 512 = 20.5 M parameters.
#   run:      make train-hammingocr CONFIG=configs/master_resnet31-gca_1xb64-12e_synth-cjk20k.py
#   hardware: needs a GPU; not run by us.
_base_ = ['hamming-ocr_resnet31-gca_1xb64-12e_synth-cjk20k.py', '_base_/models/softmax-master.py']

model = _base_.softmax_master

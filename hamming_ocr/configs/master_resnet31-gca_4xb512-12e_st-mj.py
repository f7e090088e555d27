# Softmax baseline of the English setting: mmocr's MASTER decoder (softmax classifier, V x d token
# embedding, FFN, 3 unshared layers) on the same backbone, data and schedule.
#   run:      make train-hammingocr GPUS=4 CONFIG=configs/master_resnet31-gca_4xb512-12e_st-mj.py
#   hardware: not run by us; mmocr reports IIIT5K 0.9490 / SVT 0.8887 / IC13 0.9517 / IC15 0.7650
#             for its MASTER config (which also trains on SynthAdd)
_base_ = ['hamming-ocr_resnet31-gca_4xb512-12e_st-mj.py', '_base_/models/softmax-master.py']

model = _base_.softmax_master

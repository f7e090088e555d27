# Decoder ablation of the Latin quick run: Hamming head and code embedding, FFN kept, 3 unshared
# layers (MASTER's decoder with the Hamming head).
#   run: python tools/reproduce.py (section c), or tools/train.py --config <this file>
_base_ = ['../hamming-ocr_mini-resnet_1xb32-2000it_synth-latin.py']

model = dict(decoder=dict(use_ffn=True, share_layers=False))

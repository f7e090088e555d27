# The softmax baseline as an override of a Hamming OCR config: mmocr's MASTER recogniser with the
# standard decoder (softmax classifier, learned V x d token embedding, FFN, N unshared layers).
# A config applies it with
#   _base_ = ['<hamming-ocr config>.py', '<path to>/_base_/models/softmax-master.py']
#   model = _base_.softmax_master
softmax_master = dict(
    type='MASTER',
    decoder=dict(
        use_ffn=True,
        share_layers=False,
        classifier=dict(_delete_=True, type='SoftmaxClassifier'),
        embedding=dict(type='LookupEmbedding')))
